#!/usr/bin/env python
"""Benchmark the CRM's main pages on PostgreSQL behind gunicorn; bench/README.md explains it.

    .venv/bin/python bench/run.py --size 100k        (or: make bench SIZE=100k)

1. Database crm_bench_<size>: created, migrated and filled by `manage.py generate_data` unless it
   already holds this size from the same generator (a marker in the database's comment).
2. Fixtures: a bench user in the manager group, the customer with the most interactions, a
   search term, a filter, the last list page.
3. SQL queries per page: Django's test client in this process, on the same database.
4. gunicorn with crm/gunicorn.conf.py, 2 workers, on 127.0.0.1; log in through the login form.
5. Per page: p50/p95 over sequential requests, then throughput at 8 connections for 20 s,
   against the one-query ceiling view on the same server.
6. A table on stdout and a JSON file in bench/results/.
"""

import argparse
import hashlib
import http.client
import json
import math
import os
import platform
import re
import secrets
import shutil
import socket
import statistics
import subprocess
import sys
import threading
import time
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import quote_plus, urlencode

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results"
HOST = "127.0.0.1"
BENCH_USER = "bench"
# Files whose content decides the data set: a changed generator means a regenerated database.
GENERATOR_FILES = ("demo/management/commands/generate_data.py", "demo/datagen/*.py")


@dataclass(frozen=True)
class Target:
    p95_ms: float
    min_share: float | None = None  # throughput as a share of the one-query ceiling

    def describe(self):
        text = f"p95≤{self.p95_ms:g}"
        if self.min_share is not None:
            text += f", ≥{self.min_share:.0%}"
        return text


# Targets by data-set size: the entry for the largest size not above the run's size applies
# (the smallest entry for smaller runs). From the benchmark issue: at 100k customers with
# history, customer list and customer page p95 ≤ 50 ms and ≥ 10 % of the ceiling; other pages
# p95 ≤ 150 ms. From issue 18, at 1M: every customer list variant and the customer page p95 ≤
# 30 ms and ≥ 15 % of the ceiling, the board and the KPI page p95 ≤ 60 ms and ≥ 8 %.
LIST = {100_000: Target(50, 0.10), 1_000_000: Target(30, 0.15)}
CUSTOMER_PAGE = {100_000: Target(50, 0.10), 1_000_000: Target(30, 0.15)}
OTHER = {100_000: Target(150)}
BOARD_AND_KPIS = {100_000: Target(150), 1_000_000: Target(60, 0.08)}
# Global search (issue 18): served by indexes at any size, p95 ≤ 30 ms and ≥ 15 % at 1M; at
# 100k held to the customer list's target.
SEARCH = {100_000: Target(50, 0.10), 1_000_000: Target(30, 0.15)}
# The API (issue 20): its customer list at p95 ≤ 30 ms; one customer as the customer page.
API_LIST = {100_000: Target(30, 0.10)}


@dataclass(frozen=True)
class Page:
    name: str
    path: str  # {placeholders} are filled from the fixtures (see find_fixtures)
    targets: dict[int, Target] = field(default_factory=lambda: OTHER)
    # Whose session requests it: the bench user (a manager), or a generated member of staff of
    # that role (see find_personas), for the pages that show each role its own work.
    persona: str = "manager"

    def target_for(self, size):
        eligible = [s for s in self.targets if s <= size] or [min(self.targets)]
        return self.targets[max(eligible)]


