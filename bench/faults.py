#!/usr/bin/env python
"""The fault runs of tests/faults, longer, with their figures (bench/README.md, "Faults").

    .venv/bin/python bench/faults.py              (or: make bench-faults)
    .venv/bin/python bench/faults.py --only postgres --restarts 10

Every server is the run's own, on spare ports of 127.0.0.1 (tests/servers.py): a PostgreSQL
cluster in a temporary folder, Redis, gunicorn with 2 workers, Celery workers. Nothing touches
the machine's shared PostgreSQL or Redis.

1. Redis stopped under traffic: logged-in readers for the whole run and a payment every half
   second; Redis is stopped for --outage seconds, then started again and the outbox drained by
   a real worker. Reported: answers and 5xx before, during and after, latency p50/p95/max per
   phase, payments acknowledged and found in the database, rescorings left unsent.
2. PostgreSQL restarted (`pg_ctl restart -m fast`) --restarts times under traffic. Reported:
   failed requests per gunicorn worker (from the access log), the longest time from a restart
   to the next good answer, latency p50/p95.
3. A Celery worker killed (SIGKILL) mid-task --kills times; a second worker picks the task up
   after the visibility timeout. Reported: seconds to completion, and whether the effect (a
   customer's score) happened exactly once.
"""

import argparse
import json
import re
import statistics
import sys
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests import servers  # noqa: E402

WORKERS = 2


def percentiles(seconds):
    if not seconds:
        return "-"
    ordered = sorted(seconds)
    p95 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.95))]
    return (
        f"p50 {statistics.median(ordered) * 1000:.0f} ms, p95 {p95 * 1000:.0f} ms, "
        f"max {ordered[-1] * 1000:.0f} ms"
    )


class Traffic:
    """Readers going round `pages` until stopped; each answer is (time, status, seconds, pid)."""

    def __init__(self, port, session, pages, *, clients=4):
        self.answers = []
        self._stop = threading.Event()
        self._threads = [
            threading.Thread(target=self._read, args=(servers.Browser(port, session), pages))
            for _ in range(clients)
        ]

    def _read(self, browser, pages):
        while not self._stop.is_set():
            for page in pages:
                status, seconds, _ = browser.get(page)
                self.answers.append((time.monotonic(), status, seconds))

    def __enter__(self):
        for thread in self._threads:
            thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        for thread in self._threads:
            thread.join(60)

    def between(self, start, end):
        return [a for a in self.answers if start <= a[0] < end]


def report_phase(name, answers):
    bad = [a for a in answers if a[1] != 200]
    print(
        f"  {name:<16} {len(answers):>5} answers, {len(bad):>3} not 200; "
        f"{percentiles([a[2] for a in answers])}"
    )


def new_database(cluster, template):
    name = f"crm_{int(time.time() * 1000) % 10**9}"
    cluster.createdb(name, template=template)
    url = cluster.url(name)
    nowhere = f"redis://127.0.0.1:{servers.spare_port()}/0"
    return url, servers.seed(servers.app_environment(DATABASE_URL=url, CELERY_BROKER_URL=nowhere))


def redis_outage(cluster, template, *, seconds, outage):
    print(f"Redis stopped for {outage:g} s under traffic ({seconds:g} s in all)")
    url, data = new_database(cluster, template)
    redis = servers.RedisServer().start()
    env = servers.app_environment(
        DATABASE_URL=url, REDIS_URL=redis.url, CELERY_BROKER_URL=redis.url
    )
    web, port = servers.gunicorn(env, workers=WORKERS)
    worker = None
    pages = ["/", "/customers/", f"/customers/{data['customer']}/", "/invoices/", "/value/"]
    writer = servers.Browser(port, data["session"])
    acknowledged = []
    try:
        servers.warm_up(port, data["session"], pages, workers=WORKERS)
        with Traffic(port, data["session"], pages) as traffic:
            started = time.monotonic()
            stopped_at = started + (seconds - outage) / 2
            back_at = stopped_at + outage
            down = False
            while time.monotonic() < started + seconds:
                now = time.monotonic()
                if not down and stopped_at <= now < back_at:
                    redis.stop()
                    down = True
                elif down and now >= back_at:
                    redis.start()
                    down = False
                status, _, _ = writer.post(
                    f"/invoices/{data['invoice']}/payments/new/",
                    {
                        "amount": "1.00",
                        "currency": "PLN",
                        "paid_on": time.strftime("%Y-%m-%d"),
                        "method": "bank_transfer",
                        "reference": f"bench {len(acknowledged)}",
                    },
                )
                if status == 302:
                    acknowledged.append(now)
                time.sleep(0.5)
        report_phase("before", traffic.between(started, stopped_at))
        report_phase("Redis stopped", traffic.between(stopped_at, back_at))
        report_phase("after", traffic.between(back_at, started + seconds + 60))
        stored = servers.sql(url, "SELECT count(*) FROM relationships_payment")[0][0]
        print(f"  payments acknowledged {len(acknowledged)}, in the database {stored}")
        unsent = "SELECT count(*) FROM core_outboxmessage WHERE sent_at IS NULL"
        print(f"  outbox unsent once Redis is back: {servers.sql(url, unsent)[0][0]}")
        worker = servers.celery_worker(env, name="drainer")
        drained_from = time.monotonic()
        print("  " + servers.manage(env, "drain_outbox").strip())
        deadline = time.monotonic() + 60
        ltv = "SELECT ltv FROM customers_customervalue WHERE customer_id = %s"
        while time.monotonic() < deadline:
            value = servers.sql(url, ltv, data["customer"])[0][0]
            if value is not None and value >= stored:
                break
            time.sleep(0.2)
        print(
            f"  customer's LTV {value} (payments {stored}.00) "
            f"{time.monotonic() - drained_from:.1f} s after the drain started"
        )
    finally:
        web.stop()
        if worker:
            worker.stop()
        redis.stop()


