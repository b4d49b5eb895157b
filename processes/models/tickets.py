"""Support tickets: the SLA a ticket's priority sets and the support details of an instance."""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core import bounds
from core.visibility import CustomerRecordQuerySet
from customers.models import ContactPerson
from relationships.models import Asset

from .definitions import ProcessDefinition
from .instances import ProcessInstance


def next_sla_deadline(*, response_due, first_response, resolution_due, resolved):
    """The earliest SLA deadline not yet met: the first response's until it is given, the
    resolution's until the ticket is resolved; None when neither is left. An open ticket's is
    stored on its process (ProcessInstance.sla_due_at), which the service queue orders by."""
    pending = [
        due
        for due, met in ((response_due, first_response), (resolution_due, resolved))
        if due is not None and met is None
    ]
    return min(pending, default=None)


class SlaPolicy(models.Model):
    """Support: the response and resolution times a ticket's priority sets, per definition."""

    class Priority(models.TextChoices):
        LOW = "low", _("Low")
        NORMAL = "normal", _("Normal")
        HIGH = "high", _("High")
        URGENT = "urgent", _("Urgent")

    definition = models.ForeignKey(
        ProcessDefinition,
        verbose_name=_("definition"),
        on_delete=models.CASCADE,
        related_name="sla_policies",
    )
    priority = models.CharField(_("priority"), max_length=10, choices=Priority)
    response_hours = models.PositiveIntegerField(
        _("response within (hours)"), validators=[MinValueValidator(1)]
    )
    resolution_hours = models.PositiveIntegerField(
        _("resolution within (hours)"), validators=[MinValueValidator(1)]
    )

    class Meta:
        ordering = ["definition", "priority"]
        verbose_name = _("SLA policy")
        verbose_name_plural = _("SLA policies")
        constraints = [
            models.UniqueConstraint(
                fields=["definition", "priority"],
                name="one_sla_per_definition_priority",
                violation_error_message=_("This definition already has an SLA for this priority."),
            ),
            models.CheckConstraint(
                condition=models.Q(resolution_hours__gte=models.F("response_hours")),
                name="sla_resolution_after_response",
                violation_error_message=_("Resolution cannot be due before the first response."),
            ),
        ]

    def __str__(self):
        return f"{self.definition} · {self.get_priority_display()}"

    def clean(self):
        if (
            self.response_hours
            and self.resolution_hours
            and self.resolution_hours < self.response_hours
        ):
            raise ValidationError(
                {"resolution_hours": _("Resolution cannot be due before the first response.")}
            )


class TicketQuerySet(CustomerRecordQuerySet):
    customer_path = "instance__customer__"


class Ticket(models.Model):
    """The support details of an instance of a support definition."""

    Priority = SlaPolicy.Priority

    instance = models.OneToOneField(
        ProcessInstance,
        verbose_name=_("instance"),
        on_delete=models.CASCADE,
        primary_key=True,
        related_name="ticket",
    )
    contact_person = models.ForeignKey(
        ContactPerson,
        verbose_name=_("contact person"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="tickets",
    )
    asset = models.ForeignKey(
        Asset,
        verbose_name=_("asset"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="tickets",
    )
    priority = models.CharField(
        _("priority"), max_length=10, choices=Priority, default=Priority.NORMAL
    )
    description = bounds.text_field(
        _("description"),
        limit=bounds.LONG_TEXT,
    )
    response_due_at = models.DateTimeField(
        _("response due"), null=True, blank=True, validators=[bounds.WindowValidator("recorded")]
    )
    resolution_due_at = models.DateTimeField(
        _("resolution due"), null=True, blank=True, validators=[bounds.WindowValidator("recorded")]
    )
    first_response_at = models.DateTimeField(
        _("first response"), null=True, blank=True, validators=[bounds.WindowValidator("recorded")]
    )
    first_response_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("first response by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    resolved_at = models.DateTimeField(
        _("resolved at"), null=True, blank=True, validators=[bounds.WindowValidator("recorded")]
    )

    objects = TicketQuerySet.as_manager()

    class Meta:
        verbose_name = _("ticket")
        verbose_name_plural = _("tickets")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(priority__in=["low", "normal", "high", "urgent"]),
                name="ticket_priority_valid",
            ),
            models.CheckConstraint(
                condition=models.Q(first_response_at__isnull=True)
                | models.Q(first_response_by__isnull=False),
                name="ticket_response_has_who",
            ),
            bounds.window_check(
                "response_due_at",
                bounds.RECORDED,
                name="ticket_response_due_in_window",
                datetime_field=True,
            ),
            bounds.window_check(
                "resolution_due_at",
                bounds.RECORDED,
                name="ticket_resolution_due_in_window",
                datetime_field=True,
            ),
            bounds.window_check(
                "first_response_at",
                bounds.RECORDED,
                name="ticket_first_response_in_window",
                datetime_field=True,
            ),
            bounds.window_check(
                "resolved_at",
                bounds.RECORDED,
                name="ticket_resolved_in_window",
                datetime_field=True,
            ),
        ]
        indexes = [
            # SLA watch: tickets still waiting for a first response.
            models.Index(
                fields=["response_due_at"],
                condition=models.Q(first_response_at__isnull=True),
                name="ticket_awaiting_response_idx",
            ),
            # SLA watch: tickets not yet resolved.
            models.Index(
                fields=["resolution_due_at"],
                condition=models.Q(resolved_at__isnull=True),
                name="ticket_unresolved_idx",
            ),
        ]

    def __str__(self):
        return str(self.instance)

    def clean(self):
        errors = {}
        customer_id = self.instance.customer_id if self.instance_id else None
        if self.contact_person and self.contact_person.customer_id != customer_id:
            errors["contact_person"] = _("This person represents another customer.")
        if self.asset and self.asset.customer_id != customer_id:
            errors["asset"] = _("This asset belongs to another customer.")
        if errors:
            raise ValidationError(errors)

    def next_deadline(self):
        """What the ticket's process stores as `sla_due_at` while it is open."""
        return next_sla_deadline(
            response_due=self.response_due_at,
            first_response=self.first_response_at,
            resolution_due=self.resolution_due_at,
            resolved=self.resolved_at,
        )

    def _missed(self, deadline, met, now):
        """The deadline passed before it was met or the ticket closed, whichever came first
        (a ticket cancelled in time has not breached it); processes.models.sla_breach_q."""
        if deadline is None:
            return False
        ends = [moment for moment in (met, self.instance.closed_at) if moment is not None]
        return (min(ends) if ends else now or timezone.now()) > deadline

    def response_breached(self, now=None):
        return self._missed(self.response_due_at, self.first_response_at, now)

    def resolution_breached(self, now=None):
        return self._missed(self.resolution_due_at, self.resolved_at, now)
