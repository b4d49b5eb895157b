#!/usr/bin/env python
"""Load run: many logged-in users reading and writing at once against gunicorn on PostgreSQL;
bench/README.md explains it.

    .venv/bin/python bench/load.py                  (or: make bench-load)
    .venv/bin/python bench/load.py --users 10 --seconds 10 --customers 200
    .venv/bin/python bench/load.py --steps 10,50,100,200 --workers 2   (make bench-load-curve)

1. Database (default crm_load): created, migrated and filled by `manage.py generate_data`, or
   with --reuse taken as it is (only migrated). Only databases named crm_load* are ever
   created or dropped.
2. Users load_1 … load_N in the manager group, and targets from the data: customers to open
   and write to, search terms, the sales board.
3. gunicorn with crm/gunicorn.conf.py on 127.0.0.1, production settings, the production number
   of workers. Every user logs in through the login form before anything is measured.
4. For --seconds, each user (locust, as a library) picks a read or a write at random, waits 1
   to 3 s like a person (--think), and again: customer list, customer page, the global search
   (as you type, then its page), invoice list, the sales board, a report; logging an
   interaction, moving a deal on the board, creating a customer through the New customer form,
   issuing an invoice and registering a payment on it. Each write notes what the server said
   it saved (the id in the redirect, a unique marker in the text, the move's outcome).
   With --steps, the same for each number of users in turn: the new users start, ten a
   second (the ramp-up), a --settle pause, then --seconds measured; the users of a step stay
   for the next.
5. Afterwards every acknowledged write is looked up in the database. Exit status 1 if any
   request got a 5xx, failed otherwise, or any acknowledged write is missing. A stepped run
   also draws the curve (matplotlib, the `bench` extra): users against throughput and
   p50/p95/p99, errors marked; --plot JSON draws it again from a run's JSON.
"""

# locust patches the standard library for gevent when it is imported: first, before the rest.
from locust import FastHttpUser, task
from locust.contrib.fasthttp import FastHttpSession
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
from collections import Counter, defaultdict
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from urllib.parse import urlencode, urlsplit, urlunsplit

import gevent
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
# Users started a second when a step adds users (the ramp-up); they are logged in already.
SPAWN_RATE = 10
# The target for the curve: 100 office users, p95 ≤ 100 ms on 2 workers at 100k.
TARGET_P95_MS = 100


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
            sys.exit(
                f"There is no database {name}; only {THROWAWAY_PREFIX}* ones are created "
                "(crm_bench_<size> is made by `make bench-pages SIZE=<size>`)"
            )
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
        "customers_in_database": Customer.objects.count(),
        "search_terms": words[:100] or ["abc"],
        "sales_definition": sales,
    }


def verify_writes(ledger, *, since, user_ids):
    """Each acknowledged write looked up in the database. Returns ({kind: {acknowledged,
    found, lost_count, lost}}, {step: {acknowledged, found, lost}}); a write's step is the
    measured window its request started in (None: ramp-up, settling, or the first user's
    writes right after logging in)."""
    from customers.models import Customer
    from processes.models import StageTransition
    from relationships.models import Interaction, Invoice, Payment

    keys = defaultdict(set)
    for kind, key, _step in ledger:
        keys[kind].add(key)

    def in_chunks(values, query):
        values = list(values)
        return [row for i in range(0, len(values), 5000) for row in query(values[i : i + 5000])]

    lookups = {
        "interaction": lambda ks: in_chunks(
            ks,
            lambda chunk: Interaction.objects.filter(subject__in=chunk).values_list(
                "subject", flat=True
            ),
        ),
        "customer": lambda ks: in_chunks(
            ks,
            lambda chunk: Customer.objects.filter(pk__in=[k[0] for k in chunk]).values_list(
                "pk", "display_name"
            ),
        ),
        "invoice": lambda ks: in_chunks(
            ks,
            lambda chunk: Invoice.objects.filter(pk__in=[k[0] for k in chunk]).values_list(
                "pk", "number"
            ),
        ),
        "payment": lambda ks: in_chunks(
            ks,
            lambda chunk: Payment.objects.filter(reference__in=chunk).values_list(
                "reference", flat=True
            ),
        ),
        # A card moved from one stage to another by one user: each acknowledged move is one
        # StageTransition row of this run (the same move may be made several times).
        "move": lambda ks: StageTransition.objects.filter(
            at__gte=since, by_id__in=user_ids
        ).values_list("instance_id", "from_stage_id", "to_stage_id", "by_id"),
    }
    # How many rows the database holds for each acknowledged key; each write takes one.
    available = {
        kind: Counter(tuple(row) if isinstance(row, list) else row for row in lookups[kind](ks))
        for kind, ks in keys.items()
    }
    by_kind = defaultdict(lambda: {"acknowledged": 0, "found": 0, "lost": []})
    by_step = defaultdict(lambda: {"acknowledged": 0, "found": 0, "lost": 0})
    for kind, key, step in ledger:
        by_kind[kind]["acknowledged"] += 1
        by_step[step]["acknowledged"] += 1
        if available[kind][key] > 0:
            available[kind][key] -= 1
            by_kind[kind]["found"] += 1
            by_step[step]["found"] += 1
        else:
            by_kind[kind]["lost"].append(key)
            by_step[step]["lost"] += 1
    result = {}
    for kind, counts in sorted(by_kind.items()):
        lost = counts.pop("lost")
        result[kind] = {**counts, "lost": lost[:20], "lost_count": len(lost)}
    return result, dict(by_step)


