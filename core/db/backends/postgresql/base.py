"""Django's PostgreSQL backend, patient with a server that is restarting.

A restart (an upgrade, a configuration change, a fail-over) refuses connections for about half
a second. Django's health checks (CONN_HEALTH_CHECKS) drop the dead persistent connection at the
start of the next request, but the new connection is then refused and the request fails: 8 to 12
failed requests per gunicorn worker in the probe. Here a connection that is refused, or that
the server refuses because it is starting or shutting down, is tried again with a growing pause
for up to DB_CONNECT_RETRY_SECONDS; a request during a restart waits instead of failing. Wrong
credentials or a missing database fail at once, as before.
"""

import logging
import time

from django.conf import settings
from django.db.backends.postgresql import base

logger = logging.getLogger(__name__)

# SQLSTATEs meaning "not now, try again": cannot_connect_now (starting up, shutting down),
# admin_shutdown, crash_shutdown, too_many_connections (a pooler or a brief spike).
RETRYABLE_SQLSTATES = {"57P03", "57P01", "57P02", "53300"}


def retryable(error) -> bool:
    """A connection that failed before the server could say why (refused, reset, timed out)
    has no SQLSTATE; one the server turned away names its reason."""
    sqlstate = getattr(error, "sqlstate", None)
    return sqlstate is None or sqlstate in RETRYABLE_SQLSTATES


class DatabaseWrapper(base.DatabaseWrapper):
    def get_new_connection(self, conn_params):
        # A read replica sets its own (0: core.db.replica falls back to the primary instead).
        patience = self.settings_dict.get(
            "CONNECT_RETRY_SECONDS", getattr(settings, "DB_CONNECT_RETRY_SECONDS", 0)
        )
        deadline = time.monotonic() + patience
        pause = 0.05
        attempt = 1
        while True:
            try:
                connection = super().get_new_connection(conn_params)
            except base.Database.OperationalError as error:
                if not retryable(error) or time.monotonic() + pause > deadline:
                    raise
                if attempt == 1:
                    logger.warning("PostgreSQL refused a connection (%s); retrying.", error)
                time.sleep(pause)
                pause = min(pause * 2, 0.5)
                attempt += 1
                continue
            if attempt > 1:
                logger.warning("PostgreSQL connected after %s attempts.", attempt)
            return connection