# One line per page; later issues append the pipeline board, ticket list, invoices, dashboards.
PAGES = [
    Page("Customer list", "/customers/", LIST),
    Page("Customer list, searched", "/customers/?q={search}", LIST),
    Page("Customer list, filtered", "/customers/?status=active&owner={owner}", LIST),
    Page("Customer list, sorted", "/customers/?ordering=-last_contact", LIST),
    Page("Customer list, deep page", "/customers/?page={last_page}", LIST),
    Page("Customer page, long history", "/customers/{customer}/", CUSTOMER_PAGE),
    # The navigation bar's box (customers:search): every kind, grouped, for a surname, a contact
    # person's e-mail (also their customer's: two hits, so the page does not redirect to one)
    # and a contract number (the contract and its invoices, by number prefix).
    Page("Global search, name", "/customers/search/?q={search}", SEARCH),
    Page("Global search, e-mail", "/customers/search/?q={search_email}", SEARCH),
    Page("Global search, number", "/customers/search/?q={search_number}", SEARCH),
    Page("Invoice list", "/invoices/"),
    Page("Invoice list, overdue", "/invoices/?overdue=on"),
    Page("Contract list", "/contracts/"),
    Page("Pipeline board", "/processes/{sales_definition}/board/", BOARD_AND_KPIS),
    Page("Process list", "/processes/instances/"),
    Page("Ticket list", "/tickets/"),
    # Manager reports (analytics/): each with its default period, the KPI dashboard also over
    # the longer periods a manager picks (analytics.reports.PERIOD_CHOICES).
    Page("Process KPIs, this month", "/reports/process-kpis/", BOARD_AND_KPIS),
    Page(
        "Process KPIs, last quarter", "/reports/process-kpis/?period=last_quarter", BOARD_AND_KPIS
    ),
    Page(
        "Process KPIs, last 12 months",
        "/reports/process-kpis/?period=last_12_months",
        BOARD_AND_KPIS,
    ),
    Page("Forecast report", "/reports/forecast/"),
    Page("Customer value report", "/reports/customer-value/"),
    Page("Segment report", "/reports/segments/"),
    Page("Data quality report", "/reports/data-quality/"),
    Page("Usage report", "/reports/usage/"),
    Page("How customer value is computed", "/value/"),
    # The API, read with the same session (the docs page's way in): a page of 50 customers by
    # cursor, one customer with its ETag. Creating a payment is measured apart (api_payments).
    Page("API customer list", "/api/v1/customers/", API_LIST),
    Page("API one customer", "/api/v1/customers/{customer}/", CUSTOMER_PAGE),
    # Every user's first page (analytics.home), as each role sees it: the sales rep who owns
    # the most customers, the service agent, the finance clerk, the manager.
    Page("Home, sales", "/", persona="sales"),
    Page("Home, service", "/", persona="service"),
    Page("Home, finance", "/", persona="finance"),
    Page("Home, manager", "/", persona="manager"),
]
# POST /api/v1/payments/ (with an Idempotency-Key), sequential only: each one writes.
API_PAYMENT = Page("API create payment", "/api/v1/payments/", OTHER)
CEILING = Page("Ceiling: one-query view", "/_bench/ceiling/")


def wanted(args, name):
    """Whether the run measures the page `name` (--only)."""
    return not args.only or any(text.lower() in name.lower() for text in args.only)


def parse_size(text):
    match = re.fullmatch(r"(\d+(?:\.\d+)?)([kKmM]?)", text.strip())
    if not match:
        raise argparse.ArgumentTypeError(f"{text!r} is not a size such as 2000, 100k or 1M")
    number = float(match[1]) * {"": 1, "k": 1_000, "m": 1_000_000}[match[2].lower()]
    return int(number)


def size_label(size):
    if size % 1_000_000 == 0:
        return f"{size // 1_000_000}m"
    if size % 1_000 == 0:
        return f"{size // 1_000}k"
    return str(size)


def log(message):
    print(f"[bench] {message}", file=sys.stderr, flush=True)


# --- The database ---------------------------------------------------------------------------


def generator_fingerprint():
    digest = hashlib.sha256()
    for pattern in GENERATOR_FILES:
        for path in sorted(ROOT.glob(pattern)):
            name = path.relative_to(ROOT).as_posix()
            digest.update(name.encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()[:12]


def connect(server_url, database="postgres"):
    import psycopg

    return psycopg.connect(f"{server_url}/{database}", autocommit=True)


def database_marker(admin, name):
    row = admin.execute(
        "SELECT shobj_description(oid, 'pg_database') FROM pg_database WHERE datname = %s",
        [name],
    ).fetchone()
    if row is None:
        return None
    return row[0] or ""


def manage(*args):
    subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, check=True)


def database_name(args):
    """The database a run uses: the one named by --database, else crm_bench_<size>."""
    return args.database or f"crm_bench_{size_label(args.size)}"


