#!/usr/bin/env python
"""Time and peak memory of importing customers with two contact persons each from CSV.

    .venv/bin/python bench/imports.py --sizes 20000,100000

Each size runs in a fresh process (so its peak RSS is its own) against DATABASE_URL (default:
PostgreSQL crm_import on 127.0.0.1), created when missing and migrated first: a CSV of N
customers (a valid NIP, e-mail, phone, city, first contact date) with two contact persons each
(2N people) is written to a temporary file, uploaded, mapped by its guessed mapping, read into
the preview (every row checked and matched) and run, through the services the pages call (the
Celery tasks' bodies, called inline). Each run draws its own range of tax ids, e-mails and
phones, so runs do not match each other's customers; `--undo` also times undoing the batch.
Prints one line per size: rows, seconds per step, this process's CPU seconds in the preview and
the run (the rest of their time is the database's, or waiting for a busy machine), peak RSS in MB.
"""

import argparse
import json
import os
import random
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "crm.settings.base")
# Not debugging: with DEBUG Django keeps every statement it ran, which would count as memory.
os.environ["DEBUG"] = "false"
os.environ.setdefault("SECRET_KEY", "bench-imports-only")
os.environ.setdefault("ALLOWED_HOSTS", "localhost")
os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/crm_import")
os.environ.setdefault("CELERY_BROKER_URL", "memory://")

NIP_WEIGHTS = (6, 5, 7, 2, 3, 4, 5, 6, 7)


def nip(number):
    while True:
        digits = f"{number:09d}"[-9:]
        check = sum(int(d) * w for d, w in zip(digits, NIP_WEIGHTS, strict=True)) % 11
        if check != 10 and digits[0] != "0":
            return digits + str(check)
        number += 1


def write_csv(path, rows, seed=1):
    rng = random.Random(seed)
    first = random.SystemRandom().randrange(100_000_000, 800_000_000)
    with open(path, "w", encoding="utf-8", newline="") as out:
        out.write(
            "Nazwa;NIP;E-mail;Telefon;Miasto;Data pierwszego kontaktu;"
            "Imię 1;Nazwisko 1;E-mail osoby 1;Imię 2;Nazwisko 2;Telefon osoby 2\n"
        )
        for i in range(rows):
            tax = nip(first + i * 7)
            out.write(
                f"Firma {i} Sp. z o.o.;{tax};biuro{i}@firma{first + i}.example;"
                f"+48 5{(first + i) % 100_000_000:08d};"
                f"Miasto {i % 500};"
                f"{rng.randint(1, 28):02d}.{rng.randint(1, 12):02d}.20{rng.randint(10, 24)};"
                f"Anna;Nowak {i};anna{i}@firma{first + i}.example;"
                f"Jan;Kowalski {i};600 {i % 1000:03d} 200\n"
            )


def child(rows, undo=False):
    import django

    django.setup()
    from django.contrib.auth import get_user_model
    from django.core.files import File

    from core.permissions import SALES
    from imports import services
    from imports.models import ImportBatch

    user, _ = get_user_model().objects.get_or_create(username="bench_importer")
    from django.contrib.auth.models import Group

    user.groups.add(Group.objects.get_or_create(name=SALES)[0])
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / f"customers-{rows}.csv"
        write_csv(path, rows)
        size = path.stat().st_size
        timings, cpu = {}, {}
        start = time.perf_counter()
        with open(path, "rb") as handle:
            upload = File(handle, name=path.name)
            upload.size = size
            batch = services.batch_upload(
                uploaded=upload, kind="customers", by=user, default_country="PL"
            )
        timings["upload"] = time.perf_counter() - start
        start, started = time.perf_counter(), time.process_time()
        services.batch_map(batch=batch, mapping=batch.mapping, by=user)
        services.batch_prepare(batch_id=batch.pk)
        timings["preview"] = time.perf_counter() - start
        cpu["preview_cpu"] = time.process_time() - started
        batch.refresh_from_db()
        assert batch.status == ImportBatch.Status.PREVIEW, batch.error
        services.batch_start(batch=batch, by=user)
        start, started = time.perf_counter(), time.process_time()
        services.batch_run(batch_id=batch.pk)
        timings["run"] = time.perf_counter() - start
        cpu["run_cpu"] = time.process_time() - started
        batch.refresh_from_db()
        assert batch.status == ImportBatch.Status.DONE, batch.error
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        result = {
            "rows": rows,
            "file_mb": round(size / 1024 / 1024, 1),
            "created": batch.created_count,
            "contacts": sum(len(ids) for ids in batch.rows.values_list("related_ids", flat=True)),
            **{k: round(v, 1) for k, v in timings.items()},
            **{k: round(v, 1) for k, v in cpu.items()},
            "peak_rss_mb": round(peak),
        }
        if undo:
            start = time.perf_counter()
            batch = services.batch_undo(batch=batch, by=user)
            result["undo"] = round(time.perf_counter() - start, 1)
        batch.file.delete()
    print(json.dumps(result))


def ensure_database(url):
    """Create the PostgreSQL database DATABASE_URL names when the server lacks it (as bench/run.py
    does); migrate then fills it. Other databases (SQLite) are left to migrate."""
    from urllib.parse import urlsplit, urlunsplit

    parts = urlsplit(url)
    if parts.scheme not in ("postgres", "postgresql", "pgsql"):
        return
    name = parts.path.lstrip("/")
    import psycopg
    from psycopg import sql

    server = urlunsplit(parts._replace(path="/postgres", query=""))
    with psycopg.connect(server, autocommit=True) as admin:
        exists = admin.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
        if exists is None:
            print(f"[bench] creating database {name}", file=sys.stderr, flush=True)
            admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", default="20000,100000")
    parser.add_argument("--child", type=int)
    parser.add_argument("--undo", action="store_true")
    args = parser.parse_args()
    if args.child:
        child(args.child, undo=args.undo)
        return
    python = sys.executable
    ensure_database(os.environ["DATABASE_URL"])
    subprocess.run([python, "manage.py", "migrate", "-v", "0"], cwd=ROOT, check=True)
    for rows in (int(size) for size in args.sizes.split(",")):
        command = [python, __file__, "--child", str(rows), *(["--undo"] if args.undo else [])]
        subprocess.run(command, cwd=ROOT, check=True)


if __name__ == "__main__":
    main()
