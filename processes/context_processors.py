"""The notifications bell of every page (templates/base.html)."""

from functools import cache

from core.fastpath import UserCounts

from .models import Notification

# Asked on every page: compiled once per process (core.fastpath).
_unread = UserCounts(
    lambda user: {"unread": Notification.objects.filter(recipient=user, read_at__isnull=True)}
)


def unread_count(user) -> int:
    """The user's unread notifications: one COUNT over notification_unread_idx."""
    return _unread(user)["unread"]


def notifications(request):
    """`unread_notifications`: asked only by a page that shows the bell (not by an htmx
    fragment, not before logging in), and then once however often the page reads it."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return {"unread_notifications": cache(lambda: unread_count(user))}