def prepare_database(args, name):
    """Create and fill crm_bench_<size>, or reuse it when it holds this very data set; a
    database named by --database is only migrated, never created, regenerated or dropped."""
    from psycopg import sql

    if args.database:
        if args.regenerate:
            sys.exit("--regenerate and --database exclude each other: --database is used as it is")
        with connect(args.server) as admin:
            if database_marker(admin, name) is None:
                sys.exit(f"There is no database {name} on {args.server}")
        log(f"using database {name} as it is (--database); migrating it")
        manage("migrate", "--noinput", "--verbosity=0")
        return False
    marker = f"crm-bench customers={args.size} seed={args.seed} generator={generator_fingerprint()}"
    with connect(args.server) as admin:
        existing = database_marker(admin, name)
        same_data_set = (
            existing is not None
            and existing.split(" generator=")[0] == marker.split(" generator=")[0]
        )
        if not args.regenerate and (
            existing == marker or (args.reuse_any_generator and same_data_set)
        ):
            if existing != marker:
                log(f"reusing {name} made by another generator version ({existing})")
            log(f"reusing database {name} ({marker})")
            manage("migrate", "--noinput", "--verbosity=0")
            return False
        if existing is not None:
            log(f"dropping database {name}: it holds {existing or 'an unfinished data set'!r}")
            admin.execute(sql.SQL("DROP DATABASE {} WITH (FORCE)").format(sql.Identifier(name)))
        admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    log(f"migrating and generating {args.size:,} customers into {name}")
    manage("migrate", "--noinput", "--verbosity=0")
    started = time.perf_counter()
    manage("generate_data", "--customers", str(args.size), "--seed", str(args.seed))
    log(f"generated in {time.perf_counter() - started:.0f} s; VACUUM ANALYZE")
    with connect(args.server, name) as connection:
        connection.execute("VACUUM ANALYZE")
    # The marker goes on last, so an interrupted generation is never mistaken for a data set.
    with connect(args.server) as admin:
        admin.execute(
            sql.SQL("COMMENT ON DATABASE {} IS {}").format(
                sql.Identifier(name), sql.Literal(marker)
            )
        )
    return True


# --- Fixtures and query counts (in process, through Django) --------------------------------


def find_fixtures(password):
    """The bench user and the values the page paths need, read from the generated data."""
    from django.conf import settings
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group
    from django.db.models import Count, F

    from core.pagination import LargeTablePaginator
    from core.permissions import MANAGER
    from customers.models import ContactPerson, Customer
    from processes.models import ProcessDefinition
    from relationships.models import Interaction, Invoice

    user, _ = get_user_model().objects.get_or_create(username=BENCH_USER)
    user.is_active = True
    user.set_password(password)
    user.save()
    user.groups.add(Group.objects.get(name=MANAGER))

    busiest = (
        Interaction.objects.values("customer_id")
        .annotate(n=Count("id"))
        .order_by("-n", "customer_id")
        .first()
    )
    if busiest is None:
        sys.exit("The bench database has no interactions: did generate_data run?")
    customer = Customer.objects.get(pk=busiest["customer_id"])
    owner = (
        Customer.objects.exclude(owner=None)
        .values("owner_id")
        .annotate(n=Count("id"))
        .order_by("-n", "owner_id")
        .first()
    )
    words = [w for w in re.findall(r"\w+", customer.display_name) if len(w) >= 4]
    total = Customer.objects.count()
    # The list counts up to a cap and offers pages up to it: its deepest page is the cap's.
    reachable = min(total, LargeTablePaginator.count_cap)
    sales = (
        ProcessDefinition.objects.filter(kind=ProcessDefinition.Kind.SALES, active=True)
        .order_by("id")
        .first()
    )
    # A person's own contact shares their e-mail: the search finds the customer and the contact.
    shared_email = (
        ContactPerson.objects.filter(email=F("customer__email"))
        .exclude(email="")
        .order_by("id")
        .values_list("email", flat=True)
        .first()
    )
    invoiced_contract = (
        Invoice.objects.filter(contract__isnull=False)
        .order_by("id")
        .values_list("contract__number", flat=True)
        .first()
    )
    return {
        "sales_definition": sales.pk if sales else 0,
        "search_email": shared_email or customer.email or "nobody@example.com",
        "search_number": invoiced_contract or "C-1",
        "customer": customer.pk,
        "customer_interactions": busiest["n"],
        "customer_name": customer.display_name,
        "search": max(words, key=len).lower() if words else customer.display_name[:4],
        "owner": owner["owner_id"] if owner else "",
        "customers": total,
        "last_page": max(1, math.ceil(reachable / settings.CUSTOMER_LIST_PAGE_SIZE)),
    }


