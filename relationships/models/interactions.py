"""Interactions: the contact log."""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core import bounds
from core.visibility import CustomerRecordQuerySet
from customers.models import ContactPerson, Customer

from .relationships import Relationship


class Interaction(models.Model):
    """A contact with the customer: who talked to whom, when, how and about what."""

    class Channel(models.TextChoices):
        CALL = "call", _("Call")
        EMAIL = "email", _("E-mail")
        MEETING = "meeting", _("Meeting")
        MAILING = "mailing", _("Mailing")
        LETTER = "letter", _("Letter")
        CHAT = "chat", _("Chat")
        VISIT = "visit", _("Visit")
        WEB_FORM = "web_form", _("Web form")

    class Direction(models.TextChoices):
        INBOUND = "inbound", _("Inbound (they contacted us)")
        OUTBOUND = "outbound", _("Outbound (we contacted them)")

    customer = models.ForeignKey(
        Customer,
        verbose_name=_("customer"),
        on_delete=models.PROTECT,
        related_name="interactions",
        db_index=False,  # interaction_customer_idx starts with it
    )
    relationship = models.ForeignKey(
        Relationship,
        verbose_name=_("relationship"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="interactions",
    )
    contact_person = models.ForeignKey(
        ContactPerson,
        verbose_name=_("contact person"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="interactions",
    )
    channel = models.CharField(_("channel"), max_length=20, choices=Channel)
    direction = models.CharField(_("direction"), max_length=10, choices=Direction)
    subject = models.CharField(_("subject"), max_length=200)
    notes = bounds.text_field(
        _("notes"),
        blank=True,
        limit=bounds.LONG_TEXT,
    )
    outcome = models.CharField(_("outcome"), max_length=200, blank=True)
    occurred_at = models.DateTimeField(
        _("when"), default=timezone.now, validators=[bounds.WindowValidator("past")]
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="interactions",
        db_index=False,  # interaction_author_idx starts with it
    )
    created_at = models.DateTimeField(_("recorded at"), auto_now_add=True)

    objects = CustomerRecordQuerySet.as_manager()

    class Meta:
        ordering = ["-occurred_at", "-id"]
        verbose_name = _("interaction")
        verbose_name_plural = _("interactions")
        constraints = [
            bounds.window_check(
                "occurred_at",
                bounds.PAST,
                name="interaction_occurred_in_window",
                datetime_field=True,
            ),
        ]
        indexes = [
            # Customer page: timeline and "last contact".
            models.Index(fields=["customer", "-occurred_at"], name="interaction_customer_idx"),
            # Usage reports: records added per user and period.
            models.Index(fields=["created_by", "created_at"], name="interaction_author_idx"),
            # Usage report (analytics.usage): today's interactions counted live, and the
            # nightly rollup's ranges of days.
            models.Index(fields=["created_at"], name="interaction_created_idx"),
        ]

    def __str__(self):
        return f"{self.get_channel_display()}: {self.subject}"
