#!/usr/bin/env python
"""Load run: many logged-in users reading and writing at once against gunicorn on PostgreSQL;
bench/README.md explains it.

    .venv/bin/python bench/load.py                  (or: make bench-load)
    .venv/bin/python bench/load.py --users 10 --seconds 10 --customers 200

1. Database (default crm_load): created, migrated and filled by `manage.py generate_data`, or
   with --reuse taken as it is (only migrated). Only databases named crm_load* are ever
   created or dropped.
2. Users load_1 … load_N in the manager group, and targets from the data: customers to open
   and write to, search terms, the sales board.
3. gunicorn with crm/gunicorn.conf.py on 127.0.0.1, production settings, the production number
   of workers. Every user logs in through the login form before the clock starts.
4. For --seconds, each user (locust, as a library) picks a read or a write at random, waits 0.5
   to 2 s like a person, and again: customer list, customer page, search, invoice list, the sales
   board, a report; logging an interaction, creating a customer through the New customer form,
   issuing an invoice and registering a payment on it. Each write notes what the server said
   it saved (the id in the redirect, a unique marker in the text).
5. Afterwards every acknowledged write is looked up in the database. Exit status 1 if any
   request got a 5xx, failed otherwise, or any acknowledged write is missing.
"""

# locust patches the standard library for gevent when it is imported: first, before the rest.
from locust import FastHttpUser, between, task
from locust.env import Environment
from locust.exception import StopUser

# isort: split
import argparse
import json
import os
import platform
import random
import re
import runpy
import secrets
import statistics
import sys
import time
from collections import defaultdict
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from urllib.parse import urlencode, urlsplit, urlunsplit

import gevent
from gevent.event import Event
from gevent.lock import BoundedSemaphore

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))
sys.path.insert(0, str(ROOT))

from run import (  # noqa: E402  (bench/run.py: the page benchmark's server helpers)
    HOST,
    RESULTS,
    connect,
    cpu_busy,
    free_port,
    git_revision,
    manage,
    start_server,
    stop_server,
)

DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/crm_load"
THROWAWAY_PREFIX = "crm_load"
USER_PREFIX = "load_"
# Logging in hashes a password (hundreds of milliseconds of CPU): a few at a time, before the
# clock starts, so the measured window holds only the mix below.
CONCURRENT_LOGINS = 2


def log(message):
    print(f"[load] {message}", file=sys.stderr, flush=True)


# --- The database --------------------------------------------------------------------------


def split_database_url(url):
    parts = urlsplit(url)
    name = parts.path.lstrip("/")
    if parts.scheme not in ("postgres", "postgresql", "pgsql") or not name:
        sys.exit(f"--database-url must be a PostgreSQL URL with a database name, not {url!r}")
    return urlunsplit(parts._replace(path="", query="", fragment="")), name


def prepare_database(server, name, *, reuse, customers):
    """Create and fill the database, or with `reuse` migrate the one that is there. Databases
    whose name does not start with crm_load are never created or dropped: they are only used."""
    from psycopg import sql

    throwaway = name.startswith(THROWAWAY_PREFIX)
    with connect(server) as admin:
        exists = admin.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
        if not throwaway and not exists:
            sys.exit(f"There is no database {name}; only {THROWAWAY_PREFIX}* ones are created")
        if exists and (reuse or not throwaway):
            log(f"using database {name} as it is; migrating it")
            manage("migrate", "--noinput", "--verbosity=0")
            return False
        if exists:
            log(f"dropping database {name} (use --reuse to keep it)")
            admin.execute(sql.SQL("DROP DATABASE {} WITH (FORCE)").format(sql.Identifier(name)))
        admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    log(f"migrating {name} and generating {customers:,} customers")
    manage("migrate", "--noinput", "--verbosity=0")
    manage("generate_data", "--customers", str(customers), "--seed", "1", "--verbosity=0")
    with connect(server, name) as connection:
        connection.execute("VACUUM ANALYZE")
    return True