def find_personas(password):
    """{role: username} of the members of staff the role pages are requested as, their password
    set to the run's: the bench user for a manager; for the others, generate_data's staff (the
    sales rep owning the most customers, the service agent owning the most open processes)."""
    from django.contrib.auth import get_user_model
    from django.db.models import Count, Q

    from core.permissions import FINANCE, SALES, SERVICE

    User = get_user_model()
    personas = {"manager": BENCH_USER}
    busiest = {
        SALES: Count("owned_customers", distinct=True),
        SERVICE: Count(
            "owned_process_instances",
            filter=Q(owned_process_instances__closed_at__isnull=True),
            distinct=True,
        ),
        FINANCE: Count("pk"),
    }
    for role, measure in busiest.items():
        user = (
            User.objects.filter(is_active=True, groups__name=role)
            .annotate(n=measure)
            .order_by("-n", "username")
            .first()
        )
        if user is None:
            sys.exit(f"The bench database has no active {role} user: did generate_data run?")
        user.set_password(password)
        user.save(update_fields=["password"])
        personas[role] = user.username
    return personas


def page_path(page, fixtures):
    return page.path.format(**{key: quote_plus(str(value)) for key, value in fixtures.items()})


def count_queries(requests):
    """SQL queries per request, from the second request on (the first fills per-process caches);
    `requests` are (path, username) pairs, the result is keyed by them."""
    from django.contrib.auth import get_user_model
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext, setup_test_environment

    setup_test_environment()  # response.context, for the number of rows a list page matched
    clients = {}
    counts = {}
    for path, username in requests:
        if username not in clients:
            clients[username] = Client(SERVER_NAME=HOST)
            clients[username].force_login(
                get_user_model().objects.get(username=username),
                backend="core.auth.ProfileModelBackend",
            )
        client = clients[username]
        client.get(path)
        with CaptureQueriesContext(connection) as captured:
            response = client.get(path)
        if response.status_code != 200:
            sys.exit(f"GET {path} answered {response.status_code} in the test client")
        page = response.context.get("page") if response.context else None
        rows = page.paginator.count if page is not None and hasattr(page, "paginator") else None
        counts[path, username] = {"queries": len(captured), "rows": rows}
    connection.close()
    return counts


# --- The server ----------------------------------------------------------------------------


def free_port():
    with socket.socket() as probe:
        probe.bind((HOST, 0))
        return probe.getsockname()[1]


