"""Bounded sessions: an idle limit and an absolute limit, enforced on the server.

At log-in the session records when it began and when it was last used (seconds since the
epoch), and the two-factor state (core.mfa). Every request of a logged-in session compares them
with `SESSION_IDLE_MINUTES` and `SESSION_MAX_HOURS`; an expired session is logged out. The
last use is written back at most once a minute, so most requests leave the session untouched
(no UPDATE of the session row); the two-factor state is recomputed on the same occasion, so a
role or a device that changed elsewhere takes effect within a minute without a query per
request. A logged-in session without these stamps (one opened before this existed) is treated
as expired.
"""

import time

from django.conf import settings
from django.contrib.auth import SESSION_KEY as AUTH_USER_KEY

from . import mfa

LOGIN_AT = "crm_login_at"
SEEN_AT = "crm_seen_at"
# Last use is written back no more often than this.
REFRESH_SECONDS = 60


def session_start(request, user):
    """Stamp a session that just logged in (called for every log-in, by a user_logged_in
    receiver: the log-in pages, the admin's and the test client's alike)."""
    session = getattr(request, "session", None)
    if session is None:
        return
    now = int(time.time())
    session[LOGIN_AT] = now
    session[SEEN_AT] = now
    session[mfa.SESSION_KEY] = mfa.state_for(request, user)


def is_logged_in(session):
    return AUTH_USER_KEY in session


def expired(session, now=None):
    now = time.time() if now is None else now
    login_at, seen_at = session.get(LOGIN_AT), session.get(SEEN_AT)
    if login_at is None or seen_at is None:
        return True
    return (
        now - seen_at > settings.SESSION_IDLE_MINUTES * 60
        or now - login_at > settings.SESSION_MAX_HOURS * 3600
    )


def session_touch(request, now=None):
    """Note this request as the session's last use, if the last note is a minute old."""
    now = int(time.time() if now is None else now)
    session = request.session
    if now - session.get(SEEN_AT, 0) < REFRESH_SECONDS:
        return
    session[SEEN_AT] = now
    session[mfa.SESSION_KEY] = mfa.state_for(request, request.user)