def drop_database(server, name):
    from psycopg import sql

    if not name.startswith(THROWAWAY_PREFIX):
        return
    with connect(server) as admin:
        admin.execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
        )
    log(f"dropped database {name}")


# --- Users and targets (in this process, through Django) -----------------------------------


def prepare_fixtures(users, password):
    """load_1 … load_N managers with `password`, and what the requests aim at."""
    from django.contrib.auth import get_user_model
    from django.contrib.auth.hashers import make_password
    from django.contrib.auth.models import Group

    from core.permissions import MANAGER
    from customers.models import Customer
    from processes.models import ProcessDefinition

    User = get_user_model()
    hashed = make_password(password)  # once: every load user has the same password
    manager = Group.objects.get(name=MANAGER)
    user_ids = []
    for n in range(1, users + 1):
        user, _ = User.objects.update_or_create(
            username=f"{USER_PREFIX}{n}", defaults={"password": hashed, "is_active": True}
        )
        user.groups.add(manager)
        user_ids.append(user.pk)
    customers = list(Customer.objects.order_by("?").values_list("pk", "display_name")[:200])
    if not customers:
        sys.exit("The database has no customers: did generate_data run?")
    words = sorted(
        {w.lower() for _, name in customers for w in re.findall(r"\w+", name) if len(w) >= 4}
    )
    sales = (
        ProcessDefinition.objects.filter(kind=ProcessDefinition.Kind.SALES, active=True)
        .order_by("id")
        .values_list("pk", flat=True)
        .first()
    )
    return {
        "users": user_ids,
        "customers": [pk for pk, _ in customers],
        "search_terms": words[:100] or ["a"],
        "sales_definition": sales,
    }


def verify_writes(ledger):
    """Each acknowledged write looked up in the database: {kind: (acknowledged, found, lost)}."""
    from customers.models import Customer
    from relationships.models import Interaction, Invoice, Payment

    lookups = {
        "interaction": lambda keys: Interaction.objects.filter(subject__in=keys).values_list(
            "subject", flat=True
        ),
        "customer": lambda keys: [
            (pk, name)
            for pk, name in Customer.objects.filter(pk__in=[k[0] for k in keys]).values_list(
                "pk", "display_name"
            )
        ],
        "invoice": lambda keys: list(
            Invoice.objects.filter(pk__in=[k[0] for k in keys]).values_list("pk", "number")
        ),
        "payment": lambda keys: Payment.objects.filter(reference__in=keys).values_list(
            "reference", flat=True
        ),
    }
    result = {}
    for kind, keys in sorted(ledger.items()):
        found = set(lookups[kind](list(keys))) & set(keys)
        lost = sorted(set(keys) - found, key=str)
        result[kind] = {"acknowledged": len(keys), "found": len(found), "lost": lost[:20]}
        result[kind]["lost_count"] = len(lost)
    return result


# --- The users -----------------------------------------------------------------------------


class Plan:
    """What the run's users share: set up before the runner starts."""

    run_id = ""
    password = ""
    fixtures: dict = {}
    users_expected = 0
    logging_in = 0
    logged_in = 0
    started = 0.0
    all_logged_in = Event()
    login_slots = BoundedSemaphore(CONCURRENT_LOGINS)
    measuring = False
    stopping = False
    latencies: dict = defaultdict(list)
    statuses: dict = defaultdict(lambda: defaultdict(int))
    failed: dict = defaultdict(int)
    failures: dict = defaultdict(list)  # a few examples per request
    ledger: dict = defaultdict(set)
    counter = 0

    @classmethod
    def next_marker(cls):
        cls.counter += 1
        return f"load {cls.run_id} {cls.counter}"