def start_server(port, log_path, **overrides):
    """gunicorn with crm/gunicorn.conf.py on HOST:port; `overrides` are environment variables
    (bench/load.py runs the production number of workers, recycled as in production)."""
    env = {
        **os.environ,
        "GUNICORN_BIND": f"{HOST}:{port}",
        "WEB_CONCURRENCY": "2",
        # Workers are not recycled mid-measurement: a restart would land in one page's numbers.
        "GUNICORN_MAX_REQUESTS": "0",
        **overrides,
    }
    gunicorn = Path(sys.executable).with_name("gunicorn")
    command = [str(gunicorn), "-c", "crm/gunicorn.conf.py", "crm.wsgi"]
    server = subprocess.Popen(
        command, cwd=ROOT, env=env, stdout=log_path.open("w"), stderr=subprocess.STDOUT
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if server.poll() is not None:
            sys.exit(f"gunicorn exited with {server.returncode}; see {log_path}")
        try:
            connection = http.client.HTTPConnection(HOST, port, timeout=2)
            connection.request("GET", "/login/")
            if connection.getresponse().status == 200:
                return server
        except OSError:
            time.sleep(0.2)
    server.terminate()
    sys.exit(f"gunicorn did not answer on {HOST}:{port} within 60 s; see {log_path}")


def stop_server(server):
    server.terminate()
    try:
        server.wait(timeout=15)
    except subprocess.TimeoutExpired:
        server.kill()
        server.wait()


def log_in(port, password, username=BENCH_USER):
    """Log in through the login form, as a person would; returns the Cookie header."""
    connection = http.client.HTTPConnection(HOST, port, timeout=30)
    connection.request("GET", "/login/")
    response = connection.getresponse()
    body = response.read().decode()
    csrf_cookie = re.search(r"csrftoken=([^;]+)", response.getheader("Set-Cookie", ""))
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', body)
    if not (csrf_cookie and token):
        sys.exit("The login page has no CSRF cookie or token")
    form = urlencode({"username": username, "password": password, "csrfmiddlewaretoken": token[1]})
    connection = http.client.HTTPConnection(HOST, port, timeout=30)
    connection.request(
        "POST",
        "/login/",
        body=form,
        headers={
            "Content-Type": "application/x-www-form-urlencoded",
            "Cookie": f"csrftoken={csrf_cookie[1]}",
        },
    )
    response = connection.getresponse()
    response.read()
    session = re.search(r"sessionid=([^;]+)", response.getheader("Set-Cookie", ""))
    if response.status != 302 or not session:
        sys.exit(f"Logging in as {username} failed (HTTP {response.status})")
    return f"sessionid={session[1]}; csrftoken={csrf_cookie[1]}"


# --- Measuring -----------------------------------------------------------------------------


def sequential(port, path, cookie, requests, warmup):
    """Latencies in ms of `requests` requests one after another (after `warmup` unrecorded ones)."""
    connection = http.client.HTTPConnection(HOST, port, timeout=30)
    latencies = []
    for i in range(warmup + requests):
        started = time.perf_counter()
        connection.request("GET", path, headers={"Cookie": cookie})
        response = connection.getresponse()
        response.read()
        elapsed = time.perf_counter() - started
        if response.status != 200:
            sys.exit(f"GET {path} answered {response.status}")
        if i >= warmup:
            latencies.append(elapsed * 1000)
    connection.close()
    cuts = statistics.quantiles(latencies, n=100, method="inclusive")
    return {
        "p50_ms": statistics.median(latencies),
        "p95_ms": cuts[94],
        "p99_ms": cuts[98],
        "mean_ms": statistics.fmean(latencies),
        "requests": len(latencies),
    }


def ensure_wrk():
    if shutil.which("wrk"):
        return True
    if os.geteuid() == 0 and shutil.which("apt-get"):
        log("installing wrk with apt-get (the load generator)")
        quiet = {"stdout": subprocess.DEVNULL, "stderr": subprocess.DEVNULL}
        env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
        if subprocess.run(["apt-get", "install", "-y", "-qq", "wrk"], env=env, **quiet).returncode:
            subprocess.run(["apt-get", "update", "-qq"], env=env, **quiet)
            subprocess.run(["apt-get", "install", "-y", "-qq", "wrk"], env=env, **quiet)
    return bool(shutil.which("wrk"))


def throughput_wrk(port, path, cookie, connections, duration):
    command = [
        "wrk",
        f"-t{min(2, connections)}",
        f"-c{connections}",
        f"-d{duration}s",
        "--timeout",
        "10s",
        "-H",
        f"Cookie: {cookie}",
        f"http://{HOST}:{port}{path}",
    ]
    output = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    rate = re.search(r"Requests/sec:\s+([\d.]+)", output)
    if not rate:
        sys.exit(f"Cannot read wrk's output:\n{output}")
    bad = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    errors = re.search(
        r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", output
    )
    return {
        "rps": float(rate[1]),
        "non_2xx": int(bad[1]) if bad else 0,
        "socket_errors": sum(map(int, errors.groups())) if errors else 0,
    }


def throughput_python(port, path, cookie, connections, duration):
    """Fallback load generator: one thread and connection per concurrent client."""
    done = [0] * connections
    failed = [0] * connections
    deadline = time.perf_counter() + duration

    def client(i):
        connection = http.client.HTTPConnection(HOST, port, timeout=30)
        while time.perf_counter() < deadline:
            connection.request("GET", path, headers={"Cookie": cookie})
            response = connection.getresponse()
            response.read()
            if response.status == 200:
                done[i] += 1
            else:
                failed[i] += 1

    started = time.perf_counter()
    threads = [threading.Thread(target=client, args=(i,)) for i in range(connections)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - started
    return {"rps": sum(done) / elapsed, "non_2xx": sum(failed), "socket_errors": 0}


def measure(page, path, port, cookie, args, load):
    log(f"{page.name}: {path}")
    result = {"name": page.name, "path": path}
    result.update(sequential(port, path, cookie, args.requests, args.warmup))
    result.update(load(port, path, cookie, args.connections, args.duration))
    if result["non_2xx"] or result["socket_errors"]:
        log(f"  {result['non_2xx']} non-2xx responses, {result['socket_errors']} socket errors")
    return result


def api_payments(port, requests, warmup):
    """p50/p95 of POST /api/v1/payments/ through a read-write token: payments of 0.01 against
    the open invoice with the largest balance, each with its own Idempotency-Key. The payments
    are deleted and the invoice's paid amount restored afterwards, so a reused database keeps
    its data set."""
    from decimal import Decimal

    from django.contrib.auth import get_user_model
    from django.db import transaction
    from django.db.models import F
    from django.utils import timezone

    from api.models import ApiToken
    from api.services import token_create
    from core import audit
    from relationships.models import Invoice, Payment

    user = get_user_model().objects.get(username=BENCH_USER)
    invoice = (
        Invoice.objects.filter(written_off_at=None)
        .annotate(open_balance=F("amount") - F("paid_amount"))
        .order_by("-open_balance", "id")
        .first()
    )
    if invoice is None or invoice.open_balance < Decimal("10"):
        log("no invoice with a balance to pay: the payment creation is not measured")
        return None
    token, secret = token_create(user=user, name="bench", access=ApiToken.Access.WRITE)
    before = set(Payment.objects.filter(invoice=invoice).values_list("id", flat=True))
    paid_before = invoice.paid_amount
    body = {
        "invoice": invoice.pk,
        "amount": "0.01",
        "currency": invoice.currency,
        "paid_on": timezone.localdate().isoformat(),
        "method": "bank_transfer",
    }
    connection = http.client.HTTPConnection(HOST, port, timeout=30)
    latencies = []
    try:
        for i in range(warmup + requests):
            headers = {
                "Authorization": f"Bearer {secret}",
                "Content-Type": "application/json",
                "Idempotency-Key": f"bench-{secrets.token_hex(8)}",
            }
            started = time.perf_counter()
            connection.request("POST", API_PAYMENT.path, body=json.dumps(body), headers=headers)
            response = connection.getresponse()
            response.read()
            elapsed = time.perf_counter() - started
            if response.status != 201:
                sys.exit(f"POST {API_PAYMENT.path} answered {response.status}")
            if i >= warmup:
                latencies.append(elapsed * 1000)
    finally:
        connection.close()
        with audit.suspended(), transaction.atomic():
            Payment.objects.filter(invoice=invoice).exclude(id__in=before).delete()
            Invoice.objects.filter(pk=invoice.pk).update(paid_amount=paid_before)
            token.delete()
    cuts = statistics.quantiles(latencies, n=100, method="inclusive")
    return {
        "name": API_PAYMENT.name,
        "path": API_PAYMENT.path,
        "p50_ms": statistics.median(latencies),
        "p95_ms": cuts[94],
        "requests": len(latencies),
        "target": asdict(API_PAYMENT.target_for(100_000)),
        "met": cuts[94] <= API_PAYMENT.target_for(100_000).p95_ms,
    }


# --- Reporting -----------------------------------------------------------------------------


def judge(result, target, ceiling_rps):
    result["share"] = result["rps"] / ceiling_rps if ceiling_rps else None
    result["target"] = asdict(target)
    met = result["p95_ms"] <= target.p95_ms
    if target.min_share is not None:
        met = met and result["share"] is not None and result["share"] >= target.min_share
    result["met"] = met and not result["non_2xx"]
    return result


def table(ceiling, results):
    header = (
        f"{'page':<30} {'p50 ms':>7} {'p95 ms':>7} {'queries':>7} {'req/s':>8} "
        f"{'ceiling':>7}  {'target':<16} met"
    )
    lines = [header, "-" * len(header)]
    for row in [ceiling, *results]:
        share = f"{row['share']:.1%}" if row.get("share") is not None else ""
        target = Target(**row["target"]).describe() if row.get("target") else ""
        met = {True: "yes", False: "NO", None: ""}[row.get("met")]
        lines.append(
            f"{row['name']:<30} {row['p50_ms']:>7.1f} {row['p95_ms']:>7.1f} "
            f"{row['queries'] if row['queries'] is not None else '?':>7} {row['rps']:>8.1f} "
            f"{share:>7}  {target:<16} {met}"
        )
    return "\n".join(lines)


def cpu_busy(seconds=2.0):
    """The share of all cores' time spent busy over the next `seconds` (Linux), else None."""

    def sample():
        fields = [int(n) for n in Path("/proc/stat").read_text().split("\n")[0].split()[1:]]
        return sum(fields), fields[3] + fields[4]  # total, idle + iowait

    try:
        total_before, idle_before = sample()
        time.sleep(seconds)
        total_after, idle_after = sample()
    except (OSError, ValueError, IndexError):
        return None
    total = total_after - total_before
    return round(1 - (idle_after - idle_before) / total, 3) if total else None


def git_revision():
    try:
        revision = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no"],
            cwd=ROOT,
            capture_output=True,
            text=True,
        ).stdout.strip()
    except OSError:
        return None
    return f"{revision}{'-dirty' if dirty else ''}" or None


# --- Main ----------------------------------------------------------------------------------


def add_database_arguments(parser):
    """The options that choose the bench database; bench/score_job.py takes the same."""
    parser.add_argument(
        "--size",
        type=parse_size,
        default=parse_size("100k"),
        help="customers in the data set: 2000, 100k, 1M (default 100k)",
    )
    parser.add_argument("--seed", type=int, default=1, help="generator seed (default 1)")
    parser.add_argument(
        "--server",
        default=os.environ.get("BENCH_POSTGRES", "postgres://postgres@127.0.0.1:5432"),
        help="PostgreSQL server URL without a database name "
        "(default $BENCH_POSTGRES or postgres://postgres@127.0.0.1:5432)",
    )
    parser.add_argument(
        "--database",
        metavar="NAME",
        help="use this existing database as it is (only migrated; never created, regenerated "
        "or dropped) instead of crm_bench_<size>; --size then only chooses the targets",
    )
    parser.add_argument(
        "--regenerate",
        action="store_true",
        help="drop and regenerate the database even if it holds this data set",
    )
    parser.add_argument(
        "--reuse-any-generator",
        action="store_true",
        help="reuse a database of this size and seed even if the generator has changed since "
        "(to measure app changes without regenerating a large data set)",
    )


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    add_database_arguments(parser)
    parser.add_argument(
        "--requests",
        type=int,
        default=200,
        help="sequential requests per page for p50/p95 (default 200)",
    )
    parser.add_argument(
        "--warmup", type=int, default=20, help="unrecorded requests before them (default 20)"
    )
    parser.add_argument(
        "--connections",
        type=int,
        default=8,
        help="concurrent connections for throughput (default 8)",
    )
    parser.add_argument(
        "--duration", type=int, default=20, help="seconds of load per page (default 20)"
    )
    parser.add_argument(
        "--client",
        choices=("auto", "wrk", "python"),
        default="auto",
        help="load generator: wrk (installed with apt-get when missing), "
        "python threads, or auto: wrk when it can be had (default)",
    )
    parser.add_argument(
        "--check", action="store_true", help="exit with status 1 when a page misses its target"
    )
    parser.add_argument(
        "--prepare-only",
        action="store_true",
        help="create or check the database and stop, without measuring",
    )
    parser.add_argument(
        "--only",
        metavar="TEXT",
        action="append",
        help="measure only the pages whose name contains TEXT; may be given several times (the "
        "ceiling is always measured)",
    )
    parser.add_argument(
        "--rounds",
        type=int,
        default=1,
        help="measure the ceiling and the pages this many times in turn, on one server; with "
        "--check a page must meet its target in every round (default 1)",
    )
    args = parser.parse_args()
    pages = [p for p in PAGES if wanted(args, p.name)]
    if not pages:
        parser.error(f"no page name contains any of {args.only!r}")

    label = size_label(args.size)
    name = database_name(args)
    os.environ.update(
        {
            "CRM_BENCH": "1",
            "DJANGO_SETTINGS_MODULE": "crm.settings.bench",
            "DEBUG": "false",
            "SECRET_KEY": secrets.token_urlsafe(32),
            "ALLOWED_HOSTS": HOST,
            "DATABASE_URL": f"{args.server}/{name}",
            # Nothing the pages queue should reach a real worker.
            "CELERY_BROKER_URL": "memory://",
            "LOG_LEVEL": "WARNING",
        }
    )
    os.chdir(ROOT)
    sys.path.insert(0, str(ROOT))

    generated = prepare_database(args, name)
    if args.prepare_only:
        return
    # What the nightly jobs keep ready in production, the reports read: the per-day rollups
    # (only days not computed yet, so a reused database costs seconds).
    manage("rollup_usage", "--verbosity=0")
    manage("rollup_process_kpis", "--verbosity=0")
    # The server runs with DEBUG off: whitenoise serves the collected, hashed files.
    manage("collectstatic", "--noinput", "--verbosity=0")

    import django

    django.setup()
    password = secrets.token_urlsafe(16)
    fixtures = find_fixtures(password)
    log(
        f"{fixtures['customers']:,} customers; long history: #{fixtures['customer']} "
        f"{fixtures['customer_name']!r} with {fixtures['customer_interactions']} interactions"
    )
    personas = find_personas(password)
    paths = [page_path(page, fixtures) for page in pages]
    users = [personas[page.persona] for page in pages]
    queries = count_queries([(CEILING.path, BENCH_USER), *zip(paths, users, strict=True)])

    if args.client == "python":
        load, client = throughput_python, "python threads"
    elif ensure_wrk():
        load, client = throughput_wrk, "wrk"
    elif args.client == "wrk":
        sys.exit("wrk is not installed and could not be installed with apt-get")
    else:
        log("wrk is not available: falling back to Python threads, which may cap throughput")
        load, client = throughput_python, "python threads"

    RESULTS.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    server_log = RESULTS / f"gunicorn-{label}-{stamp}.log"
    busy_before = cpu_busy()
    if busy_before is not None and busy_before > 0.25:
        log(
            f"the machine is busy ({busy_before:.0%} of its CPU time in use before the server "
            "starts): the numbers will be lower than on an idle machine"
        )
    port = free_port()
    log(f"gunicorn (2 workers) on {HOST}:{port}, log in {server_log.relative_to(ROOT)}")
    server = start_server(port, server_log)
    try:
        cookies = {username: log_in(port, password, username) for username in {BENCH_USER, *users}}
        rounds = []
        for number in range(1, args.rounds + 1):
            if args.rounds > 1:
                log(f"round {number} of {args.rounds}")
            ceiling = measure(CEILING, CEILING.path, port, cookies[BENCH_USER], args, load)
            ceiling.update(queries[CEILING.path, BENCH_USER], share=1.0)
            results = []
            for page, path, username in zip(pages, paths, users, strict=True):
                result = measure(page, path, port, cookies[username], args, load)
                result.update(queries[path, username], persona=username)
                results.append(judge(result, page.target_for(args.size), ceiling["rps"]))
            rounds.append({"ceiling": ceiling, "pages": results})
        payment = None
        if wanted(args, API_PAYMENT.name):
            log(f"{API_PAYMENT.name}: POST {API_PAYMENT.path}")
            payment = api_payments(port, min(args.requests, 100), args.warmup)
    finally:
        stop_server(server)

    report = {
        "size": args.size,
        "seed": args.seed,
        "database": name,
        "generated_now": generated,
        "started_at": stamp,
        "revision": git_revision(),
        "machine": {
            "cores": os.cpu_count(),
            "python": platform.python_version(),
            "platform": platform.platform(),
            "cpu_busy_before": busy_before,
        },
        "method": {
            "workers": 2,
            "client": client,
            "connections": args.connections,
            "duration_s": args.duration,
            "sequential_requests": args.requests,
            "warmup_requests": args.warmup,
        },
        "fixtures": fixtures,
        "personas": personas,
        # The last round's, as a one-round run gives them; every round's in "rounds".
        "ceiling": ceiling,
        "pages": results,
        "rounds": rounds,
        "api_payment": payment,
    }
    output = RESULTS / f"bench-{label}-{stamp}.json"
    output.write_text(json.dumps(report, indent=2, default=str) + "\n")

    print(
        f"\nCRM benchmark: {args.size:,} customers ({name}), gunicorn 2 workers, "
        f"{args.connections} connections for {args.duration} s ({client})"
    )
    for number, measured in enumerate(rounds, start=1):
        if len(rounds) > 1:
            print(f"\nRound {number} of {len(rounds)}")
        print(table(measured["ceiling"], measured["pages"]))
    if payment is not None:
        print(
            f"{payment['name']:<30} {payment['p50_ms']:>7.1f} {payment['p95_ms']:>7.1f} "
            f"(sequential POSTs, {payment['requests']})"
        )
    missed = list(
        dict.fromkeys(r["name"] for measured in rounds for r in measured["pages"] if not r["met"])
    )
    if payment is not None and not payment["met"]:
        missed.append(payment["name"])
    print(f"\nTargets missed: {', '.join(missed)}" if missed else "\nAll targets met.")
    print(f"JSON: {output.relative_to(ROOT)}")
    if args.check and missed:
        sys.exit(1)


if __name__ == "__main__":
    main()