# --- The users -----------------------------------------------------------------------------


class Plan:
    """What the run's users share: set up before the runner starts."""

    run_id = ""
    password = ""
    fixtures: dict = {}
    think = (1.0, 3.0)
    logging_in = 0
    logged_in = 0
    sessions: list = []  # each user's cookies, logged in before the run
    login_seconds = 0.0
    stopping = False
    # The measured windows, one per step: {"users", "start", "end"} (perf_counter seconds).
    windows: list = []
    # Keyed by (step, request name); a request belongs to the window it started in.
    latencies: dict = defaultdict(list)
    statuses: dict = defaultdict(lambda: defaultdict(int))
    failed: dict = defaultdict(int)
    failures: dict = defaultdict(list)  # a few examples per request
    moves: dict = defaultdict(int)  # (step, outcome): the board's X-Board-Move answers
    ledger: list = []  # (kind, key, step) of every acknowledged write
    counter = 0

    @classmethod
    def next_marker(cls):
        cls.counter += 1
        return f"load {cls.run_id} {cls.counter}"

    @classmethod
    def step_at(cls, moment):
        """The step whose measured window holds `moment`, or None (ramp-up, settling)."""
        for step, window in enumerate(cls.windows):
            if window["start"] <= moment and (window["end"] is None or moment < window["end"]):
                return step
        return None


def on_request(request_type, name, response_time, response_length, response, exception, **_):
    step = Plan.step_at(time.perf_counter() - response_time / 1000)
    if step is None:
        return
    status = getattr(response, "status_code", 0) or 0
    Plan.latencies[step, name].append(response_time)
    Plan.statuses[step, name][status] += 1
    if exception is not None:
        Plan.failed[step, name] += 1
        if len(Plan.failures[step, name]) < 10:
            Plan.failures[step, name].append(f"{status}: {exception}"[:300])


def think_time(user):
    return random.uniform(*Plan.think)


