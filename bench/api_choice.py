#!/usr/bin/env python
"""The API library chosen by measurement: the same customer list (50 customers, newest first,
with their segment ids, through `Customer.objects.visible_to(user)`) served by Django REST
framework (the real /api/v1/customers/) and by django-ninja (an equivalent endpoint defined
here), on the same database, in one process, through the same middleware.

    .venv/bin/python bench/api_choice.py --size 100k     (database: bench/run.py's crm_bench_100k)

Each framework answers `--requests` sequential requests after a warm-up (Django's test client:
no network, no server, so the difference is the frameworks' own cost), and p50/p95 and
requests per second are printed. bench/README.md and the README's API section give the result.
"""

import argparse
import os
import secrets
import statistics
import sys
import time
import types
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))
sys.path.insert(0, str(ROOT))

from run import (  # noqa: E402 (bench/run.py's database handling, shared)
    BENCH_USER,
    add_database_arguments,
    database_name,
    log,
    prepare_database,
)

NINJA_URLCONF = "api_choice_ninja_urls"


def ninja_urlconf():
    """A module with the project's URLs plus /ninja/customers/, the django-ninja twin of
    /api/v1/customers/ (same rows, same fields, same visibility rule, same page size)."""
    from django.conf import settings
    from django.urls import include, path
    from ninja import NinjaAPI, Schema
    from ninja.security import django_auth

    from customers.models import Customer

    api = NinjaAPI(urls_namespace="bench_ninja", auth=django_auth)

    class Value(Schema):
        grade: str | None
        ltv: str | None
        ltv_currency: str
        payment_reliability: str | None
        avg_days_late: str | None
        scored_at: str | None

    class CustomerOut(Schema):
        id: int
        kind: str
        display_name: str
        legal_name: str
        tax_id: str
        email: str
        phone: str
        street: str
        postal_code: str
        city: str
        country: str
        owner: int | None
        source: str
        first_contact_on: str
        segments: list[int]
        notes: str
        status: str
        relationship_kind: str
        last_contact_at: str | None
        value: Value
        created_at: str
        updated_at: str

    def text(value):
        return None if value is None else str(value)

    @api.get("/customers/", response=list[CustomerOut])
    def customers(request, before: int | None = None):
        rows = (
            Customer.objects.visible_to(request.user)
            .select_related("value")
            .prefetch_related("segments")
        )
        if before is not None:
            rows = rows.filter(id__lt=before)
        return [
            {
                **{
                    f: getattr(c, f)
                    for f in CustomerOut.model_fields
                    if f
                    not in (
                        "owner",
                        "segments",
                        "value",
                        "first_contact_on",
                        "last_contact_at",
                        "created_at",
                        "updated_at",
                    )
                },
                "owner": c.owner_id,
                "segments": [s.pk for s in c.segments.all()],
                "first_contact_on": c.first_contact_on.isoformat(),
                "last_contact_at": text(c.last_contact_at and c.last_contact_at.isoformat()),
                "created_at": c.created_at.isoformat(),
                "updated_at": c.updated_at.isoformat(),
                "value": {
                    "grade": c.grade,
                    "ltv": text(c.ltv),
                    "ltv_currency": c.ltv_currency,
                    "payment_reliability": text(c.payment_reliability),
                    "avg_days_late": text(c.avg_days_late),
                    "scored_at": text(c.scored_at and c.scored_at.isoformat()),
                },
            }
            for c in rows.order_by("-id")[: settings.API_PAGE_SIZE]
        ]

    module = types.ModuleType(NINJA_URLCONF)
    module.urlpatterns = [path("ninja/", api.urls), path("", include("crm.urls"))]
    sys.modules[NINJA_URLCONF] = module
    return NINJA_URLCONF


def sequential(client, path, requests, warmup):
    latencies = []
    for i in range(warmup + requests):
        started = time.perf_counter()
        response = client.get(path)
        elapsed = time.perf_counter() - started
        if response.status_code != 200:
            sys.exit(f"GET {path} answered {response.status_code}: {response.content[:300]!r}")
        if i >= warmup:
            latencies.append(elapsed * 1000)
    cuts = statistics.quantiles(latencies, n=100, method="inclusive")
    return {
        "p50_ms": statistics.median(latencies),
        "p95_ms": cuts[94],
        "rps": len(latencies) / (sum(latencies) / 1000),
        "bytes": len(response.content),
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    add_database_arguments(parser)
    parser.add_argument("--requests", type=int, default=300)
    parser.add_argument("--warmup", type=int, default=30)
    args = parser.parse_args()
    name = database_name(args)
    os.environ.update(
        {
            "DJANGO_SETTINGS_MODULE": "crm.settings.base",
            "DEBUG": "false",
            "SECRET_KEY": secrets.token_urlsafe(32),
            "ALLOWED_HOSTS": "testserver",
            "DATABASE_URL": f"{args.server}/{name}",
            "CELERY_BROKER_URL": "memory://",
            "LOG_LEVEL": "WARNING",
        }
    )
    os.chdir(ROOT)
    prepare_database(args, name)

    import django

    django.setup()
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group
    from django.test import Client, override_settings

    from core.permissions import MANAGER

    user, _ = get_user_model().objects.get_or_create(username=BENCH_USER)
    user.groups.add(Group.objects.get(name=MANAGER))
    with override_settings(ROOT_URLCONF=ninja_urlconf(), SECURE_SSL_REDIRECT=False):
        client = Client()
        client.force_login(user, backend="core.auth.ProfileModelBackend")
        results = {
            "Django REST framework": sequential(
                client, "/api/v1/customers/", args.requests, args.warmup
            ),
            "django-ninja": sequential(client, "/ninja/customers/", args.requests, args.warmup),
        }
    log(f"{name}: {args.requests} sequential requests each, in-process")
    print(f"{'framework':<24} {'p50 ms':>7} {'p95 ms':>7} {'req/s':>7} {'bytes':>7}")
    for framework, row in results.items():
        print(
            f"{framework:<24} {row['p50_ms']:>7.1f} {row['p95_ms']:>7.1f} {row['rps']:>7.1f} "
            f"{row['bytes']:>7}"
        )


if __name__ == "__main__":
    main()
