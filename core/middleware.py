"""Reading a page survives the database connection dropping under it.

A request whose connection is cut mid-way (PostgreSQL restarting, a fail-over, a pooler
recycling its connections) fails with OperationalError or InterfaceError. If it only reads
(GET, HEAD, OPTIONS) and held no transaction, nothing can have been half done, so it is run
once more on a fresh connection, which core.db.backends.postgresql waits for while the server
comes back. A write is never repeated: it answers the error, and the user decides.
"""

import logging
import sys

from django.core.signals import got_request_exception
from django.db import DatabaseError, InterfaceError, OperationalError, connections
from django.dispatch import receiver

logger = logging.getLogger(__name__)

SAFE_METHODS = {"GET", "HEAD", "OPTIONS"}


@receiver(got_request_exception)
def _note_database_gone(sender, request=None, **kwargs):
    # Django turns an exception into a 500 response at each middleware layer, so the outer
    # middleware below learns of the error from this signal rather than from an exception.
    error = sys.exc_info()[1]
    if request is not None and isinstance(error, OperationalError | InterfaceError):
        request._database_error = error


class RetryReadsOnDroppedConnectionMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        error = getattr(request, "_database_error", None)
        if error is None or request.method not in SAFE_METHODS:
            return response
        if getattr(request, "_database_retried", False):
            return response
        if any(conn.in_atomic_block for conn in connections.all(initialized_only=True)):
            return response
        request._database_retried = True
        del request._database_error
        logger.warning(
            "%s %s: the database connection failed (%s); running it again.",
            request.method,
            request.path,
            error,
        )
        for conn in connections.all(initialized_only=True):
            try:
                conn.close()
            except DatabaseError:
                conn.connection = None  # already broken; the next query opens a new one
        return self.get_response(request)