class CrmUser(FastHttpUser):
    wait_time = think_time
    # A slow answer is a finding, not a client error: wait as long as gunicorn would.
    network_timeout = 60.0
    connection_timeout = 10.0

    def on_start(self):
        # Logged in before the run (log_in_everyone): the user takes its session's cookies.
        Plan.logging_in += 1
        number = Plan.logging_in
        self.username = f"{USER_PREFIX}{number}"
        self.user_pk = Plan.fixtures["users"][number - 1]
        for cookie in Plan.sessions[number - 1]:
            self.client.cookiejar.set_cookie(cookie)
        Plan.logged_in += 1
        if number == 1:
            # The writes the run checks afterwards happen at least once however short the run or
            # busy the machine (at random, a 10 s run on a loaded machine sometimes made none).
            self.create_customer()
            self.log_interaction()

    # Helpers

    @staticmethod
    def form(**fields):
        return urlencode(fields)

    def csrf_token(self):
        for cookie in self.client.cookiejar:
            if cookie.name == "csrftoken":
                return cookie.value
        return ""

    def htmx_headers(self, current, target, trigger):
        """What htmx adds to a request it makes (base.html's hx-headers add the CSRF token)."""
        return {
            "HX-Request": "true",
            "HX-Current-URL": f"{self.host}{current}",
            "HX-Target": target,
            "HX-Trigger": trigger,
        }

    def get(self, path, name, redirect=None, headers=None):
        """GET a page: a 200, or a redirect to a path matching `redirect` where one may come
        (a redirect to the login page means the session was lost). Returns the body of a 200."""
        if Plan.stopping:
            raise StopUser
        with self.client.get(
            path, name=name, headers=headers, allow_redirects=False, catch_response=True
        ) as response:
            location = urlsplit(response.headers.get("Location") or "").path
            redirected = (
                response.status_code == 302 and redirect and re.fullmatch(redirect, location)
            )
            if response.status_code != 200 and not redirected:
                response.failure(f"HTTP {response.status_code} {location!r}")
                return None
            return response.text if response.status_code == 200 else None

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

    def acknowledged(self, kind, key, started):
        Plan.ledger.append((kind, key, Plan.step_at(started)))

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
        """The navigation bar's search box (core.search): htmx asks for the dropdown when the
        typing pauses (first the start of the word, then all of it), then Enter opens the
        results page, or the record itself when only one matches."""
        term = random.choice(Plan.fixtures["search_terms"])
        headers = self.htmx_headers("/customers/", "global-search-results", "global-search")
        for typed in dict.fromkeys((term[:3], term)):
            self.get(
                f"/customers/search/?{urlencode({'q': typed})}",
                "search: as you type (htmx)",
                headers=headers,
            )
            gevent.sleep(random.uniform(0.3, 0.8))
        self.get(
            f"/customers/search/?{urlencode({'q': term})}",
            "search: results page",
            redirect=r"/(customers|contracts|invoices|processes/instances)/\d+/",
        )

    @task(2)
    def invoice_list(self):
        self.get("/invoices/", "invoice list")

    def board_path(self):
        return f"/processes/{Plan.fixtures['sales_definition']}/board/"

    @task(1)
    def board(self):
        if Plan.fixtures["sales_definition"]:
            self.get(self.board_path(), "sales board")

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
        started = time.perf_counter()
        if self.post(
            f"/customers/{customer}/interactions/new/",
            "log an interaction",
            fields,
            rf"/customers/{customer}/",
        ):
            self.acknowledged("interaction", marker, started)

    @task(2)
    def move_a_deal(self):
        """Open the sales board, drag a card the user may move to another working stage: what
        static/js/board.js posts with htmx (stage, the column it was seen in, no reason), with
        htmx's headers and the CSRF token base.html gives it. The answer is a 200 that says in
        X-Board-Move what became of the move: "moved", or "conflict" when another user moved
        the card first (the board then shows it where it is); anything else is a failure."""
        if not Plan.fixtures["sales_definition"]:
            return
        board = self.board_path()
        page = self.get(board, "sales board")
        if not page:
            return
        columns = re.findall(r'<section class="board-column" data-stage="(\d+)"', page)
        cards = re.findall(
            r'data-card="(\d+)" data-stage="(\d+)" data-title="[^"]*" data-movable', page
        )
        if not cards or len(columns) < 2:
            return
        card, stage = random.choice(cards)
        to_stage = random.choice([column for column in columns if column != stage])
        gevent.sleep(random.uniform(0.5, 1.5))  # finding the card and dragging it
        if Plan.stopping:
            raise StopUser
        headers = {
            **self.htmx_headers(board, f"card-{card}", f"card-{card}"),
            "X-CSRFToken": self.csrf_token(),
            "Content-Type": "application/x-www-form-urlencoded",
        }
        started = time.perf_counter()
        with self.client.post(
            f"/processes/instances/{card}/board-move/",
            name="move a deal (board, htmx)",
            data=self.form(stage=to_stage, from_stage=stage, reason=""),
            headers=headers,
            allow_redirects=False,
            catch_response=True,
        ) as response:
            outcome = response.headers.get("X-Board-Move") or ""
            if response.status_code != 200 or outcome not in ("moved", "conflict"):
                response.failure(f"HTTP {response.status_code}, X-Board-Move {outcome!r}")
                return
        Plan.moves[Plan.step_at(started), outcome] += 1
        if outcome == "moved":
            key = (int(card), int(stage), int(to_stage), self.user_pk)
            self.acknowledged("move", key, started)

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
        started = time.perf_counter()
        match = self.post("/customers/new/", "create a customer", fields, r"/customers/(\d+)/")
        if match:
            self.acknowledged("customer", (int(match[1]), name), started)

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
        started = time.perf_counter()
        match = self.post(
            f"/customers/{customer}/invoices/new/", "issue an invoice", fields, r"/invoices/(\d+)/"
        )
        if not match:
            return
        invoice = int(match[1])
        self.acknowledged("invoice", (invoice, number), started)
        payment = {
            "amount": "230.00",
            "currency": "PLN",
            "paid_on": today.isoformat(),
            "method": "bank_transfer",
            "reference": marker,
        }
        started = time.perf_counter()
        if self.post(
            f"/invoices/{invoice}/payments/new/",
            "register a payment",
            payment,
            rf"/invoices/{invoice}/",
        ):
            self.acknowledged("payment", marker, started)


