"""Exactly one Celery beat: a second one waits as a standby.

Beat sends the schedule (README, "Scheduled jobs") to the broker, so two beats would send every
job twice. Before it sends anything, a beat takes a lock that only one process can hold
(`celery.signals.beat_init`, wired in crm/celery.py); a second beat (another machine, a scaled
group by mistake, a restart overlapping the old process) waits for it, and takes over when the
first one stops.

- **PostgreSQL**: a session advisory lock on a connection of the beat's own, kept open for the
  beat's lifetime (advisory locks belong to one database, so two installations on one server do
  not block each other). The server drops the lock when that connection ends: the holder stopped
  or died, or the server restarted. So the beat checks every `BEAT_LOCK_CHECK_SECONDS` that it
  still holds it; one that lost it takes it again if it is free, and stops itself (SIGTERM, so
  the schedule is saved) if another beat took over meanwhile; its supervisor starts it again as
  the standby. A transaction-pooling PgBouncer cannot carry a session lock: point the beat's
  `DATABASE_URL` at PostgreSQL itself.
- **SQLite** (one machine, `make run`): an exclusive lock on `var/celerybeat.lock`, which the
  operating system releases when the process ends.
"""

import contextlib
import fcntl
import logging
import os
import signal
import threading
import time
from pathlib import Path

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, DatabaseError, connections

from .locks import lock_id

logger = logging.getLogger(__name__)

BEAT_LOCK_KEY = "celery-beat"


class PostgresBeatLock:
    """The beat's advisory lock, on a connection no request or task shares."""

    def __init__(self, alias=DEFAULT_DB_ALIAS):
        self.connection = connections.create_connection(alias)
        # Taken in beat's main thread, watched from another (hold_the_beat).
        self.connection.inc_thread_sharing()
        self.ident = lock_id(BEAT_LOCK_KEY)

    def acquire(self) -> bool:
        """Take the lock if it is free; False if another process holds it."""
        with self.connection.cursor() as cursor:
            cursor.execute("SELECT pg_try_advisory_lock(%s)", [self.ident])
            return cursor.fetchone()[0]

    def held(self) -> bool:
        """Whether this connection's session still holds the lock (a connection opened again
        after a server restart is a new session, without it)."""
        with self.connection.cursor() as cursor:
            cursor.execute(
                "SELECT EXISTS (SELECT 1 FROM pg_locks WHERE locktype = 'advisory' "
                "AND pid = pg_backend_pid() AND granted)"
            )
            return cursor.fetchone()[0]

    def reset(self):
        """Drop a connection that failed, so the next look opens a new one."""
        with contextlib.suppress(DatabaseError):
            self.connection.close()

    def release(self):
        """Give the lock up now: the server frees a closed session's locks only once its
        backend has exited, a moment later, so a standby asking at once could still be refused."""
        if self.connection.connection is not None:
            with contextlib.suppress(DatabaseError), self.connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_unlock_all()")
        self.reset()


class FileBeatLock:
    """An exclusive lock on a file beside the schedule, for one machine without PostgreSQL."""

    def __init__(self, path):
        self.path = Path(path)
        self.file = None

    def acquire(self) -> bool:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        handle = open(self.path, "a")  # noqa: SIM115 - held open as long as the lock
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.close()
            return False
        self.file = handle
        return True

    def held(self) -> bool:
        return self.file is not None

    def reset(self):
        pass

    def release(self):
        if self.file is not None:
            self.file.close()
            self.file = None


def beat_lock(schedule_filename=None):
    """The lock for this installation: beats sharing its database, or on SQLite its schedule
    folder."""
    if connections[DEFAULT_DB_ALIAS].vendor == "postgresql":
        return PostgresBeatLock()
    schedule = Path(schedule_filename or settings.CELERY_BEAT_SCHEDULE_FILENAME)
    return FileBeatLock(schedule.parent / "celerybeat.lock")


def wait_for(lock, *, retry_seconds, stop=None) -> bool:
    """Block until `lock` is taken (True), or `stop` is set (False). A database that cannot be
    reached is waited for like a lock held elsewhere."""
    waiting_said = False
    while stop is None or not stop.is_set():
        try:
            if lock.acquire():
                if waiting_said:
                    logger.warning("beat: the other beat has stopped; this one takes over.")
                return True
            if not waiting_said:
                logger.warning(
                    "beat: another beat is running; this one waits as its standby "
                    "(retrying every %s s).",
                    retry_seconds,
                )
                waiting_said = True
        except DatabaseError as error:
            lock.reset()
            logger.warning(
                "beat: cannot reach the database for the beat lock (%s); retrying.", error
            )
        if stop is not None:
            stop.wait(retry_seconds)
        else:
            time.sleep(retry_seconds)
    return False


def check(lock) -> bool:
    """One look at the lock while beat runs: True while this beat may go on sending."""
    try:
        if lock.held():
            return True
        if lock.acquire():
            logger.warning("beat: the lock was lost (database restarted?) and taken again.")
            return True
    except DatabaseError as error:
        lock.reset()
        # Nobody else can take the lock while the server is unreachable either.
        logger.warning("beat: cannot check the beat lock (%s); checking again shortly.", error)
        return True
    logger.error("beat: another beat took over while the lock was lost; this one stops.")
    return False


def _watch(lock, interval, stop):
    while not stop.wait(interval):
        if not check(lock):
            os.kill(os.getpid(), signal.SIGTERM)
            return


# The lock lives as long as the beat: a collected one would close its connection or file and
# let a standby in.
_held = {}


def hold_the_beat(sender=None, **_signal_kwargs):
    """beat_init: wait for the one-beat lock, then keep watching it from a daemon thread."""
    lock = beat_lock(getattr(sender, "schedule_filename", None))
    wait_for(lock, retry_seconds=settings.BEAT_LOCK_RETRY_SECONDS)
    logger.info("beat: holds the one-beat lock.")
    stop = threading.Event()
    _held["lock"] = lock
    if isinstance(lock, PostgresBeatLock):
        threading.Thread(
            target=_watch,
            args=(lock, settings.BEAT_LOCK_CHECK_SECONDS, stop),
            name="beat-lock-watch",
            daemon=True,
        ).start()
