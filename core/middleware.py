"""The kernel's middleware.

- `RetryReadsOnDroppedConnectionMiddleware`: reading a page survives the database connection
  dropping under it (below).
- `SessionLimitsMiddleware`: idle and absolute session limits (core.sessions).
- `MfaRequiredMiddleware`: two-factor enrolment where MFA_REQUIRED_ROLES asks for it (core.mfa).
- `NoStoreForUsersMiddleware`: `Cache-Control: no-store` on every response to a logged-in user.
- `ReadYourWritesMiddleware`: with a read replica, a user who just wrote reads from the primary
  (core.db.replica).

Reading a page survives the database connection dropping under it.

A request whose connection is cut mid-way (PostgreSQL restarting, a fail-over, a pooler
recycling its connections) fails with OperationalError or InterfaceError. If it only reads
(GET, HEAD, OPTIONS) and held no transaction, nothing can have been half done, so it is run
once more on a fresh connection, which core.db.backends.postgresql waits for while the server
comes back. A write is never repeated: it answers the error, and the user decides.
"""

import logging
import sys
from urllib.parse import urlencode, urlsplit

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.core.exceptions import MiddlewareNotUsed
from django.core.signals import got_request_exception
from django.db import DatabaseError, InterfaceError, OperationalError, connections
from django.dispatch import receiver
from django.http import HttpResponse, HttpResponseRedirect
from django.urls import reverse
from django.utils.cache import patch_cache_control
from django.utils.functional import SimpleLazyObject
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _

from . import mfa, sessions
from .db import replica

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


def _redirect(request, url):
    """A redirect the browser follows, also from an htmx request (which would otherwise follow
    it inside the page and swap the log-in form into a table cell)."""
    if request.headers.get("HX-Request"):
        response = HttpResponse(status=200)
        response["HX-Redirect"] = url
        return response
    return HttpResponseRedirect(url)


def _back_to(request):
    """Where to go after logging in again: this page, or for a POST the page its form was on."""
    if request.method in ("GET", "HEAD"):
        return request.get_full_path()
    referer = request.headers.get("Referer", "")
    if referer and url_has_allowed_host_and_scheme(
        referer, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        parts = urlsplit(referer)
        return parts.path + (f"?{parts.query}" if parts.query else "")
    return reverse(settings.LOGIN_REDIRECT_URL)


def log_in_again(request, message):
    """Log the session out and send the user to log in, with `message`, then back here."""
    back = _back_to(request)
    logout(request)
    messages.warning(request, message)
    return _redirect(request, f"{reverse('login')}?{urlencode({'next': back})}")


LOGOUT_PATH = SimpleLazyObject(lambda: reverse("logout"))


class SessionLimitsMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        session = getattr(request, "session", None)
        if session is not None and sessions.is_logged_in(session):
            if sessions.expired(session):
                if request.path == LOGOUT_PATH:
                    return self.get_response(request)  # logging out is what expiry would do
                if request.method in ("GET", "HEAD"):
                    message = _("Your session expired. Log in again.")
                else:
                    message = _(
                        "Your session expired, so what you sent was not saved. Log in again "
                        "and send it once more."
                    )
                return log_in_again(request, message)
            sessions.session_touch(request)
        return self.get_response(request)


def _enrolment_paths():
    return {
        reverse(name)
        for name in ("mfa_enrol", "mfa_recovery_codes", "logout", "set_language", "login")
    }


ENROLMENT_PATHS = SimpleLazyObject(_enrolment_paths)


class MfaRequiredMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        session = getattr(request, "session", None)
        if session is not None and sessions.is_logged_in(session):
            state = session.get(mfa.SESSION_KEY)
            if state == mfa.VERIFY:
                return log_in_again(
                    request,
                    _(
                        "Two-factor authentication is on for your account: log in again with "
                        "a code."
                    ),
                )
            if state == mfa.ENROL and request.path not in ENROLMENT_PATHS:
                return _redirect(request, reverse("mfa_enrol"))
        return self.get_response(request)


class NoStoreForUsersMiddleware:
    """Pages, exports and downloads a logged-in user receives are never kept by the browser or
    a proxy (the back button after logging out, a shared computer). Static files are answered
    by whitenoise before this runs; stricter headers a view set (private, no-store) stay."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            patch_cache_control(response, no_store=True, private=True)
        return response


class ReadYourWritesMiddleware:
    """With a read replica (DATABASE_REPLICA_URL): a request that wrote makes its user read from
    the primary for REPLICA_STICKY_SECONDS. Without one it is not used at all."""

    def __init__(self, get_response):
        if not replica.configured():
            raise MiddlewareNotUsed
        self.get_response = get_response

    def __call__(self, request):
        return replica.serve(request, self.get_response)
