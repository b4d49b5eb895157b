"""Two-factor authentication: a TOTP device (an authenticator app) and ten recovery codes.

django-otp keeps the devices: one confirmed `TOTPDevice` per user, and a `StaticDevice` whose
tokens are the recovery codes (a used one is deleted, so it is spent). The tokens are stored as
keyed digests of the codes (`recovery_digest`), never the codes themselves: whoever reads the
database or a backup cannot log in with them. A session that logged in with a code carries
django-otp's device key.

What a session may do is decided at log-in and again once a minute (core.sessions), never by a
query per request, and kept in the session as one of:

- `VERIFIED`: the user has a device and this session logged in with a code;
- `VERIFY`: the user has a device but this session did not give a code (it logged in before the
  device was enrolled in another session): it is logged out to log in again with a code;
- `ENROL`: the user's role is in `MFA_REQUIRED_ROLES` and they have no device: every page sends
  them to enrolment;
- `OFF`: none of these.
"""

import math

import segno
from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.crypto import salted_hmac
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.oath import TOTP
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from .permissions import user_roles

SESSION_KEY = "crm_mfa"
VERIFIED, VERIFY, ENROL, OFF = "verified", "verify", "enrol", "off"
RECOVERY_CODES = 10
DEVICE_NAME = "authenticator"
RECOVERY_DEVICE_NAME = "recovery codes"
# Codes are 6 digits; recovery codes are django-otp's 8 base32 characters.
CODE_MAX_LENGTH = 16


def required_for(user):
    """Whether `user`'s role must use two factors (`admin` stands for staff and superusers)."""
    required = {role.strip() for role in settings.MFA_REQUIRED_ROLES if role.strip()}
    if not required:
        return False
    if "admin" in required and (user.is_staff or user.is_superuser):
        return True
    return not required.isdisjoint(user_roles(user))


def confirmed_device(user):
    return TOTPDevice.objects.filter(user=user, confirmed=True).first()


def state_for(request, user):
    if TOTPDevice.objects.filter(user=user, confirmed=True).exists():
        return VERIFIED if request.session.get(DEVICE_ID_SESSION_KEY) else VERIFY
    return ENROL if required_for(user) else OFF


def pending_device(user):
    """The unconfirmed device being enrolled (made once, kept until confirmed or replaced)."""
    device = TOTPDevice.objects.filter(user=user, confirmed=False).order_by("-pk").first()
    if device is None:
        device = TOTPDevice.objects.create(user=user, name=DEVICE_NAME, confirmed=False)
    return device


def secret_text(device):
    """The base32 secret an authenticator app accepts when typed, in groups of four."""
    from base64 import b32encode

    secret = b32encode(device.bin_key).decode("ascii").rstrip("=")
    return " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))


def qr_data_uri(device):
    """The otpauth:// URL as an SVG data: URI, drawn on the server: no external service, no
    script, and the CSP's img-src already allows data: images."""
    return segno.make(device.config_url, error="m").svg_data_uri(scale=5, border=2)


def current_code(device, *, at=None):
    """The code the device's app shows now (tests and the browser journey use it)."""
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    if at is not None:
        totp.time = at
    return f"{totp.token():0{device.digits}d}"


class Throttled(Exception):
    """django-otp slows a device down after each wrong code (1, 2, 4… seconds): this code was
    not even tried. Not a failed log-in (nothing was guessed); the user waits `seconds`."""

    def __init__(self, seconds):
        super().__init__(seconds)
        self.seconds = seconds


def _check_allowed(device):
    allowed, data = device.verify_is_allowed()
    if not allowed:
        locked_until = (data or {}).get("locked_until")
        seconds = 1
        if locked_until is not None:
            seconds = max(1, math.ceil((locked_until - timezone.now()).total_seconds()))
        raise Throttled(seconds)


def normalise(code):
    return "".join(code.split()).lower()


def verify(user, code):
    """The device that accepts `code` (a TOTP code, or a recovery code, which is then spent),
    or None; raises Throttled while the device is slowed down after wrong codes."""
    code = normalise(code)
    if not code:
        return None
    with transaction.atomic():
        device = TOTPDevice.objects.select_for_update().filter(user=user, confirmed=True).first()
        if device is None:
            return None
        # A code of the app's length in digits is the app's; anything else a recovery code, so
        # a mistyped one of either kind does not throttle the other device (django-otp slows
        # each device down after each failure).
        if code.isdigit() and len(code) == device.digits:
            _check_allowed(device)
            return device if device.verify_token(code) else None
        recovery = StaticDevice.objects.select_for_update().filter(user=user).first()
        if recovery is None:
            return None
        _check_allowed(recovery)
        if recovery.verify_token(_stored_token(recovery, code)):
            return recovery
    return None


@transaction.atomic
def enrolment_confirm(*, user, device, code):
    """Confirm `device` with a code from the app; the user's other devices go. True if it did.

    Not throttled: whoever enrols is logged in and holds the secret, so there is nothing to
    guess, and a mistyped first code must not make the right one fail a second later."""
    device = TOTPDevice.objects.select_for_update().get(pk=device.pk, user=user)
    device.throttle_reset(commit=False)
    if not device.verify_token(normalise(code)):
        return False
    TOTPDevice.objects.filter(user=user).exclude(pk=device.pk).delete()
    device.confirmed = True
    device.save(update_fields=["confirmed"])
    return True


@transaction.atomic
def recovery_codes_regenerate(*, user):
    """Ten new recovery codes; the old ones stop working. Returned once, to be shown once."""
    device, _ = StaticDevice.objects.get_or_create(
        user=user, name=RECOVERY_DEVICE_NAME, defaults={"confirmed": True}
    )
    device.token_set.all().delete()
    codes = []
    while len(codes) < RECOVERY_CODES:
        code = StaticToken.random_token()
        if code not in codes:
            codes.append(code)
    StaticToken.objects.bulk_create(
        StaticToken(device=device, token=recovery_digest(code)) for code in codes
    )
    return codes


def recovery_digest(code, *, secret=None):
    """What is stored for a recovery code: an HMAC of it under SECRET_KEY, 16 hex characters
    (django-otp's token column holds 16). Keyed, so a leaked table alone cannot be tried against
    the codes' 40 bits; the fallbacks of a rotated key keep older codes working."""
    return salted_hmac(
        "crm.mfa.recovery-code", normalise(code), secret=secret, algorithm="sha256"
    ).hexdigest()[:16]


def _stored_token(device, code):
    """The stored digest matching `code` under the current or a fallback SECRET_KEY, else the
    current key's digest (which matches nothing, so the device counts a failure)."""
    secrets = [settings.SECRET_KEY, *getattr(settings, "SECRET_KEY_FALLBACKS", [])]
    digests = [recovery_digest(code, secret=secret) for secret in secrets]
    found = device.token_set.filter(token__in=digests).values_list("token", flat=True).first()
    return found or digests[0]


def recovery_codes_left(user):
    return StaticToken.objects.filter(device__user=user).count()


@transaction.atomic
def mfa_disable(*, user):
    TOTPDevice.objects.filter(user=user).delete()
    StaticDevice.objects.filter(user=user).delete()
