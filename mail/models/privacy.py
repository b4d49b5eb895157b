"""What a user keeps out of the CRM: addresses and domains never filed from their mailbox, and
the messages they made private (only the Message-ID stays, so no sync files them again)."""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class PrivateAddress(models.Model):
    """An address (anna@example.com) or a whole domain (@example.com) whose messages in the
    owner's own mailbox are never filed: not stored, not shown, not even in triage."""

    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("owner"),
        on_delete=models.CASCADE,
        related_name="private_mail_addresses",
    )
    pattern = models.CharField(
        _("address or domain"),
        max_length=254,
        help_text=_("An e-mail address, or a domain written as @example.com."),
    )
    created_at = models.DateTimeField(_("added at"), auto_now_add=True)

    class Meta:
        ordering = ["pattern"]
        verbose_name = _("private address")
        verbose_name_plural = _("private addresses")
        constraints = [
            models.UniqueConstraint(
                fields=["owner", "pattern"],
                name="mail_private_address_unique",
                violation_error_message=_("This address is already private."),
            ),
        ]

    def __str__(self):
        return self.pattern

    def clean(self):
        self.pattern = (self.pattern or "").strip().lower()
        value = self.pattern
        if value.startswith("@"):
            value = "x" + value
        try:
            validate_email(value)
        except ValidationError:
            raise ValidationError(
                {"pattern": _("Write an e-mail address or a domain such as @example.com.")}
            ) from None


class PrivateMessage(models.Model):
    """A message someone made private: its content is gone from the CRM; the Message-ID stays so
    that a sync of any mailbox (or a reply in its thread) never files it again."""

    message_id = models.CharField(_("Message-ID"), max_length=255, unique=True, editable=False)
    made_private_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("made private by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    made_private_at = models.DateTimeField(_("made private at"), default=timezone.now)

    class Meta:
        verbose_name = _("private message")
        verbose_name_plural = _("private messages")

    def __str__(self):
        return self.message_id
