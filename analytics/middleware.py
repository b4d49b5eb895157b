"""Who uses the CRM, day by day: one UserActivity row per user and day, for the usage report.

The day already recorded is remembered in the session, so only a user's first request of the
day writes (one INSERT that ignores a conflict); every later request costs no query. Logging in
records the day too (analytics.signals), so a session always starts with it.
"""

from django.utils import timezone

from .models import UserActivity

SESSION_KEY = "analytics_activity_day"


def activity_record(*, user, session, today=None):
    """Record that `user` is active today, unless `session` says it already was."""
    today = today or timezone.localdate()
    if session is not None and session.get(SESSION_KEY) == today.isoformat():
        return False
    # ON CONFLICT DO NOTHING: another session of the user may have recorded the day already.
    UserActivity.objects.bulk_create([UserActivity(user=user, day=today)], ignore_conflicts=True)
    if session is not None:
        session[SESSION_KEY] = today.isoformat()
    return True


class UserActivityMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        session = getattr(request, "session", None)
        # The session first: it says "done today" without loading the user.
        if session is not None and session.get(SESSION_KEY) != timezone.localdate().isoformat():
            user = getattr(request, "user", None)
            if user is not None and user.is_authenticated:
                activity_record(user=user, session=session)
        return self.get_response(request)
