from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from customers.models import ContactPerson, Customer


class RelationshipQuerySet(models.QuerySet):
    def open(self):
        return self.exclude(status=Relationship.Status.ENDED)


class Relationship(models.Model):
    """What we have with a customer, from the first contact until a person consciously ends it."""

    class Status(models.TextChoices):
        PROSPECT = "prospect", _("Prospect")
        ACTIVE = "active", _("Active")
        ENDED = "ended", _("Ended")

    class Kind(models.TextChoices):
        LASTING = "lasting", _("Lasting relationship")
        CASUAL = "casual", _("Casual contact")

    class EndReason(models.TextChoices):
        NOT_CREDITWORTHY = "not_creditworthy", _("Not creditworthy")
        MOVED_TO_COMPETITOR = "competitor", _("Moved to a competitor")
        COMPANY_CLOSED = "closed", _("Company closed")
        NO_LONGER_NEEDS = "no_need", _("No longer needs our offer")
        UNRESPONSIVE = "unresponsive", _("Never responded")
        OUR_DECISION = "our_decision", _("Our decision")
        OTHER = "other", _("Other")

    customer = models.ForeignKey(
        Customer, verbose_name=_("customer"), on_delete=models.PROTECT, related_name="relationships"
    )
    status = models.CharField(_("status"), max_length=20, choices=Status, default=Status.PROSPECT)
    kind = models.CharField(_("kind"), max_length=20, choices=Kind, default=Kind.LASTING)
    started_on = models.DateField(_("started on"), default=timezone.localdate)
    started_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("started by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    ended_at = models.DateTimeField(_("ended at"), null=True, blank=True)
    ended_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("ended by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    end_reason = models.CharField(_("end reason"), max_length=30, choices=EndReason, blank=True)
    end_note = models.TextField(_("end note"), blank=True)

    history = HistoricalRecords()
    objects = RelationshipQuerySet.as_manager()

    class Meta:
        ordering = ["-started_on", "-id"]
        verbose_name = _("relationship")
        verbose_name_plural = _("relationships")
        constraints = [
            models.UniqueConstraint(
                fields=["customer"],
                condition=~models.Q(status="ended"),
                name="one_open_relationship_per_customer",
                violation_error_message=_("This customer already has an open relationship."),
            ),
            # An ended relationship always says when, by whom and why; an open one says none of it.
            models.CheckConstraint(
                condition=(
                    models.Q(
                        status="ended",
                        ended_at__isnull=False,
                        ended_by__isnull=False,
                    )
                    & ~models.Q(end_reason="")
                )
                | models.Q(~models.Q(status="ended"), ended_at__isnull=True, end_reason=""),
                name="relationship_end_is_complete",
                violation_error_message=_(
                    "Ending a relationship needs a reason, a time and a person."
                ),
            ),
            models.CheckConstraint(
                condition=models.Q(status__in=["prospect", "active", "ended"]),
                name="relationship_status_valid",
            ),
        ]

    def __str__(self):
        return f"{self.customer} · {self.get_status_display()} · {self.started_on}"

    @property
    def is_open(self):
        return self.status != self.Status.ENDED

    @property
    def age_days(self):
        end = timezone.localdate(self.ended_at) if self.ended_at else timezone.localdate()
        return (end - self.started_on).days


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
        Customer, verbose_name=_("customer"), on_delete=models.PROTECT, related_name="interactions"
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
    notes = models.TextField(_("notes"), blank=True)
    outcome = models.CharField(_("outcome"), max_length=200, blank=True)
    occurred_at = models.DateTimeField(_("when"), default=timezone.now)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="interactions",
    )
    created_at = models.DateTimeField(_("recorded at"), auto_now_add=True)

    class Meta:
        ordering = ["-occurred_at", "-id"]
        verbose_name = _("interaction")
        verbose_name_plural = _("interactions")
        indexes = [
            # Customer page: timeline and "last contact".
            models.Index(fields=["customer", "-occurred_at"], name="interaction_customer_idx"),
            # Usage reports: records added per user and period.
            models.Index(fields=["created_by", "created_at"], name="interaction_author_idx"),
        ]

    def __str__(self):
        return f"{self.get_channel_display()}: {self.subject}"
