#!/usr/bin/env python
"""CPU time per request of the process KPI page (and the board), in one process.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/crm_kpirender \\
        .venv/bin/python bench/render_kpi.py [--requests 100] [--warmup 20] [--code DIR]

What the pages cost in Python, apart from the database server and the network: each page is
requested through Django's test client, logged in as a manager, with production's settings
(DEBUG off, so templates are compiled once and cached; the per-process cache unless REDIS_URL
is set, as bench/run.py serves them). After `--warmup` unrecorded requests, `--requests`
requests are timed one by one; the script prints, per page, the median CPU time of this process
(`time.process_time`: Python, templates, the database driver, not PostgreSQL's own work), the
median wall time, the SQL statements of one request and the page's size.

`--code DIR` imports the application from another checkout of the repository (for example an
export of the commit before a change: `git archive <commit> | tar -x -C /tmp/before`), so the
code before and after a change can be timed alternately on the same database:

    for code in /tmp/before . /tmp/before .; do
        .venv/bin/python bench/render_kpi.py --code $code
    done

The database needs generated data and the nightly rollups the KPI page reads
(`manage.py generate_data --customers 10000`, `rollup_usage`, `rollup_process_kpis`).
"""

import argparse
import os
import secrets
import statistics
import sys
import time
from pathlib import Path

PAGES = [
    ("Process KPIs, this month", "/reports/process-kpis/"),
    ("Process KPIs, last quarter", "/reports/process-kpis/?period=last_quarter"),
    ("Process KPIs, last 12 months", "/reports/process-kpis/?period=last_12_months"),
    ("Pipeline board", None),  # the first active sales process's board, found in the data
]
HOST = "localhost"
USER = "bench_render"


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=100)
    parser.add_argument("--warmup", type=int, default=20)
    parser.add_argument(
        "--code",
        type=Path,
        default=Path(__file__).resolve().parent.parent,
        help="the checkout whose code serves the pages (default: this one)",
    )
    parser.add_argument("--only", metavar="TEXT", help="only the pages whose name contains TEXT")
    args = parser.parse_args()
    if not os.environ.get("DATABASE_URL"):
        sys.exit("Set DATABASE_URL to a database with generated data (see the docstring)")
    code = args.code.resolve()
    sys.path.insert(0, str(code))
    os.chdir(code)
    os.environ.update(
        DJANGO_SETTINGS_MODULE="crm.settings.base",
        DEBUG="false",
        SECRET_KEY=secrets.token_urlsafe(32),
        ALLOWED_HOSTS=HOST,
        CELERY_BROKER_URL="memory://",
        LOG_LEVEL="WARNING",
    )

    import django

    django.setup()

    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext
    from django.urls import reverse

    from core.permissions import MANAGER
    from processes.models import ProcessDefinition

    user, _ = get_user_model().objects.get_or_create(username=USER)
    user.groups.add(Group.objects.get(name=MANAGER))
    client = Client(SERVER_NAME=HOST)
    client.force_login(user, backend="core.auth.ProfileModelBackend")
    sales = (
        ProcessDefinition.objects.filter(kind=ProcessDefinition.Kind.SALES, active=True)
        .order_by("id")
        .first()
    )
    pages = [
        (name, path or reverse("processes:board", args=[sales.pk]))
        for name, path in PAGES
        if not args.only or args.only.lower() in name.lower()
    ]

    print(f"code: {code}; {args.requests} requests after {args.warmup}, medians")
    print(f"{'page':32}{'CPU ms':>9}{'wall ms':>9}{'queries':>9}{'KB':>8}")
    for name, path in pages:
        for _ in range(args.warmup):
            response = client.get(path)
            if response.status_code != 200:
                sys.exit(f"GET {path} answered {response.status_code}")
        with CaptureQueriesContext(connection) as captured:
            response = client.get(path)
        # Read now: the next request empties the connection's log of queries.
        queries = len(captured)
        cpu, wall = [], []
        for _ in range(args.requests):
            started_cpu, started = time.process_time(), time.perf_counter()
            client.get(path)
            cpu.append(time.process_time() - started_cpu)
            wall.append(time.perf_counter() - started)
        print(
            f"{name:32}{statistics.median(cpu) * 1000:>9.1f}"
            f"{statistics.median(wall) * 1000:>9.1f}{queries:>9}"
            f"{len(response.content) / 1024:>8.1f}"
        )


if __name__ == "__main__":
    main()
