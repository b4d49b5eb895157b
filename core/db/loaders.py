"""Reading what PostgreSQL can store but Python cannot.

PostgreSQL keeps dates from 4713 BC to AD 5874897; Python's from year 1 to 9999. A value outside
Python's range (an interaction dated 0001-01-01 in Warsaw is stored as a timestamp of 31 December
of 1 BC in UTC) made psycopg raise DataError ("date too small") whenever a page read it: the
customer's page and the admin's lists answered 500 for everyone until someone edited the
database. Values at the very edge of Python's range (1 January of year 1) load, but overflow
when a page converts them to the local time zone.

The loaders registered here on every new PostgreSQL connection read such values as the
smallest or largest moment a page can still show and convert (core.bounds.SAFE_*), so the
records stay visible and can be corrected; `manage.py check_bounds` lists them. Values inside
Python's range load exactly as before. Django's own time-zone-aware timestamptz loader (set per
connection by its backend) is wrapped, not replaced, so it keeps its time zone.
"""

from datetime import UTC

from django.db.backends.signals import connection_created
from django.dispatch import receiver

from core import bounds

try:
    from psycopg import DataError, postgres
    from psycopg.pq import Format
    from psycopg.types import datetime as pg_datetime
except ImportError:  # SQLite-only installations: nothing to do.
    pg_datetime = None


def _clamped(value, low, high):
    if value < low:
        return low
    if value > high:
        return high
    return value


def _safe_loader(loader_class, kind):
    """A subclass of `loader_class` that reads out-of-range values as the safe edges."""
    if getattr(loader_class, "clamps_out_of_range", False):
        return loader_class

    class SafeLoader(loader_class):
        clamps_out_of_range = True

        def _edges(self):
            if kind == "date":
                return bounds.SAFE_MIN_DATE, bounds.SAFE_MAX_DATE
            low = bounds.SAFE_MIN_DATETIME.replace(tzinfo=None)
            high = bounds.SAFE_MAX_DATETIME.replace(tzinfo=None)
            if kind == "timestamptz":
                # Django's loader states its zone in `timezone` (None: naive); psycopg's own
                # loaders answer in the connection's zone, which UTC edges compare with.
                tz = getattr(self, "timezone", UTC)
                low, high = low.replace(tzinfo=tz), high.replace(tzinfo=tz)
            return low, high

        def load(self, data):
            low, high = self._edges()
            try:
                value = super().load(data)
            except DataError as error:
                message = str(error)
                if "too small" in message:
                    return low
                if "too large" in message:
                    return high
                raise
            if kind == "timestamptz" and (value.tzinfo is None) != (low.tzinfo is None):
                return value
            return _clamped(value, low, high)

    SafeLoader.__name__ = SafeLoader.__qualname__ = f"Safe{loader_class.__name__}"
    return SafeLoader


def register_safe_loaders(adapters):
    """Register the clamping loaders on a psycopg adapters map (a connection's or cursor's)."""
    if pg_datetime is None:
        return
    text = Format.TEXT
    adapters.register_loader("date", _safe_loader(pg_datetime.DateLoader, "date"))
    adapters.register_loader("date", _safe_loader(pg_datetime.DateBinaryLoader, "date"))
    adapters.register_loader("timestamp", _safe_loader(pg_datetime.TimestampLoader, "timestamp"))
    adapters.register_loader(
        "timestamp", _safe_loader(pg_datetime.TimestampBinaryLoader, "timestamp")
    )
    oid = postgres.types["timestamptz"].oid
    # Django's loader (its zone) for text; psycopg's for binary, which Django does not use.
    adapters.register_loader(
        "timestamptz", _safe_loader(adapters.get_loader(oid, text), "timestamptz")
    )
    adapters.register_loader(
        "timestamptz", _safe_loader(pg_datetime.TimestamptzBinaryLoader, "timestamptz")
    )


@receiver(connection_created, dispatch_uid="core.db.loaders.safe_loaders")
def _on_connection_created(sender, connection, **kwargs):
    if connection.vendor == "postgresql" and pg_datetime is not None:
        register_safe_loaders(connection.connection.adapters)
