"""The relationship with a customer: its lifecycle from first contact to a conscious end."""

from django.conf import settings
from django.db import models
from django.utils import formats, timezone
from django.utils.translation import gettext_lazy as _

from core import bounds
from core.visibility import CustomerRecordQuerySet
from customers.models import Customer


class RelationshipQuerySet(CustomerRecordQuerySet):
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
        # Given by customers.merging only: the customer was a duplicate, merged into another
        # whose relationship stayed open (the user chose which).
        MERGED = "merged", _("Merged into another customer")

    customer = models.ForeignKey(
        Customer, verbose_name=_("customer"), on_delete=models.PROTECT, related_name="relationships"
    )
    status = models.CharField(_("status"), max_length=20, choices=Status, default=Status.PROSPECT)
    kind = models.CharField(_("kind"), max_length=20, choices=Kind, default=Kind.LASTING)
    started_on = models.DateField(
        _("started on"), default=timezone.localdate, validators=[bounds.WindowValidator("past")]
    )
    started_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("started by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    ended_at = models.DateTimeField(
        _("ended at"), null=True, blank=True, validators=[bounds.WindowValidator("past")]
    )
    ended_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("ended by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    end_reason = models.CharField(_("end reason"), max_length=30, choices=EndReason, blank=True)
    end_note = bounds.text_field(
        _("end note"),
        blank=True,
        limit=bounds.SHORT_TEXT,
    )

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
            bounds.window_check("started_on", bounds.PAST, name="relationship_started_in_window"),
            bounds.window_check(
                "ended_at", bounds.PAST, name="relationship_ended_in_window", datetime_field=True
            ),
        ]

    def __str__(self):
        started = (
            formats.date_format(self.started_on, "SHORT_DATE_FORMAT") if self.started_on else ""
        )
        return f"{self.customer} · {self.get_status_display()} · {started}"

    @property
    def is_open(self):
        return self.status != self.Status.ENDED

    @property
    def age_days(self):
        end = timezone.localdate(self.ended_at) if self.ended_at else timezone.localdate()
        return (end - self.started_on).days
