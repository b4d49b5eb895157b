"""Personal API tokens and the stored answers of idempotent requests."""

import hashlib
import secrets

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core import bounds

TOKEN_PREFIX = "crm_"
# The part of a token shown on the page (and in the admin) to tell tokens apart.
PREFIX_LENGTH = 8


def hash_secret(secret: str) -> str:
    """The stored form of a token: a SHA-256 of a secret with 256 bits of entropy needs no
    salt or slow hash (nothing to guess from a dictionary)."""
    return hashlib.sha256(secret.encode()).hexdigest()


def new_secret() -> tuple[str, str]:
    """(the whole token, its public prefix)."""
    prefix = secrets.token_hex(PREFIX_LENGTH // 2)
    return f"{TOKEN_PREFIX}{prefix}_{secrets.token_urlsafe(32)}", prefix


class ApiTokenQuerySet(models.QuerySet):
    def usable(self, now=None):
        now = now or timezone.now()
        return self.filter(revoked_at__isnull=True).filter(
            Q(expires_at__isnull=True) | Q(expires_at__gt=now)
        )


class ApiToken(models.Model):
    """A personal token: the API acts as its user, with the user's roles and record access."""

    class Access(models.TextChoices):
        READ = "read", _("Read only")
        WRITE = "write", _("Read and write")

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        on_delete=models.CASCADE,
        related_name="api_tokens",
    )
    name = models.CharField(
        _("name"), max_length=100, help_text=_("What the token is for, e.g. the ERP's import.")
    )
    access = models.CharField(_("access"), max_length=10, choices=Access, default=Access.READ)
    prefix = models.CharField(_("prefix"), max_length=PREFIX_LENGTH, editable=False)
    secret_hash = models.CharField(max_length=64, unique=True, editable=False)
    created_at = models.DateTimeField(_("created at"), default=timezone.now, editable=False)
    expires_at = models.DateTimeField(
        _("expires at"),
        null=True,
        blank=True,
        help_text=_("Empty: until revoked."),
        validators=[bounds.WindowValidator("recorded")],
    )
    last_used_at = models.DateTimeField(_("last used"), null=True, blank=True, editable=False)
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True, editable=False)

    objects = ApiTokenQuerySet.as_manager()

    class Meta:
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(expires_at__isnull=True) | Q(expires_at__gt=F("created_at")),
                name="api_token_expires_after_creation",
            ),
        ]
        indexes = [
            # The "API tokens" page: a user's tokens, newest first.
            models.Index(fields=["user", "-created_at"], name="api_token_user_created"),
        ]

    def __str__(self):
        return f"{self.name} ({self.display_prefix})"

    @property
    def display_prefix(self):
        """How the page names the token: its first characters, the rest elided."""
        return f"{TOKEN_PREFIX}{self.prefix}…"

    @property
    def read_only(self):
        return self.access == self.Access.READ

    @property
    def is_usable(self):
        return self.revoked_at is None and (
            self.expires_at is None or self.expires_at > timezone.now()
        )


class IdempotencyKey(models.Model):
    """The answer given to a create request sent with an `Idempotency-Key` header, so that a
    retry gets the same answer instead of creating the record twice."""

    # Whose key: "token:<id>", or "user:<id>" for a browser session (the docs page).
    principal = models.CharField(max_length=40)
    key = models.CharField(max_length=255)
    # SHA-256 of the method, path and body the key was first sent with.
    fingerprint = models.CharField(max_length=64)
    status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    # The answer's JSON as first sent, as text: jsonb would reorder its keys, and a replay
    # answers exactly as the first answer did.
    response_body = models.TextField(blank=True)
    etag = models.CharField(max_length=100, blank=True)
    location = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()

    class Meta:
        constraints = [
            # The guard against a double booking: two simultaneous requests with one key cannot
            # both insert their row, so the second waits for the first and replays its answer.
            models.UniqueConstraint(fields=["principal", "key"], name="api_idempotency_key_unique"),
        ]
        indexes = [
            # The housekeeping task deletes expired keys.
            models.Index(fields=["expires_at"], name="api_idempotency_expires"),
        ]

    def __str__(self):
        return f"{self.principal}: {self.key}"