# --- Running -------------------------------------------------------------------------------


def percentile(values, share):
    if not values:
        return None
    if len(values) == 1:
        return values[0]
    return statistics.quantiles(values, n=100, method="inclusive")[round(share * 100) - 1]


def cpu_times():
    """(all cores' time, their idle time) from /proc/stat, in ticks; None off Linux."""
    try:
        fields = [int(n) for n in Path("/proc/stat").read_text().split("\n")[0].split()[1:]]
    except (OSError, ValueError, IndexError):
        return None
    return sum(fields), fields[3] + fields[4]  # total, idle + iowait


def log_in_everyone(environment, host, count):
    """load_1 … load_<count> log in through the login form, CONCURRENT_LOGINS at a time, on
    the idle server before anything is measured; returns each one's cookies. (Logging in
    during a step, behind the queue of a saturated server, took minutes for 100 users.)"""
    slots = BoundedSemaphore(CONCURRENT_LOGINS)
    cookies = [None] * count

    def log_in(number):
        with slots:
            session = FastHttpSession(host, environment.events.request, None, network_timeout=60.0)
            page = session.get("/login/", name="log in (form)")
            token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text or "")
            response = session.post(
                "/login/",
                name="log in",
                data=urlencode(
                    {
                        "username": f"{USER_PREFIX}{number}",
                        "password": Plan.password,
                        "csrfmiddlewaretoken": token[1] if token else "",
                    }
                ),
                headers={"Content-Type": "application/x-www-form-urlencoded"},
                allow_redirects=False,
            )
            if response.status_code != 302:
                raise RuntimeError(
                    f"{USER_PREFIX}{number} could not log in: {response.status_code}"
                )
            cookies[number - 1] = list(session.cookiejar)

    gevent.joinall([gevent.spawn(log_in, n) for n in range(1, count + 1)], raise_error=True)
    return cookies


