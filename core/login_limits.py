"""Limits on failed log-ins beyond django-axes' username + address lock-out.

Three rules, each keyed so that a stranger cannot lock a user out:

1. **Username + address** (django-axes, `AXES_FAILURE_LIMIT`, 5): that pair is locked for
   `AXES_COOLOFF_HOURS`. The address is the client's as the trusted proxy reports it
   (core.clientip), so a stranger's failures lock the stranger's pair only.
2. **Address** (`LOGIN_ADDRESS_FAILURE_LIMIT`, 20): failures from one address across all
   usernames within the cool-off lock that address out (spraying one password over many
   usernames). Counted from axes' own AccessAttempt rows, so nothing more is stored, and the
   lock itself bounds the rows one address can create.
3. **Username, soft** (`LOGIN_USERNAME_SOFT_LIMIT`, 10): once a username has that many failures
   from all addresses within the cool-off (many addresses against one account), attempts for it
   from an address the user has never completed a log-in from must wait
   `LOGIN_USERNAME_DELAY_SECONDS` after the previous such attempt (doubling with every further
   LIMIT failures, at most a minute) and are refused meanwhile with a message saying so. Never a
   lock-out: after the wait the right password logs in, and from an address the user logged in
   from before (KnownLoginAddress, the latest few per user) there is no wait at all. The wait is
   one cache key per username (`cache.add`, expiring with the wait); with the cache away the
   rule is skipped (fails open) rather than refusing or failing the log-in.

Failures of the second step (a wrong authentication code) count like wrong passwords.
"""

import hashlib

from axes.handlers.database import AxesDatabaseHandler
from axes.helpers import get_cool_off
from axes.models import AccessAttempt
from axes.signals import user_locked_out
from django.conf import settings
from django.core.cache import cache
from django.db.models import Sum
from django.utils import timezone

from .clientip import client_ip
from .models import KnownLoginAddress

# The soft delay never grows past this.
MAX_DELAY_SECONDS = 60
# Known addresses kept per user, the most recently used.
KNOWN_ADDRESSES_PER_USER = 10


def _recent_failures(request, **filters):
    attempts = AccessAttempt.objects.filter(**filters)
    cool_off = get_cool_off(request)
    if cool_off is not None:
        attempts = attempts.filter(attempt_time__gte=timezone.now() - cool_off)
    total = attempts.aggregate(total=Sum("failures_since_start"))["total"]
    return total or 0


def address_is_locked(request):
    """Whether the client's address failed LOGIN_ADDRESS_FAILURE_LIMIT times, any usernames."""
    limit = settings.LOGIN_ADDRESS_FAILURE_LIMIT
    address = client_ip(request)
    if limit <= 0 or not address:
        return False
    return _recent_failures(request, ip_address=address) >= limit


class LoginLimitsHandler(AxesDatabaseHandler):
    """axes' database handler, plus the lock-out of an address that sprays many usernames."""

    def is_locked(self, request, credentials=None):
        if super().is_locked(request, credentials):
            return True
        if address_is_locked(request):
            request.crm_address_locked = True
            return True
        return False

    def user_login_failed(self, sender, credentials, request=None, **kwargs):
        super().user_login_failed(sender, credentials, request=request, **kwargs)
        if request is None or getattr(request, "axes_locked_out", False):
            return
        if address_is_locked(request):
            # The failure that reached the address limit: answer it with the lock-out page and
            # tell whoever listens (the audit) as axes does for its own lock-outs.
            request.crm_address_locked = True
            request.axes_locked_out = True
            request.axes_credentials = credentials
            user_locked_out.send(
                "axes",
                request=request,
                username=(credentials or {}).get(settings.AXES_USERNAME_FORM_FIELD),
                ip_address=client_ip(request),
            )


def username_wait_seconds(request, username):
    """Seconds this attempt for `username` must wait (0: it may go on, and takes the slot)."""
    limit = settings.LOGIN_USERNAME_SOFT_LIMIT
    if limit <= 0 or not username:
        return 0
    failures = _recent_failures(request, username=username)
    if failures < limit:
        return 0
    address = client_ip(request)
    if address and known_address(username=username, address=address):
        return 0
    delay = min(
        MAX_DELAY_SECONDS,
        settings.LOGIN_USERNAME_DELAY_SECONDS * 2 ** ((failures - limit) // limit),
    )
    digest = hashlib.sha256(username.encode("utf-8", "surrogatepass")).hexdigest()
    key = f"login-wait:{digest}"
    if cache.add(key, timezone.now().timestamp() + delay, delay):
        return 0
    if not getattr(cache, "available", True):
        return 0  # Redis is away: no slot to hold, so the soft rule is skipped.
    waits_until = cache.get(key)
    if waits_until is None:
        return 0  # the slot expired in between
    return max(1, round(waits_until - timezone.now().timestamp()))


def known_address(*, username, address):
    return KnownLoginAddress.objects.filter(user__username=username, ip_address=address).exists()


def known_address_record(*, user, request):
    """Remember the address `user` just logged in from; keep the latest few per user."""
    address = client_ip(request)
    if not address:
        return
    now = timezone.now()
    # One statement (INSERT … ON CONFLICT UPDATE): two log-ins at once do not collide.
    KnownLoginAddress.objects.bulk_create(
        [KnownLoginAddress(user=user, ip_address=address, last_login_at=now)],
        update_conflicts=True,
        unique_fields=["user", "ip_address"],
        update_fields=["last_login_at"],
    )
    stale = KnownLoginAddress.objects.filter(user=user).order_by("-last_login_at", "-pk")[
        KNOWN_ADDRESSES_PER_USER:
    ]
    stale_ids = list(stale.values_list("pk", flat=True))
    if stale_ids:
        KnownLoginAddress.objects.filter(pk__in=stale_ids).delete()
