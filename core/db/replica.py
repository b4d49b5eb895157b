"""Reads from a PostgreSQL streaming replica where a few seconds of staleness are harmless.

With `DATABASE_REPLICA_URL` set (crm/settings/base.py) there is a second database alias,
`replica`, and `PrimaryReplicaRouter` is the project's database router. The design is one
router and one opt-in flag:

- Every read goes to the primary (`default`) unless it runs inside `reads()`. Four code paths
  enter it, and only those: reports (`analytics.reports.report`, the decorator of every report
  view), exports (`core.exports`, while the rows are read), the capped counts of the lists
  (`core.pagination.LargeTablePaginator.count`) and the API's list actions (`api.base`).
  Grep for `reads(` to see them all.
- Inside `reads()` the primary still answers when: the request may write (POST, PUT, PATCH,
  DELETE) or already wrote; the same user wrote within `REPLICA_STICKY_SECONDS`
  (read-your-writes: a signed cookie set by `ReadYourWritesMiddleware`, and a mark in the cache
  for API clients that keep no cookies); a transaction is open on the primary; or the replica
  is down or lags more than `REPLICA_MAX_LAG_SECONDS`. The choice is made at a block's first
  query and kept for the block, so one report reads one database.
- Writes always go to the primary, and migrations run only there.

The replica's health is asked at most every `REPLICA_CHECK_SECONDS` per process (an unreachable
one every UNREACHABLE_RECHECK_SECONDS), with one cheap query on the replica (`_LAG_SQL`). A
replica that refuses connections is not waited for (its alias has `CONNECT_RETRY_SECONDS = 0`
and a short `connect_timeout`), and a query that fails on it mid-page makes the next look happen
at once: the page is read again (core.middleware.RetryReadsOnDroppedConnectionMiddleware), now
from the primary. So a page never fails because the replica does; only a CSV export already
streaming when it dies is cut off.
"""

import logging
import math
import sys
import time
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass

from django.conf import settings
from django.core import checks
from django.core.cache import cache
from django.core.signals import got_request_exception
from django.db import DEFAULT_DB_ALIAS, DatabaseError, InterfaceError, OperationalError
from django.db import connections as _connections
from django.dispatch import receiver

logger = logging.getLogger(__name__)

ALIAS = "replica"
STICKY_COOKIE = "crm_primary"
_SALT = "core.db.replica.sticky"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
_WRITES = ("INSERT", "UPDATE", "DELETE", "WITH", "MERGE", "COPY")

# Seconds the replica is behind, 0 when it has replayed everything it received while it is
# streaming (an idle primary sends nothing, and is not "lagging"); without a WAL receiver it is
# the age of the last transaction it replayed, which is what it may be missing at most.
_LAG_SQL = """
SELECT CASE
    WHEN NOT pg_is_in_recovery() THEN 0
    WHEN pg_last_wal_receive_lsn() = pg_last_wal_replay_lsn()
         AND EXISTS (SELECT 1 FROM pg_stat_wal_receiver WHERE status = 'streaming') THEN 0
    ELSE COALESCE(
        EXTRACT(EPOCH FROM clock_timestamp() - pg_last_xact_replay_timestamp()),
        'Infinity'
    )
END::float8
"""


def configured() -> bool:
    return ALIAS in settings.DATABASES


@dataclass
class _RequestState:
    request: object
    wrote: bool = False


@dataclass
class _Block:
    request: object
    alias: str | None = None


_request: ContextVar[_RequestState | None] = ContextVar("crm_replica_request", default=None)
_block: ContextVar[_Block | None] = ContextVar("crm_replica_block", default=None)


@contextmanager
def reads(request=None):
    """Reads inside may go to the replica (see the module's docstring for when they do not).
    `request`: the request being answered, where it is no longer the current one (a streamed
    export's rows are read after the view returned); by default the one the middleware saw."""
    if not configured():
        yield
        return
    token = _block.set(_Block(request=request))
    try:
        yield
    finally:
        _block.reset(token)


def read_alias() -> str:
    """The database a read made now goes to."""
    block = _block.get()
    if block is None:
        return DEFAULT_DB_ALIAS
    state = _request.get()
    if state is not None and state.wrote:
        return DEFAULT_DB_ALIAS
    if _connections[DEFAULT_DB_ALIAS].in_atomic_block:
        return DEFAULT_DB_ALIAS
    if block.alias is None:
        # While deciding (loading the request's user, say), reads go to the primary.
        block.alias = DEFAULT_DB_ALIAS
        request = block.request if block.request is not None else getattr(state, "request", None)
        if not reads_primary(request) and replica_ready():
            block.alias = ALIAS
    return block.alias


# Who may do what: users, their roles and teams, API tokens. Always read from the primary, also
# inside `reads()`: a role revoked or a user deactivated a second ago must not still open a list
# from a lagging replica, and a role just granted must not be refused (a user's roles are read
# at the first permission check, which for an API list is inside its `reads()` block).
ACCESS_MODELS = frozenset(
    {
        "auth.User",
        "auth.Group",
        "auth.User_groups",
        "core.Team",
        "core.Team_members",
        "api.ApiToken",
    }
)


class PrimaryReplicaRouter:
    """Reads inside `reads()` to the replica when it may serve them, except those deciding
    access (ACCESS_MODELS); everything else, every write and every migration to the primary."""

    def db_for_read(self, model, **hints):
        if model._meta.label in ACCESS_MODELS:
            return DEFAULT_DB_ALIAS
        # Never None: Django would then follow a replica-read instance's own database.
        return read_alias()

    def db_for_write(self, model, **hints):
        return DEFAULT_DB_ALIAS

    def allow_relation(self, obj1, obj2, **hints):
        return True  # the same rows on both

    def allow_migrate(self, db, app_label, model_name=None, **hints):
        return db == DEFAULT_DB_ALIAS