def run_steps(port, steps, seconds, settle):
    """Every user logs in first. Then for each number of users in `steps`: start the new
    users, SPAWN_RATE a second (the ramp-up), let them settle for `settle` seconds, then
    measure for `seconds`. Returns, per step, its window and what the machine did meanwhile:
    the share of all cores busy, and the share of one core this process (the load generator:
    gevent, one core at most) used."""
    CrmUser.host = f"http://{HOST}:{port}"
    environment = Environment(user_classes=[CrmUser], catch_exceptions=True)
    environment.events.request.add_listener(on_request)
    log(f"{steps[-1]} users logging in through the login form, {CONCURRENT_LOGINS} at a time")
    started = time.perf_counter()
    Plan.sessions = log_in_everyone(environment, CrmUser.host, steps[-1])
    Plan.login_seconds = round(time.perf_counter() - started, 1)
    log(f"all logged in after {Plan.login_seconds} s")
    runner = environment.create_local_runner()
    measured = []
    try:
        for users in steps:
            ramp_started = time.perf_counter()
            log(f"{users} users: {users - Plan.logged_in} more starting, {SPAWN_RATE} a second")
            runner.start(users, spawn_rate=SPAWN_RATE)
            deadline = time.monotonic() + 60 + users / SPAWN_RATE * 2
            while Plan.logged_in < users:
                if time.monotonic() > deadline:
                    sys.exit(f"only {Plan.logged_in} of {users} users started")
                gevent.sleep(0.1)
            ramp = time.perf_counter() - ramp_started
            if settle:
                log(f"all {users} started after {ramp:.1f} s; settling for {settle} s")
                gevent.sleep(settle)
            log(f"{users} users: measuring for {seconds} s")
            machine, client = cpu_times(), time.process_time()
            window = {"users": users, "start": time.perf_counter(), "end": None}
            Plan.windows.append(window)
            gevent.sleep(seconds)
            window["end"] = time.perf_counter()
            machine_after, client_after = cpu_times(), time.process_time()
            elapsed = window["end"] - window["start"]
            busy = None
            if machine and machine_after and machine_after[0] > machine[0]:
                total = machine_after[0] - machine[0]
                busy = round(1 - (machine_after[1] - machine[1]) / total, 3)
            measured.append(
                {
                    "users": users,
                    "seconds": round(elapsed, 2),
                    "ramp_up_s": round(ramp, 1),
                    "settle_s": settle,
                    "cpu_busy": busy,
                    "load_generator_cpu": round((client_after - client) / elapsed, 3),
                }
            )
        Plan.stopping = True  # no new requests; those in flight come back and are counted
        deadline = time.monotonic() + 90
        while runner.user_count and time.monotonic() < deadline:
            gevent.sleep(0.1)
    finally:
        runner.quit()
    return measured


def summarise(measured):
    """Per step: its requests (by name and in all), and the totals of the whole run."""
    steps = []
    for step, facts in enumerate(measured):
        names = sorted(name for s, name in Plan.latencies if s == step)
        rows = []
        for name in names:
            latencies = Plan.latencies[step, name]
            rows.append(
                {
                    "name": name,
                    "requests": len(latencies),
                    "p50_ms": percentile(latencies, 0.50),
                    "p95_ms": percentile(latencies, 0.95),
                    "p99_ms": percentile(latencies, 0.99),
                    "max_ms": max(latencies),
                    "statuses": dict(sorted(Plan.statuses[step, name].items())),
                    "failed": Plan.failed[step, name],
                    "examples": Plan.failures[step, name],
                }
            )
        everything = [ms for name in names for ms in Plan.latencies[step, name]]
        steps.append(
            {
                **facts,
                "requests": len(everything),
                "rps": len(everything) / facts["seconds"] if facts["seconds"] else 0,
                "p50_ms": percentile(everything, 0.50),
                "p95_ms": percentile(everything, 0.95),
                "p99_ms": percentile(everything, 0.99),
                "status_5xx": sum(
                    n for name in names for s, n in Plan.statuses[step, name].items() if s >= 500
                ),
                "failed": sum(Plan.failed[step, name] for name in names),
                "moves": {o: n for (s, o), n in sorted(Plan.moves.items(), key=str) if s == step},
                "by_request": rows,
            }
        )
    everything = [ms for values in Plan.latencies.values() for ms in values]
    seconds = sum(step["seconds"] for step in steps)
    totals = {
        "requests": len(everything),
        "seconds": round(seconds, 2),
        "rps": len(everything) / seconds if seconds else 0,
        "p50_ms": percentile(everything, 0.50),
        "p95_ms": percentile(everything, 0.95),
        "p99_ms": percentile(everything, 0.99),
        "status_5xx": sum(step["status_5xx"] for step in steps),
        "failed": sum(step["failed"] for step in steps),
    }
    return steps, totals


