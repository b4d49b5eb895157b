#!/usr/bin/env python
"""Time and peak memory of exporting the customer list as CSV and as XLSX.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/crm_bench_100k .venv/bin/python bench/exports.py

Each format runs in a fresh process (so its peak RSS is its own) against DATABASE_URL (default:
PostgreSQL crm_bench_100k on 127.0.0.1, as bench/run.py fills it), migrated first. The export
goes through the list view itself (`/customers/?format=csv`, with `--query` for filters) as a
superuser, who sees every customer, and the whole response is read and thrown away, as a
client downloading it would. Prints one JSON line per format: rows, bytes, seconds (to the
first byte and in all), the process's RSS before the export and its peak.
"""

import argparse
import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "crm.settings.base")
# Not debugging: with DEBUG Django keeps every statement it ran, which would count as memory.
os.environ["DEBUG"] = "false"
os.environ.setdefault("SECRET_KEY", "bench-exports-only")
os.environ.setdefault("ALLOWED_HOSTS", "localhost")
os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/crm_bench_100k")
os.environ.setdefault("CELERY_BROKER_URL", "memory://")


def peak_mb():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def child(fmt, query):
    import django

    django.setup()
    from django.contrib.auth import get_user_model
    from django.http import QueryDict
    from django.test import RequestFactory

    from core.models import AuditEvent
    from customers.views import customer_list

    user, _ = get_user_model().objects.get_or_create(
        username="bench_exporter", defaults={"is_superuser": True, "is_staff": True}
    )
    params = QueryDict(query, mutable=True)
    params["format"] = fmt
    request = RequestFactory().get("/customers/", params)
    request.user = user
    before = peak_mb()
    start = time.perf_counter()
    response = customer_list(request)
    first = None
    size = 0
    for piece in response:
        if first is None:
            first = time.perf_counter() - start
        size += len(piece)
    response.close()
    total = time.perf_counter() - start
    event = AuditEvent.objects.filter(action=AuditEvent.Action.EXPORT, user=user).first()
    print(
        json.dumps(
            {
                "format": fmt,
                "query": query,
                "rows": event.details["rows"],
                "mb": round(size / 1024 / 1024, 1),
                "first_byte_s": round(first or total, 2),
                "total_s": round(total, 1),
                "rss_before_mb": round(before),
                "peak_rss_mb": round(peak_mb()),
                "load_average": [round(x, 1) for x in os.getloadavg()],
            }
        )
    )


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--formats", default="csv,xlsx")
    parser.add_argument("--query", default="", help="the list's filters, e.g. status=active")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child, args.query)
        return
    python = sys.executable
    subprocess.run([python, "manage.py", "migrate", "-v", "0"], cwd=ROOT, check=True)
    for fmt in args.formats.split(","):
        command = [python, __file__, "--child", fmt, "--query", args.query]
        subprocess.run(command, cwd=ROOT, check=True)


if __name__ == "__main__":
    main()