# --- Read-your-writes -----------------------------------------------------------------------


def _user_key(user_id) -> str:
    return f"replica:wrote:{user_id}"


def reads_primary(request) -> bool:
    """Whether `request` must read from the primary: it may write, or its user wrote within
    REPLICA_STICKY_SECONDS."""
    if request is None:
        return False
    if request.method not in SAFE_METHODS:
        return True
    memo = getattr(request, "_crm_reads_primary", None)
    if memo is not None:
        return memo
    sticky = (
        request.get_signed_cookie(
            STICKY_COOKIE, default=None, salt=_SALT, max_age=settings.REPLICA_STICKY_SECONDS
        )
        is not None
    )
    if not sticky:
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            sticky = bool(cache.get(_user_key(user.pk)))
    request._crm_reads_primary = sticky
    return sticky


def _notice_writes(state):
    def wrapper(execute, sql, params, many, context):
        if not state.wrote and isinstance(sql, str):
            state.wrote = sql.lstrip()[:6].upper().startswith(_WRITES)
        return execute(sql, params, many, context)

    return wrapper


def serve(request, get_response):
    """Answer `request`, noting whether it wrote to the primary; if it did, its user reads from
    the primary for the next REPLICA_STICKY_SECONDS."""
    state = _RequestState(request=request)
    token = _request.set(state)
    try:
        if request.method in SAFE_METHODS:
            response = get_response(request)
        else:
            with _connections[DEFAULT_DB_ALIAS].execute_wrapper(_notice_writes(state)):
                response = get_response(request)
    finally:
        _request.reset(token)
    if state.wrote:
        _mark_sticky(request, response)
    return response


def _mark_sticky(request, response):
    """Only for a user: an anonymous write (a web form's post) reads nothing back."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return
    seconds = max(1, math.ceil(settings.REPLICA_STICKY_SECONDS))
    response.set_signed_cookie(
        STICKY_COOKIE,
        "1",
        salt=_SALT,
        max_age=seconds,
        secure=settings.SESSION_COOKIE_SECURE,
        httponly=True,
        samesite="Lax",
    )
    cache.set(_user_key(user.pk), True, seconds)


# --- Health ----------------------------------------------------------------------------------

_health = {"at": None, "ready": False, "interval": 0.0}
# An unreachable replica is looked at again after this long at the soonest: a host that does not
# answer costs a request REPLICA_CONNECT_TIMEOUT, which should not happen every few seconds.
UNREACHABLE_RECHECK_SECONDS = 15.0


def lag_seconds() -> float | None:
    """How far behind the replica is (seconds), or None when it cannot be reached."""
    connection = _connections[ALIAS]
    try:
        with connection.cursor() as cursor:
            cursor.execute(_LAG_SQL)
            (lag,) = cursor.fetchone()
        return float(lag)
    except DatabaseError as error:
        _health["error"] = error
        try:
            connection.close()
        except DatabaseError:
            connection.connection = None  # already broken; the next query opens a new one
        return None


def replica_ready() -> bool:
    """Whether the replica answers and is at most REPLICA_MAX_LAG_SECONDS behind; asked of the
    replica at most every REPLICA_CHECK_SECONDS in this process."""
    now = time.monotonic()
    if _health["at"] is not None and now - _health["at"] < _health["interval"]:
        return _health["ready"]
    lag = lag_seconds()
    ready = lag is not None and lag <= settings.REPLICA_MAX_LAG_SECONDS
    if ready != _health["ready"] or _health["at"] is None:
        if lag is None:
            logger.warning(
                "Read replica unavailable (%s); reading from the primary.", _health.get("error")
            )
        elif not ready:
            logger.warning(
                "Read replica is %.1f s behind (REPLICA_MAX_LAG_SECONDS=%s); reading from the "
                "primary.",
                lag,
                settings.REPLICA_MAX_LAG_SECONDS,
            )
        elif _health["at"] is not None:
            logger.warning("Read replica available again (%.1f s behind).", lag)
    interval = settings.REPLICA_CHECK_SECONDS
    if lag is None:
        interval = max(interval, UNREACHABLE_RECHECK_SECONDS)
    _health.update(at=time.monotonic(), ready=ready, interval=interval)
    return ready


def forget_health() -> None:
    """The next read inside `reads()` asks the replica again."""
    _health["at"] = None


@receiver(got_request_exception, dispatch_uid="core.db.replica.failed")
def _recheck_after_a_database_error(sender, request=None, **kwargs):
    # A page that failed on a dropped connection is read once more (core.middleware); if the
    # replica was the one that went, that second reading must find out and use the primary.
    if configured() and isinstance(sys.exc_info()[1], OperationalError | InterfaceError):
        forget_health()


def check_replica_settings(app_configs=None, **kwargs):
    """core.W001: a replica allowed to lag longer than a user's writes stay sticky can hide a
    user's own write from their reports once the stickiness ends."""
    if not configured():
        return []
    worst = settings.REPLICA_MAX_LAG_SECONDS + settings.REPLICA_CHECK_SECONDS
    if worst <= settings.REPLICA_STICKY_SECONDS:
        return []
    return [
        checks.Warning(
            f"REPLICA_MAX_LAG_SECONDS + REPLICA_CHECK_SECONDS ({worst:g}) exceeds "
            f"REPLICA_STICKY_SECONDS ({settings.REPLICA_STICKY_SECONDS:g}).",
            hint="A user could miss their own write in a report read from a lagging replica; "
            "lower the lag limit or raise the stickiness.",
            id="core.W001",
        )
    ]