def table(rows, totals):
    header = (
        f"{'request':<27} {'count':>6} {'failed':>6} {'p50 ms':>7} {'p95 ms':>7} {'p99 ms':>7} "
        f"{'max ms':>7}  statuses"
    )
    lines = [header, "-" * (len(header) + 12)]
    for row in rows:
        statuses = " ".join(f"{s or 'conn'}:{n}" for s, n in row["statuses"].items())
        lines.append(
            f"{row['name']:<27} {row['requests']:>6} {row['failed']:>6} {row['p50_ms']:>7.0f} "
            f"{row['p95_ms']:>7.0f} {row['p99_ms']:>7.0f} {row['max_ms']:>7.0f}  {statuses}"
        )
    lines.append("-" * (len(header) + 12))
    lines.append(
        f"{'all':<27} {totals['requests']:>6} {totals['failed']:>6} {totals['p50_ms'] or 0:>7.0f} "
        f"{totals['p95_ms'] or 0:>7.0f} {totals['p99_ms'] or 0:>7.0f} {'':>7}  "
        f"{totals['rps']:.1f} req/s"
    )
    return "\n".join(lines)


def curve_table(steps):
    header = (
        f"{'users':>5} {'requests':>8} {'req/s':>6} {'p50 ms':>7} {'p95 ms':>7} {'p99 ms':>7} "
        f"{'5xx':>4} {'failed':>6} {'writes ok':>10} {'CPU busy':>8} {'locust':>6}"
    )
    lines = [header, "-" * len(header)]
    for step in steps:
        writes = step["writes"]
        busy = f"{step['cpu_busy']:.0%}" if step["cpu_busy"] is not None else "?"
        lines.append(
            f"{step['users']:>5} {step['requests']:>8} {step['rps']:>6.1f} "
            f"{step['p50_ms'] or 0:>7.0f} {step['p95_ms'] or 0:>7.0f} {step['p99_ms'] or 0:>7.0f} "
            f"{step['status_5xx']:>4} {step['failed']:>6} "
            f"{writes['found']:>4}/{writes['acknowledged']:<5} {busy:>8} "
            f"{step['load_generator_cpu']:>6.0%}"
        )
    return "\n".join(lines)


def plot_curve(report, path):
    """The load curve as a PNG: users on x; throughput on the left axis, p50/p95/p99 on the
    right; a step with any failed request or lost write marked in red."""
    import matplotlib
    import matplotlib.ticker

    matplotlib.use("Agg")
    from matplotlib import pyplot

    steps = report["steps"]
    users = [step["users"] for step in steps]
    figure, throughput_axis = pyplot.subplots(figsize=(9, 5.2), dpi=110)
    latency_axis = throughput_axis.twinx()
    throughput_axis.plot(
        users, [s["rps"] for s in steps], "o-", color="#1f5fa8", lw=2.2, label="throughput (req/s)"
    )
    throughput_axis.set_xlabel(
        "concurrent users (each thinks {:g} to {:g} s between actions)".format(
            *report["think_time_s"]
        )
    )
    throughput_axis.set_ylabel("requests per second", color="#1f5fa8")
    throughput_axis.tick_params(axis="y", colors="#1f5fa8")
    throughput_axis.set_ylim(bottom=0, top=max(s["rps"] for s in steps) * 1.25 or 1)
    for key, style, colour in (
        ("p50_ms", ":", "#555"),
        ("p95_ms", "--", "#c77800"),
        ("p99_ms", "-.", "#8a3ab9"),
    ):
        latency_axis.plot(
            users,
            [s[key] or 0 for s in steps],
            style,
            marker="s",
            ms=4,
            color=colour,
            label=f"{key[:3]} (ms)",
        )
    target = report.get("target_p95_ms")
    if target:
        latency_axis.axhline(target, color="#c77800", lw=0.8, alpha=0.6)
        latency_axis.annotate(
            f"target: p95 ≤ {target} ms",
            (1, target),
            xycoords=("axes fraction", "data"),
            xytext=(-4, 3),
            textcoords="offset points",
            ha="right",
            fontsize=8,
            color="#c77800",
        )
    # Logarithmic: tens of milliseconds at a few users and seconds on a saturated server
    # both stay readable, and so does the target between them.
    latency_axis.set_yscale("log")
    latency_axis.yaxis.set_major_formatter(matplotlib.ticker.FuncFormatter(lambda v, _: f"{v:g}"))
    latency_axis.set_ylabel("latency, ms (logarithmic)")
    errors = [
        (s["users"], s["rps"], s["failed"], s["writes"]["acknowledged"] - s["writes"]["found"])
        for s in steps
        if s["failed"] or s["writes"]["acknowledged"] != s["writes"]["found"]
    ]
    if errors:
        throughput_axis.scatter(
            [e[0] for e in errors],
            [e[1] for e in errors],
            marker="X",
            s=140,
            color="#d62728",
            zorder=5,
            label="errors",
        )
        for x, y, failed, lost in errors:
            throughput_axis.annotate(
                f"{failed} failed, {lost} lost",
                (x, y),
                # Below the mark, towards the middle, so that the last step's stays inside.
                xytext=(-8 if x == users[-1] else 8, -16),
                textcoords="offset points",
                ha="right" if x == users[-1] else "left",
                fontsize=8,
                color="#d62728",
            )
    else:
        throughput_axis.annotate(
            "no failed request, no lost write at any step",
            (0.01, 0.97),
            xycoords="axes fraction",
            fontsize=8,
            va="top",
            color="#2a7a2a",
        )
    throughput_axis.set_xticks(users)
    throughput_axis.grid(alpha=0.3)
    handles = throughput_axis.get_legend_handles_labels()
    more = latency_axis.get_legend_handles_labels()
    latency_axis.legend(
        handles[0] + more[0],
        handles[1] + more[1],
        loc="upper center",
        bbox_to_anchor=(0.5, -0.13),
        ncol=5,
        fontsize=8,
        frameon=False,
    )
    customers = report.get("customers_in_database")
    throughput_axis.set_title(
        f"CRM load curve: {customers:,} customers, gunicorn {report['workers']} workers, "
        f"{report['machine']['cores']} cores, {report['seconds']} s a step "
        f"({report['started_at'][:8]}, {report['revision']})\n"
        "all cores busy during each step: "
        + ", ".join(f"{s['cpu_busy']:.0%}" if s["cpu_busy"] is not None else "?" for s in steps)
        + f"; the load generator used at most "
        f"{max(s['load_generator_cpu'] for s in steps):.0%} of a core",
        fontsize=9,
    )
    figure.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path)
    pyplot.close(figure)