def on_request(request_type, name, response_time, response_length, response, exception, **_):
    if not Plan.measuring:
        return
    status = getattr(response, "status_code", 0) or 0
    Plan.latencies[name].append(response_time)
    Plan.statuses[name][status] += 1
    if exception is not None:
        Plan.failed[name] += 1
        if len(Plan.failures[name]) < 10:
            Plan.failures[name].append(f"{status}: {exception}"[:300])


class CrmUser(FastHttpUser):
    wait_time = between(0.5, 2.0)
    # A slow answer is a finding, not a client error: wait as long as gunicorn would.
    network_timeout = 60.0
    connection_timeout = 10.0

    def on_start(self):
        Plan.logging_in += 1
        self.username = f"{USER_PREFIX}{Plan.logging_in}"
        with Plan.login_slots:
            self.log_in()
        Plan.logged_in += 1
        if Plan.logged_in == Plan.users_expected:
            # The clock starts when the last user is in, before anyone's first request.
            Plan.started = time.perf_counter()
            Plan.measuring = True
            Plan.all_logged_in.set()
        Plan.all_logged_in.wait()
        if self.username == f"{USER_PREFIX}1":
            # The writes the run checks afterwards happen at least once however short the run or
            # busy the machine (at random, a 10 s run on a loaded machine sometimes made none).
            self.create_customer()
            self.log_interaction()

    def log_in(self):
        page = self.client.get("/login/", name="log in (form)")
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text or "")
        response = self.client.post(
            "/login/",
            name="log in",
            data=self.form(
                username=self.username, password=Plan.password, csrfmiddlewaretoken=token[1]
            ),
            headers={"Content-Type": "application/x-www-form-urlencoded"},
            allow_redirects=False,
        )
        if response.status_code != 302:
            raise RuntimeError(f"{self.username} could not log in: HTTP {response.status_code}")

    # Helpers

    @staticmethod
    def form(**fields):
        return urlencode(fields)

    def csrf_token(self):
        for cookie in self.client.cookiejar:
            if cookie.name == "csrftoken":
                return cookie.value
        return ""

    def get(self, path, name, redirect=None):
        """GET a page: a 200, or a redirect to a path matching `redirect` where one may come
        (a redirect to the login page means the session was lost)."""
        if Plan.stopping:
            raise StopUser
        with self.client.get(
            path, name=name, allow_redirects=False, catch_response=True
        ) as response:
            location = urlsplit(response.headers.get("Location") or "").path
            redirected = (
                response.status_code == 302 and redirect and re.fullmatch(redirect, location)
            )
            if response.status_code != 200 and not redirected:
                response.failure(f"HTTP {response.status_code} {location!r}")

    def post(self, path, name, fields, expect):
        """POST a form; returns the redirect's path if the server answered with one matching
        `expect` (a regular expression), else None."""
        if Plan.stopping:
            raise StopUser
        fields["csrfmiddlewaretoken"] = self.csrf_token()
        with self.client.post(
            path,
            name=name,
            data=self.form(**fields),
            headers={"Content-Type": "application/x-www-form-urlencoded"},
            allow_redirects=False,
            catch_response=True,
        ) as response:
            location = response.headers.get("Location") or ""
            match = re.fullmatch(expect, urlsplit(location).path)
            if response.status_code != 302 or not match:
                response.failure(f"HTTP {response.status_code} {location!r}")
                return None
            return match

    def customer(self):
        return random.choice(Plan.fixtures["customers"])

    # Reads

    @task(3)
    def customer_list(self):
        self.get("/customers/", "customer list")

    @task(5)
    def customer_page(self):
        self.get(f"/customers/{self.customer()}/", "customer page")

    @task(2)
    def search(self):
        term = random.choice(Plan.fixtures["search_terms"])
        # One match goes straight to its page (a customer's, or a contract, invoice or process).
        self.get(
            f"/customers/search/?q={term}",
            "search",
            redirect=r"/(customers|contracts|invoices|processes/instances)/\d+/",
        )

    @task(2)
    def invoice_list(self):
        self.get("/invoices/", "invoice list")

    @task(1)
    def board(self):
        if Plan.fixtures["sales_definition"]:
            self.get(f"/processes/{Plan.fixtures['sales_definition']}/board/", "sales board")

    @task(1)
    def report(self):
        self.get("/reports/process-kpis/", "report: process KPIs")

    # Writes

    @task(3)
    def log_interaction(self):
        customer = self.customer()
        marker = Plan.next_marker()
        fields = {
            "channel": "call",
            "direction": "outbound",
            "contact_person": "",
            "subject": marker,
            "notes": "Load run: the customer asked about the next invoice.",
            "outcome": "",
            "occurred_at": "",
        }
        if self.post(
            f"/customers/{customer}/interactions/new/",
            "log an interaction",
            fields,
            rf"/customers/{customer}/",
        ):
            Plan.ledger["interaction"].add(marker)

    @task(1)
    def create_customer(self):
        marker = Plan.next_marker()
        name = f"Load Test {marker} sp. z o.o."
        fields = {
            "kind": "organisation",
            "display_name": name,
            "legal_name": name,
            "tax_id": "",
            "email": f"{marker.replace(' ', '-')}@example.com",
            "phone": "",
            "street": "ul. Testowa 1",
            "postal_code": "00-001",
            "city": "Warszawa",
            "country": "PL",
            "owner": "",
            "source": "other",
            "first_contact_on": date.today().isoformat(),
            "notes": "",
            "confirm_not_duplicate": "on",
            "first-relationship_kind": "lasting",
            "first-channel": "call",
            "first-direction": "inbound",
            "first-subject": f"First call {marker}",
            "first-notes": "",
        }
        match = self.post("/customers/new/", "create a customer", fields, r"/customers/(\d+)/")
        if match:
            Plan.ledger["customer"].add((int(match[1]), name))

    @task(1)
    def invoice_and_payment(self):
        customer = self.customer()
        marker = Plan.next_marker()
        number = f"LOAD-{marker.split(' ', 1)[1].replace(' ', '-')}"
        today = date.today()
        fields = {
            "number": number,
            "contract": "",
            "issue_date": today.isoformat(),
            "due_date": (today + timedelta(days=14)).isoformat(),
            "amount": "1230.00",
            "currency": "PLN",
        }
        match = self.post(
            f"/customers/{customer}/invoices/new/", "issue an invoice", fields, r"/invoices/(\d+)/"
        )
        if not match:
            return
        invoice = int(match[1])
        Plan.ledger["invoice"].add((invoice, number))
        payment = {
            "amount": "230.00",
            "currency": "PLN",
            "paid_on": today.isoformat(),
            "method": "bank_transfer",
            "reference": marker,
        }
        if self.post(
            f"/invoices/{invoice}/payments/new/",
            "register a payment",
            payment,
            rf"/invoices/{invoice}/",
        ):
            Plan.ledger["payment"].add(marker)


