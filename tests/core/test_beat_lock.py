"""Exactly one Celery beat (core.beat): a second one waits as the standby and takes over."""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.db import connection

from core.beat import FileBeatLock, PostgresBeatLock, check

ROOT = Path(__file__).resolve().parent.parent.parent

postgresql_only = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="PostgreSQL's advisory locks"
)


def _terminate_session_of(lock):
    """What a server restart does to the lock's session, done to that session alone."""
    with lock.connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        pid = cursor.fetchone()[0]
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_terminate_backend(%s)", [pid])


@pytest.fixture
def locks():
    made = []

    def make():
        made.append(PostgresBeatLock())
        return made[-1]

    yield make
    for lock in made:
        lock.release()


@postgresql_only
@pytest.mark.django_db
def test_only_one_beat_holds_the_lock_until_it_stops(locks):
    first, second = locks(), locks()

    assert first.acquire()
    assert not second.acquire()
    assert first.held() and not second.held()

    first.release()
    assert second.acquire()
    assert second.held()


@postgresql_only
@pytest.mark.django_db
def test_a_beat_that_lost_its_session_takes_the_lock_again_when_it_is_free(locks):
    beat = locks()
    assert beat.acquire()

    _terminate_session_of(beat)

    assert check(beat)  # the broken connection: nobody else can take the lock either
    assert check(beat)  # a new session, which takes the free lock again
    assert beat.held()


@postgresql_only
@pytest.mark.django_db
def test_a_beat_stops_when_the_standby_took_over_while_its_lock_was_lost(locks):
    beat, standby = locks(), locks()
    assert beat.acquire()

    _terminate_session_of(beat)
    assert standby.acquire()

    check(beat)  # drops the broken connection
    assert not check(beat)


def test_on_one_machine_a_file_lock_lets_one_beat_run(tmp_path):
    first, second = FileBeatLock(tmp_path / "beat.lock"), FileBeatLock(tmp_path / "beat.lock")

    assert first.acquire()
    assert not second.acquire()

    first.release()
    assert second.acquire()
    second.release()


def _database_url(tmp_path):
    if connection.vendor == "postgresql":
        s = connection.settings_dict
        return f"postgres://{s['USER']}@{s['HOST'] or '127.0.0.1'}:{s['PORT'] or 5432}/{s['NAME']}"
    return f"sqlite:///{tmp_path / 'beat.sqlite3'}"


def _start_beat(tmp_path, name):
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "crm.settings.base",
        "DEBUG": "true",
        "DATABASE_URL": _database_url(tmp_path),
        "CELERY_BROKER_URL": "memory://",
        "BEAT_LOCK_RETRY_SECONDS": "0.2",
        "PYTHONUNBUFFERED": "1",
    }
    log = open(tmp_path / f"{name}.log", "w+")  # noqa: SIM115 - read after the process ends
    process = subprocess.Popen(
        [
            str(Path(sys.executable).parent / "celery"),
            "-A",
            "crm",
            "beat",
            "--loglevel=INFO",
            f"--schedule={tmp_path / name}-schedule",
        ],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    return process, log


def _wait_for_line(log, text, *, timeout=40.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        log.seek(0)
        if text in log.read():
            return
        time.sleep(0.1)
    log.seek(0)
    raise AssertionError(f"{text!r} not logged in {timeout}s:\n{log.read()}")


@pytest.mark.django_db(transaction=True)
def test_a_second_beat_process_waits_and_takes_over_when_the_first_stops(tmp_path):
    # Both keep their schedules in one folder (SQLite's file lock) and use the test database
    # (PostgreSQL's advisory lock), as two beats of one installation would.
    first, first_log = _start_beat(tmp_path, "first")
    second = None
    try:
        _wait_for_line(first_log, "holds the one-beat lock")
        second, second_log = _start_beat(tmp_path, "second")
        _wait_for_line(second_log, "another beat is running; this one waits")
        second_log.seek(0)
        assert "holds the one-beat lock" not in second_log.read()

        first.send_signal(signal.SIGTERM)
        first.wait(timeout=20)
        _wait_for_line(second_log, "the other beat has stopped; this one takes over")
        _wait_for_line(second_log, "holds the one-beat lock")
    finally:
        for process in (first, second):
            if process is not None and process.poll() is None:
                process.terminate()
                process.wait(timeout=20)
