"""The short form of the load run (bench/load.py): concurrent logged-in users reading and
writing (deals moved on the board included) against gunicorn on PostgreSQL; no 5xx and no
acknowledged write missing."""

import json
import os
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import psycopg
import pytest

ROOT = Path(__file__).resolve().parent.parent
DATABASE_URL = os.environ.get("DATABASE_URL", "")

pytestmark = [
    pytest.mark.load,
    pytest.mark.skipif(
        not DATABASE_URL.startswith("postgres"),
        reason="the load run needs PostgreSQL (set DATABASE_URL): gunicorn's workers write "
        "concurrently, which SQLite serialises",
    ),
]


@pytest.fixture
def throwaway_database():
    """A database of its own next to the test database, dropped afterwards."""
    server = urlunsplit(urlsplit(DATABASE_URL)._replace(path="", query=""))
    name = f"crm_load_{os.getpid()}"
    yield server, name
    with psycopg.connect(f"{server}/postgres", autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def test_concurrent_users_get_no_server_error_and_lose_no_write(throwaway_database, tmp_path):
    server, name = throwaway_database
    report_path = tmp_path / "load.json"
    run = subprocess.run(
        [
            sys.executable,
            "bench/load.py",
            "--users=10",
            "--seconds=10",
            "--customers=200",
            "--workers=2",
            f"--database-url={server}/{name}",
            f"--json={report_path}",
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
    report = json.loads(report_path.read_text())
    assert report["totals"]["status_5xx"] == 0
    assert report["totals"]["failed"] == 0
    assert report["lost_writes"] == 0
    writes = report["writes"]
    assert {"interaction", "customer"} <= set(writes)
    # What the run says it saved, counted again here, straight from the database.
    marker = f"load {report['run_id']} %"
    with psycopg.connect(f"{server}/{name}") as connection:
        counts = {
            kind: connection.execute(query, [pattern]).fetchone()[0]
            for kind, query, pattern in [
                (
                    "interaction",
                    "SELECT count(*) FROM relationships_interaction WHERE subject LIKE %s",
                    marker,
                ),
                (
                    "customer",
                    "SELECT count(*) FROM customers_customer WHERE display_name LIKE %s",
                    f"Load Test {marker}",
                ),
                (
                    "invoice",
                    "SELECT count(*) FROM relationships_invoice WHERE number LIKE %s",
                    f"LOAD-{report['run_id']}-%",
                ),
                (
                    "payment",
                    "SELECT count(*) FROM relationships_payment WHERE reference LIKE %s",
                    marker,
                ),
                (
                    # The database is new: every move by a load user is this run's.
                    "move",
                    "SELECT count(*) FROM processes_stagetransition t "
                    "JOIN auth_user u ON u.id = t.by_id WHERE u.username LIKE %s",
                    "load\\_%",
                ),
            ]
        }
    assert counts == {
        kind: writes[kind]["acknowledged"] if kind in writes else 0 for kind in counts
    }
    assert sum(counts.values()) == report["acknowledged_writes"] > 0