# --- Running -------------------------------------------------------------------------------


def percentile(values, share):
    if not values:
        return None
    if len(values) == 1:
        return values[0]
    return statistics.quantiles(values, n=100, method="inclusive")[round(share * 100) - 1]


def run_load(port, users, seconds):
    """Start the users, wait for all to log in, then measure for `seconds`; returns the
    measured window's length (until the last request in flight came back)."""
    CrmUser.host = f"http://{HOST}:{port}"
    environment = Environment(user_classes=[CrmUser], catch_exceptions=True)
    environment.events.request.add_listener(on_request)
    runner = environment.create_local_runner()
    Plan.users_expected = users
    log(f"{users} users logging in through the login form, {CONCURRENT_LOGINS} at a time")
    runner.start(users, spawn_rate=users)
    if not Plan.all_logged_in.wait(timeout=max(120, users * 5)):
        runner.quit()
        sys.exit(f"only {Plan.logged_in} of {users} users logged in")
    log(f"all logged in; measuring for {seconds} s")
    gevent.sleep(max(0.0, seconds - (time.perf_counter() - Plan.started)))
    Plan.stopping = True  # no new requests; those in flight come back and are counted
    deadline = time.monotonic() + 90
    while runner.user_count and time.monotonic() < deadline:
        gevent.sleep(0.1)
    elapsed = time.perf_counter() - Plan.started
    Plan.measuring = False
    runner.quit()
    return elapsed, environment


