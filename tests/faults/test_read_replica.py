"""Read replicas (issue 18): with DATABASE_REPLICA_URL, reports, exports, list counts and API
list reads come from a real streaming replica; a user who has just written reads their writes
from the primary; a replica that stops never fails a page.

A replica of the fault runs' own PostgreSQL (pg_basebackup, hot standby on a spare port),
gunicorn serving the app with both. The replica's replay is paused, so it is provably stale:
a page that shows what was written after the pause read the primary, one that does not read
the replica."""

import csv
import io
import json
from datetime import date
from urllib.parse import urlsplit, urlunsplit

import pytest
from django.db import connection

from tests import servers

pytestmark = pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="read replicas are PostgreSQL streaming replicas: this runs in the PostgreSQL run "
    "(DATABASE_URL=postgres://…, as .ci/run sets it), not on SQLite",
)

USERS = """
import time
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
from django.contrib.sessions.backends.db import SessionStore
from core import mfa, sessions
from core.permissions import MANAGER, SALES
from tests.factories import UserFactory

keys = {}
for name in ("replica-writer", "replica-reader"):
    user = UserFactory(username=name, roles=[MANAGER, SALES])
    session = SessionStore()
    session[SESSION_KEY] = str(user.pk)
    session[BACKEND_SESSION_KEY] = "core.auth.ProfileModelBackend"
    session[HASH_SESSION_KEY] = user.get_session_auth_hash()
    session[sessions.LOGIN_AT] = session[sessions.SEEN_AT] = int(time.time())
    session[mfa.SESSION_KEY] = mfa.OFF
    session.create()
    keys[name] = session.session_key
print(json.dumps(keys))
"""

BEHIND_THE_APP = """
from django.contrib.auth import get_user_model
from tests.factories import CustomerFactory

reader = get_user_model().objects.get(username="replica-reader")
customer = CustomerFactory(display_name="Written Behind The Replica", owner=reader,
                           created_by=reader)
print(json.dumps({"customer": customer.pk}))
"""

ROUTING = """
from django.conf import settings
from customers.models import Customer
from core.db import replica

outside = Customer.objects.all().db
with replica.reads():
    inside = Customer.objects.all().db
settings.REPLICA_MAX_LAG_SECONDS = 0.001
replica.forget_health()
with replica.reads():
    too_late = Customer.objects.all().db
print(json.dumps({"lag": replica.lag_seconds(), "outside": outside, "inside": inside,
                  "too_late": too_late}))
"""


def _on_port(url: str, port: int) -> str:
    parts = urlsplit(url)
    return urlunsplit(parts._replace(netloc=f"{parts.username}@127.0.0.1:{port}"))


def _export_names(browser) -> set[str]:
    status, _, body = browser.get("/customers/?format=csv")
    assert status == 200, body[:500]
    rows = list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))
    column = rows[0].index("Name")
    return {row[column] for row in rows[1:]}


def _api_names(browser) -> set[str]:
    status, _, body = browser.get("/api/v1/customers/?page_size=100")
    assert status == 200, body[:500]
    return {row["display_name"] for row in json.loads(body)["results"]}


def _list_count(browser) -> bytes:
    """The customer list's "N customers" line (its rows are read from the primary)."""
    status, _, body = browser.get("/customers/")
    assert status == 200, body[:500]
    return body


def _customers_added(browser, username) -> str:
    """The usage report's "Customers added" for `username` (today is counted live)."""
    status, _, body = browser.get("/reports/usage/?format=csv&table=users")
    assert status == 200, body[:500]
    rows = list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))
    column = rows[0].index("Customers added")
    return next(row[column] for row in rows[1:] if row[0] == username)


def _reports_answer(browser):
    for path in ("/reports/process-kpis/", "/reports/forecast/", "/reports/customer-value/"):
        status, _, body = browser.get(path)
        assert status == 200, (path, body[:500])


@pytest.fixture
def replica(pg_cluster, app_database):
    standby = servers.PostgresReplica(pg_cluster).start()
    try:
        yield standby
    finally:
        standby.stop()


def test_reads_go_to_the_replica_a_writer_reads_the_primary_and_a_stopped_replica_costs_nothing(
    pg_cluster, app_database, replica
):
    primary_env = servers.app_environment(DATABASE_URL=app_database)
    sessions = servers.run_python(primary_env, USERS)
    replica_url = _on_port(app_database, replica.port)
    env = servers.app_environment(
        DATABASE_URL=app_database,
        DATABASE_REPLICA_URL=replica_url,
        # Stale on purpose here; ROUTING shows the limit at work.
        REPLICA_MAX_LAG_SECONDS=3600,
        REPLICA_CHECK_SECONDS=0,
        REPLICA_STICKY_SECONDS=60,
    )
    replica.wait_for_catch_up()
    replica.pause_replay()
    written = servers.run_python(primary_env, BEHIND_THE_APP)["customer"]
    name = "Written Behind The Replica"

    # The replica is behind: the lag limit decides whether it may serve.
    routing = servers.run_python(env, ROUTING)
    assert routing["outside"] == "default" and routing["inside"] == "replica"
    assert routing["lag"] > 0
    assert routing["too_late"] == "default"

    web, port = servers.gunicorn(env, workers=1)
    try:
        reader = servers.Browser(port, sessions["replica-reader"], timeout=60)
        writer = servers.Browser(port, sessions["replica-writer"], keep={"crm_primary"})

        # Exports, API lists, list counts and reports read the stale replica ...
        assert name not in _export_names(reader)
        assert name not in _api_names(reader)
        listed = _list_count(reader)
        assert name.encode() in listed  # the page's rows: the primary
        assert b">0 customers</p>" in listed  # its count: the replica
        assert _customers_added(reader, "replica-reader") == "0"
        _reports_answer(reader)  # in a transaction on the replica (report_transaction)
        # ... and everything else the primary.
        status, _, page = reader.get(f"/customers/{written}/")
        assert status == 200 and name.encode() in page

        # A write through the app: its author reads it back at once, from the primary.
        status, _, body = writer.request(
            "POST",
            "/api/v1/customers/",
            json_body={
                "kind": "organisation",
                "display_name": "Written Through The App",
                "source": "referral",
                "first_contact_on": date.today().isoformat(),
                "first_contact": {"channel": "call", "subject": "First call"},
            },
        )
        assert status == 201, body[:2000]
        assert "crm_primary" in writer.cookies
        assert {"Written Through The App", name} <= _export_names(writer)
        assert {"Written Through The App", name} <= _api_names(writer)
        # Another user, who wrote nothing, still reads the replica, which has neither.
        assert not {"Written Through The App", name} & _export_names(reader)

        # The replica stops: every page answers, from the primary.
        replica.halt()
        assert {"Written Through The App", name} <= _export_names(reader)
        assert {"Written Through The App", name} <= _api_names(reader)
        assert b">2 customers</p>" in _list_count(reader)
        assert _customers_added(reader, "replica-reader") == "1"
        _reports_answer(reader)
    finally:
        web.stop()
