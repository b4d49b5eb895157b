#!/usr/bin/env python
"""What CRM_VISIBILITY=team costs a sales rep's customer pages, against "all", in one process.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/crm_bench_100k \\
        .venv/bin/python bench/visibility.py [--number 100] [--rounds 2]

Runs on a database `generate_data` filled (its staff are put in the demo teams: the first half
of the sales reps in Sales Warsaw, the rest with the managers in Sales Prague). Logs in as the
first sales rep in a team, with Django's test client and production's settings (DEBUG off), and
times `--number` requests of each page in "all" and then "team" mode, `--rounds` times
alternating, printing the median and p95 in ms and the SQL queries per request. In-process
timings leave out the HTTP server: they compare the two modes, not the figures of bench/run.py.
"""

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.update(
    DJANGO_SETTINGS_MODULE="crm.settings.base",
    DEBUG="false",
    SECRET_KEY=os.environ.get("SECRET_KEY") or "bench-visibility-only-never-serves-requests",
    ALLOWED_HOSTS="testserver",
    SECURE_COOKIES="false",
)

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402

# Templates name static files; without collectstatic's manifest, plain URLs do.
settings.STORAGES = {
    **settings.STORAGES,
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}

from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402

from core.models import Team  # noqa: E402
from core.permissions import SALES  # noqa: E402
from customers.models import Customer  # noqa: E402


def _rep():
    team = Team.objects.filter(members__groups__name=SALES).order_by("name").first()
    if team is None:
        sys.exit("No sales rep is in a team: run generate_data (or load_demo) on this database.")
    return team.members.filter(groups__name=SALES).order_by("username").first()


def _time(client, url, number):
    client.get(url)  # warm: compiled statements, the first request of the day
    timings = []
    with CaptureQueriesContext(connection) as queries:
        for _ in range(number):
            started = time.perf_counter()
            response = client.get(url)
            timings.append((time.perf_counter() - started) * 1000)
            assert response.status_code == 200, (url, response.status_code)
    timings.sort()
    return (
        statistics.median(timings),
        timings[int(len(timings) * 0.95) - 1],
        len(queries) / number,
    )


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--number", type=int, default=100, help="requests per page and mode")
    parser.add_argument("--rounds", type=int, default=2, help="all/team alternations")
    args = parser.parse_args()

    rep = _rep()
    own = Customer.objects.filter(owner=rep).order_by("id").first()
    teams = ", ".join(rep.crm_teams.values_list("name", flat=True))
    print(f"user {rep.username} ({teams}); {Customer.objects.count():,} customers")
    client = Client()
    client.force_login(rep)
    pages = {
        "customer list": "/customers/",
        "customer list, searched": "/customers/?q=mosiołek",
        "customer list, sorted by last contact": "/customers/?ordering=-last_contact",
        "customer page": f"/customers/{own.pk}/",
    }
    results = {}
    for _round in range(args.rounds):
        for mode in ("all", "team"):
            settings.CRM_VISIBILITY = mode
            for name, url in pages.items():
                results.setdefault((name, mode), []).append(_time(client, url, args.number))
    print(f"{'page':40} {'mode':5} {'p50 ms':>14} {'p95 ms':>14} {'queries':>8}")
    for (name, mode), runs in results.items():
        p50 = ", ".join(f"{run[0]:.1f}" for run in runs)
        p95 = ", ".join(f"{run[1]:.1f}" for run in runs)
        print(f"{name:40} {mode:5} {p50:>14} {p95:>14} {runs[0][2]:>8.1f}")


if __name__ == "__main__":
    main()
