"""Writes of the API's own records: personal tokens and the idempotency keys' stored answers."""

from datetime import timedelta

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from .models import ApiToken, IdempotencyKey, hash_secret, new_secret


@transaction.atomic
def token_create(*, user, name, access, expires_at=None) -> tuple[ApiToken, str]:
    """A new token for `user`; returns it and its secret, which is stored only as a hash and
    so can be shown only this once."""
    if expires_at is not None and expires_at <= timezone.now():
        raise ValidationError({"expires_at": _("Choose a moment in the future.")})
    secret, prefix = new_secret()
    token = ApiToken(
        user=user,
        name=(name or "").strip(),
        access=access,
        expires_at=expires_at,
        prefix=prefix,
        secret_hash=hash_secret(secret),
    )
    token.full_clean()
    token.save()
    return token, secret


@transaction.atomic
def token_revoke(*, token: ApiToken, by) -> ApiToken:
    """Revoke `token` (its owner's act): every request with it is refused from now on."""
    if token.user_id != by.pk:
        raise PermissionDenied
    token = ApiToken.objects.select_for_update().get(pk=token.pk)
    if token.revoked_at is None:
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at"])
    return token


def token_touch(token: ApiToken, *, now=None):
    """Stamp the token's last use, at most once a minute: not one write per request."""
    now = now or timezone.now()
    if token.last_used_at is None or now - token.last_used_at >= timedelta(minutes=1):
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
        token.last_used_at = now


def idempotency_keys_purge(*, now=None) -> int:
    """Delete the stored answers whose keys have expired (the housekeeping task)."""
    deleted, _by_model = IdempotencyKey.objects.filter(
        expires_at__lte=now or timezone.now()
    ).delete()
    return deleted


def idempotency_expiry(now=None):
    return (now or timezone.now()) + timedelta(hours=settings.API_IDEMPOTENCY_KEY_HOURS)