def parse_steps(text):
    try:
        steps = [int(n) for n in text.split(",") if n.strip()]
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"a list of user counts like 10,50,100, not {text!r}"
        ) from None
    if not steps or any(n < 1 for n in steps) or steps != sorted(set(steps)):
        raise argparse.ArgumentTypeError("user counts must be positive and rising, like 10,50,100")
    return steps


def parse_think(text):
    try:
        low, high = (float(n) for n in text.split("-"))
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"think time as LOW-HIGH seconds, like 1-3, not {text!r}"
        ) from None
    if not 0 <= low <= high:
        raise argparse.ArgumentTypeError("think time: 0 ≤ LOW ≤ HIGH")
    return low, high


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[1])
    who = parser.add_mutually_exclusive_group()
    who.add_argument("--users", type=int, default=50, help="concurrent users (default 50)")
    who.add_argument(
        "--steps",
        type=parse_steps,
        help="a stepped run, the load curve: these numbers of users in turn, e.g. 10,50,100,200",
    )
    parser.add_argument(
        "--seconds", type=int, default=60, help="length of the measured run, of each step (60)"
    )
    parser.add_argument(
        "--settle",
        type=float,
        help="seconds between the last login of a step and its measurement "
        "(default 10 with --steps, else 0)",
    )
    parser.add_argument(
        "--think",
        type=parse_think,
        default=(1.0, 3.0),
        metavar="LOW-HIGH",
        help="a user's pause between two actions, in seconds, drawn evenly (default 1-3)",
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
    parser.add_argument(
        "--png",
        type=Path,
        help="with --steps, write the curve here too (e.g. bench/results/load-curve.png)",
    )
    parser.add_argument(
        "--plot",
        type=Path,
        metavar="JSON",
        help="run nothing: draw the curve of an earlier stepped run's JSON (to --png, or "
        "beside the JSON)",
    )
    args = parser.parse_args()

    if args.plot:
        report = json.loads(args.plot.read_text())
        if "steps" not in report:
            sys.exit(f"{args.plot} is not the JSON of a load run with steps")
        png = args.png or args.plot.with_suffix(".png")
        plot_curve(report, png)
        print(f"PNG: {png}")
        return
    steps = args.steps or [args.users]
    stepped = len(steps) > 1 or args.png is not None
    if stepped:
        try:
            import matplotlib  # noqa: F401  (checked before the run, drawn after it)
        except ImportError:
            sys.exit("The curve needs matplotlib: pip install -e '.[bench]' (or '.[dev]')")
    settle = args.settle if args.settle is not None else (10.0 if len(steps) > 1 else 0.0)

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
        from django.utils import timezone

        Plan.run_id = secrets.token_hex(3)
        Plan.password = secrets.token_urlsafe(16)
        Plan.think = args.think
        Plan.fixtures = prepare_fixtures(steps[-1], Plan.password)
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
        started_at = timezone.now()
        server = start_server(port, server_log, **overrides)
        try:
            measured = run_steps(port, steps, args.seconds, settle)
        finally:
            stop_server(server)

        writes, writes_by_step = verify_writes(
            Plan.ledger, since=started_at, user_ids=Plan.fixtures["users"]
        )
        connections.close_all()
    finally:
        if args.drop:
            drop_database(server_url, name)

    results, totals = summarise(measured)
    for step, result in enumerate(results):
        result["writes"] = writes_by_step.get(step, {"acknowledged": 0, "found": 0, "lost": 0})
    lost = sum(w["lost_count"] for w in writes.values())
    acknowledged = sum(w["acknowledged"] for w in writes.values())
    report = {
        "started_at": stamp,
        "revision": git_revision(),
        "database": name,
        "generated_now": generated,
        "customers_in_database": Plan.fixtures["customers_in_database"],
        "users": steps[-1],
        "seconds": args.seconds,
        "settle_s": settle,
        "spawn_rate": SPAWN_RATE,
        "logins_s": Plan.login_seconds,
        "think_time_s": list(args.think),
        "workers": workers,
        "target_p95_ms": TARGET_P95_MS,
        "machine": {
            "cores": os.cpu_count(),
            "python": platform.python_version(),
            "platform": platform.platform(),
            "cpu_busy_before": busy_before,
            "load_average": os.getloadavg(),
        },
        "totals": totals,
        "steps": results,
        "writes": writes,
        # Writes made outside the measured windows (ramp-up, settling), also checked.
        "writes_between_steps": writes_by_step.get(None, {"acknowledged": 0, "found": 0}),
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
    think = "{:g} to {:g}".format(*args.think)
    print(
        f"\nCRM load run: {', '.join(map(str, steps))} users for {args.seconds} s "
        f"(think time {think} s) against gunicorn ({workers} workers) on {name} "
        f"({Plan.fixtures['customers_in_database']:,} customers); CPU busy before the run: {busy}"
    )
    for result in results:
        if len(results) > 1:
            print(f"\n{result['users']} users:")
        print(table(result["by_request"], result))
        if result["moves"]:
            moves = ", ".join(f"{outcome} {n}" for outcome, n in result["moves"].items())
            print(f"board moves: {moves}")
    if len(results) > 1:
        print(f"\nThe curve (p95 target at {TARGET_P95_MS} ms):")
        print(curve_table(results))
    print(
        f"\nwrites acknowledged: {acknowledged}, found in the database: "
        f"{acknowledged - lost}, lost: {lost}"
    )
    print(f"5xx responses: {totals['status_5xx']}, failed requests in all: {totals['failed']}")
    print(f"JSON: {output.relative_to(ROOT)}")
    if stepped:
        png = output.with_suffix(".png")
        plot_curve(report, png)
        print(f"PNG: {png.relative_to(ROOT)}")
        if args.png:
            args.png.parent.mkdir(parents=True, exist_ok=True)
            args.png.write_bytes(png.read_bytes())
            print(f"PNG: {args.png}")
    saturated = [r["users"] for r in results if r["load_generator_cpu"] > 0.8]
    if saturated:
        print(
            f"WARNING: the load generator used over 80 % of a core at {saturated} users: "
            "its own delays are then in the figures"
        )
    if totals["failed"] or lost or not acknowledged:
        print("FAILED: every request must succeed and every acknowledged write must be saved")
        sys.exit(1)


if __name__ == "__main__":
    main()