def postgres_restarts(cluster, template, *, restarts):
    print(f"PostgreSQL restarted {restarts} times under traffic, gunicorn with {WORKERS} workers")
    url, data = new_database(cluster, template)
    env = servers.app_environment(
        DATABASE_URL=url, GUNICORN_CMD_ARGS="--access-logformat 'pid=%(p)s %(s)s %(U)s'"
    )
    web, port = servers.gunicorn(env, workers=WORKERS)
    pages = ["/customers/", f"/customers/{data['customer']}/", "/invoices/"]
    recoveries = []
    try:
        servers.warm_up(port, data["session"], pages, workers=WORKERS)
        with Traffic(port, data["session"], pages) as traffic:
            time.sleep(1.0)
            for _ in range(restarts):
                began = time.monotonic()
                cluster.restart()
                time.sleep(1.5)
                later = [a for a in traffic.between(began, time.monotonic()) if a[1] == 200]
                recoveries.append((later[0][0] - began) if later else float("nan"))
    finally:
        web.stop(keep_log=True)
    failed = Counter(
        match.group(1)
        for match in re.finditer(r"pid=<(\d+)> (\d{3}) ", web.output())
        if match.group(2).startswith("5")
    )
    web.log.unlink()
    lost = [a for a in traffic.answers if not isinstance(a[1], int)]
    print(
        f"  {len(traffic.answers)} answers; failed per worker: {dict(failed) or 'none'}; "
        f"connections refused by gunicorn: {len(lost)}"
    )
    print(
        f"  first good answer after a restart began: {', '.join(f'{r:.2f}' for r in recoveries)} s"
    )
    print(f"  latency {percentiles([a[2] for a in traffic.answers])}")


def worker_kills(cluster, template, *, kills):
    print(f"A Celery worker killed mid-task {kills} times")
    for run in range(kills):
        url, data = new_database(cluster, template)
        redis = servers.RedisServer().start()
        env = servers.app_environment(
            DATABASE_URL=url,
            CELERY_BROKER_URL=redis.url,
            CELERY_VISIBILITY_TIMEOUT=2,
            CELERY_UNACKED_RESTORE_INTERVAL=1,
            CELERY_UNACKED_RESTORE_THROTTLE=1,
        )
        folder = Path(tempfile.mkdtemp(prefix="crm-kill-"))
        first = second = None
        try:
            first = servers.celery_worker(env, name="first", include="tests.faults.tasks")
            servers.run_python(
                env,
                "from core import outbox\noutbox.enqueue('tests.faults.rescore_then_linger', "
                f"{data['customer']}, '{folder}')\nprint(json.dumps(None))",
            )
            while not (folder / "started").exists():
                time.sleep(0.05)
            first.kill()
            killed = time.monotonic()
            second = servers.celery_worker(env, name="second", include="tests.faults.tasks")
            while not (folder / "done").exists() and time.monotonic() < killed + 60:
                time.sleep(0.05)
            took = time.monotonic() - killed
            done = json.loads((folder / "done").read_text())
            scores = servers.sql(
                url,
                "SELECT count(*) FROM analytics_customerscore WHERE customer_id = %s",
                data["customer"],
            )[0][0]
            print(
                f"  run {run + 1}: finished by {done['worker'].split('@')[0]} "
                f"{took:.1f} s after the kill; scores written: {scores} (must be 1)"
            )
        finally:
            for worker in (first, second):
                if worker:
                    worker.stop()
            redis.stop()


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--only", choices=["redis", "postgres", "worker"])
    parser.add_argument("--seconds", type=float, default=40)
    parser.add_argument("--outage", type=float, default=20)
    parser.add_argument("--restarts", type=int, default=5)
    parser.add_argument("--kills", type=int, default=3)
    options = parser.parse_args()
    missing = servers.servers_available()
    if missing:
        sys.exit(missing)
    cluster = servers.PostgresCluster().start()
    try:
        cluster.createdb("crm_template")
        servers.manage(servers.app_environment(DATABASE_URL=cluster.url("crm_template")), "migrate")
        if options.only in (None, "redis"):
            redis_outage(cluster, "crm_template", seconds=options.seconds, outage=options.outage)
        if options.only in (None, "postgres"):
            postgres_restarts(cluster, "crm_template", restarts=options.restarts)
        if options.only in (None, "worker"):
            worker_kills(cluster, "crm_template", kills=options.kills)
    finally:
        cluster.stop()


if __name__ == "__main__":
    main()