def summarise(elapsed):
    rows = []
    for name in sorted(Plan.latencies):
        latencies = Plan.latencies[name]
        statuses = Plan.statuses[name]
        rows.append(
            {
                "name": name,
                "requests": len(latencies),
                "p50_ms": percentile(latencies, 0.50),
                "p95_ms": percentile(latencies, 0.95),
                "max_ms": max(latencies),
                "statuses": dict(sorted(statuses.items())),
                "failed": Plan.failed[name],
                "examples": Plan.failures[name],
            }
        )
    everything = [ms for values in Plan.latencies.values() for ms in values]
    total = len(everything)
    return rows, {
        "requests": total,
        "seconds": round(elapsed, 2),
        "rps": total / elapsed if elapsed else 0,
        "p50_ms": percentile(everything, 0.50),
        "p95_ms": percentile(everything, 0.95),
        "status_5xx": sum(
            n for statuses in Plan.statuses.values() for s, n in statuses.items() if s >= 500
        ),
        "failed": sum(Plan.failed.values()),
    }


def table(rows, totals):
    header = (
        f"{'request':<24} {'count':>6} {'failed':>6} {'p50 ms':>7} {'p95 ms':>7} {'max ms':>7}"
        "  statuses"
    )
    lines = [header, "-" * (len(header) + 12)]
    for row in rows:
        statuses = " ".join(f"{s or 'conn'}:{n}" for s, n in row["statuses"].items())
        lines.append(
            f"{row['name']:<24} {row['requests']:>6} {row['failed']:>6} {row['p50_ms']:>7.0f} "
            f"{row['p95_ms']:>7.0f} {row['max_ms']:>7.0f}  {statuses}"
        )
    lines.append("-" * (len(header) + 12))
    lines.append(
        f"{'all':<24} {totals['requests']:>6} {totals['failed']:>6} {totals['p50_ms'] or 0:>7.0f} "
        f"{totals['p95_ms'] or 0:>7.0f} {'':>7}  {totals['rps']:.1f} req/s"
    )
    return "\n".join(lines)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--users", type=int, default=50, help="concurrent users (default 50)")
    parser.add_argument(
        "--seconds", type=int, default=60, help="length of the measured run (default 60)"
    )
    parser.add_argument(
        "--database-url",
        default=os.environ.get("LOAD_DATABASE_URL", DEFAULT_DATABASE_URL),
        help=f"PostgreSQL database (default $LOAD_DATABASE_URL or {DEFAULT_DATABASE_URL}); "
        f"only {THROWAWAY_PREFIX}* databases are created and dropped, others must exist",
    )
    parser.add_argument(
        "--reuse",
        action="store_true",
        help="use the database as it is (only migrated) instead of regenerating it",
    )
    parser.add_argument(
        "--drop", action="store_true", help=f"drop the {THROWAWAY_PREFIX}* database afterwards"
    )
    parser.add_argument(
        "--customers",
        type=int,
        default=2000,
        help="customers generated into a new database (default 2000)",
    )
    parser.add_argument(
        "--workers",
        type=int,
        help="gunicorn workers (default: crm/gunicorn.conf.py's production default)",
    )
    parser.add_argument("--redis-url", help="REDIS_URL for the server's cache (default: none)")
    parser.add_argument("--json", type=Path, help="write the report here too")
    args = parser.parse_args()

    server_url, name = split_database_url(args.database_url)
    os.environ.update(
        {
            "DJANGO_SETTINGS_MODULE": "crm.settings.base",
            "DEBUG": "false",
            "SECRET_KEY": secrets.token_urlsafe(32),
            "ALLOWED_HOSTS": HOST,
            "DATABASE_URL": f"{server_url}/{name}",
            # Plain HTTP on the loopback: cookies without the Secure flag.
            "SECURE_COOKIES": "false",
            # Nothing the writes queue should reach a real worker or a shared broker.
            "CELERY_BROKER_URL": "memory://",
            "REDIS_URL": args.redis_url or "",
            "LOG_LEVEL": "WARNING",
        }
    )
    os.chdir(ROOT)
    generated = prepare_database(server_url, name, reuse=args.reuse, customers=args.customers)
    try:
        manage("rollup_usage", "--verbosity=0")
        manage("rollup_process_kpis", "--verbosity=0")
        manage("collectstatic", "--noinput", "--verbosity=0")

        import django

        django.setup()
        from django.db import connections

        Plan.run_id = secrets.token_hex(3)
        Plan.password = secrets.token_urlsafe(16)
        Plan.fixtures = prepare_fixtures(args.users, Plan.password)
        connections.close_all()

        RESULTS.mkdir(parents=True, exist_ok=True)
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
        server_log = RESULTS / f"gunicorn-load-{stamp}.log"
        busy_before = cpu_busy()
        port = free_port()
        # The production number of workers unless told otherwise, recycled as in production.
        workers = args.workers or runpy.run_path(str(ROOT / "crm" / "gunicorn.conf.py"))["workers"]
        overrides = {
            "WEB_CONCURRENCY": str(workers),
            "GUNICORN_MAX_REQUESTS": os.environ.get("GUNICORN_MAX_REQUESTS", "5000"),
        }
        log(f"gunicorn ({workers} workers) on {HOST}:{port}, log in {server_log.relative_to(ROOT)}")
        server = start_server(port, server_log, **overrides)
        try:
            elapsed, _environment = run_load(port, args.users, args.seconds)
        finally:
            stop_server(server)

        writes = verify_writes(Plan.ledger)
        connections.close_all()
    finally:
        if args.drop:
            drop_database(server_url, name)

    rows, totals = summarise(elapsed)
    lost = sum(w["lost_count"] for w in writes.values())
    acknowledged = sum(w["acknowledged"] for w in writes.values())
    report = {
        "started_at": stamp,
        "revision": git_revision(),
        "database": name,
        "generated_now": generated,
        "users": args.users,
        "seconds": args.seconds,
        "think_time_s": [0.5, 2.0],
        "workers": workers,
        "machine": {
            "cores": os.cpu_count(),
            "python": platform.python_version(),
            "platform": platform.platform(),
            "cpu_busy_before": busy_before,
            "load_average": os.getloadavg(),
        },
        "totals": totals,
        "requests": rows,
        "writes": writes,
        "run_id": Plan.run_id,
        "acknowledged_writes": acknowledged,
        "lost_writes": lost,
    }
    text = json.dumps(report, indent=2, default=str) + "\n"
    output = RESULTS / f"load-{stamp}.json"
    output.write_text(text)
    if args.json:
        args.json.write_text(text)

    busy = f"{busy_before:.0%}" if busy_before is not None else "?"
    print(
        f"\nCRM load run: {args.users} users for {args.seconds} s against gunicorn "
        f"({workers} workers) on {name}; CPU busy before the run: {busy}"
    )
    print(table(rows, totals))
    print(
        f"\nwrites acknowledged: {acknowledged}, found in the database: "
        f"{acknowledged - lost}, lost: {lost}"
    )
    print(f"5xx responses: {totals['status_5xx']}, failed requests in all: {totals['failed']}")
    print(f"JSON: {output.relative_to(ROOT)}")
    if totals["failed"] or lost or not acknowledged:
        print("FAILED: every request must succeed and every acknowledged write must be saved")
        sys.exit(1)


if __name__ == "__main__":
    main()
