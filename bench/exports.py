#!/usr/bin/env python
"""Time and peak memory of exporting the customer list as CSV and as XLSX, in the request and
as a background job.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/crm_bench_100k .venv/bin/python bench/exports.py

Each format and path runs in a fresh process (so its peak RSS is its own) against DATABASE_URL
(default: PostgreSQL crm_bench_100k on 127.0.0.1, as bench/run.py fills it), migrated first,
as a superuser, who sees every customer (`--query` adds the list's filters):

- `inline`: through the list view itself (`/customers/?format=csv`) with EXPORT_INLINE_MAX_ROWS
  raised above the table, so it is sent at once; the whole response is read and thrown away,
  as a client downloading it would. Seconds to the first byte and in all.
- `job`: what a worker does with a background export (core.export_jobs.export_job_run: the
  list rebuilt for the user, the file written to a temporary file, then to storage, the job
  marked done); the process is the worker's. Seconds until the file is stored, and its size.

Prints one JSON line per format and path: rows, MB, seconds, the process's RSS before the
export and its peak. `--paths job` or `--formats xlsx` narrows it.
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


def child(fmt, query, path):
    if path == "inline":
        # Above any table the bench fills: the request writes the export itself.
        os.environ["EXPORT_INLINE_MAX_ROWS"] = str(10**9)
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
    if path == "job":
        job_child(user, fmt, query)
        return
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
                "path": "inline",
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


def job_child(user, fmt, query):
    import tempfile

    from django.conf import settings
    from django.test import override_settings
    from django.urls import reverse

    from core import export_jobs, lists
    from core.models import ExportJob

    # A worker that has run tasks before has the URLconf loaded (the notification's link
    # reverses a URL): loaded here before measuring, or its one-off import (seconds, and
    # megabytes of views) would count as the export's.
    reverse("export_list")
    with tempfile.TemporaryDirectory() as media, override_settings(MEDIA_ROOT=media):
        job = ExportJob.objects.create(
            user=user, list_key="customers", format=fmt, query=lists.filters_of(query)
        )
        before = peak_mb()
        start = time.perf_counter()
        job = export_jobs.export_job_run(job.pk)
        total = time.perf_counter() - start
        assert job.status == ExportJob.Status.DONE, job.error
        size = job.file.size
        ExportJob.objects.filter(pk=job.pk).delete()
    print(
        json.dumps(
            {
                "path": "job",
                "format": fmt,
                "query": query,
                "rows": job.rows,
                "mb": round(size / 1024 / 1024, 1),
                "to_file_s": round(total, 1),
                "rss_before_mb": round(before),
                "peak_rss_mb": round(peak_mb()),
                "inline_max_rows": settings.EXPORT_INLINE_MAX_ROWS,
                "load_average": [round(x, 1) for x in os.getloadavg()],
            }
        )
    )


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--formats", default="csv,xlsx")
    parser.add_argument("--paths", default="inline,job", help="inline (the request), job")
    parser.add_argument("--query", default="", help="the list's filters, e.g. status=active")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--path", default="inline", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child, args.query, args.path)
        return
    python = sys.executable
    subprocess.run([python, "manage.py", "migrate", "-v", "0"], cwd=ROOT, check=True)
    for path in args.paths.split(","):
        for fmt in args.formats.split(","):
            command = [python, __file__, "--child", fmt, "--query", args.query, "--path", path]
            subprocess.run(command, cwd=ROOT, check=True)


if __name__ == "__main__":
    main()
