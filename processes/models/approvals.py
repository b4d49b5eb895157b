"""Approvals: requests for a manager's decision that gate an action on an instance."""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core import bounds
from core.money import NumberField
from core.visibility import CustomerRecordQuerySet

from .decision_rules import breach_text


class ApprovalQuerySet(CustomerRecordQuerySet):
    customer_path = "instance__customer__"


class Approval(models.Model):
    """A request for a manager's decision; the action it gates proceeds only once approved."""

    class Action(models.TextChoices):
        DISCOUNT = "discount", _("Discount above the threshold")
        WRITE_OFF = "write_off", _("Write off a collection case")
        START = "start", _("Start despite a decision rule")

    class Decision(models.TextChoices):
        PENDING = "pending", _("Pending")
        APPROVED = "approved", _("Approved")
        REJECTED = "rejected", _("Rejected")

    instance = models.ForeignKey(
        # By name: the instance's queryset reads approvals, so instances import this module.
        "processes.ProcessInstance",
        verbose_name=_("process"),
        on_delete=models.CASCADE,
        related_name="approvals",
    )
    action = models.CharField(_("what"), max_length=20, choices=Action)
    value = NumberField(
        _("value"),
        max_digits=14,
        decimal_places=2,
        null=True,
        blank=True,
        help_text=_("E.g. the discount in percent that is asked for."),
        validators=[bounds.min_zero_validator(), bounds.max_amount_validator()],
    )
    reason = bounds.text_field(
        _("why"),
        blank=True,
        limit=bounds.SHORT_TEXT,
    )
    reason_data = models.JSONField(
        _("why, as data"),
        default=list,
        blank=True,
        editable=False,
        help_text=_(
            "A start held by decision rules: each broken rule and its reasons as codes and "
            "values, written in each reader's language (reason_text); `why` keeps the text as "
            "it was first written."
        ),
    )
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("requested by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        help_text=_("Empty when a scheduled job started the process a decision rule held."),
    )
    requested_at = models.DateTimeField(
        _("requested at"), default=timezone.now, validators=[bounds.WindowValidator("recorded")]
    )
    decision = models.CharField(
        _("decision"), max_length=10, choices=Decision, default=Decision.PENDING
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("decided by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    decided_at = models.DateTimeField(
        _("decided at"), null=True, blank=True, validators=[bounds.WindowValidator("recorded")]
    )
    comment = bounds.text_field(
        _("comment"),
        blank=True,
        limit=bounds.SHORT_TEXT,
    )

    objects = ApprovalQuerySet.as_manager()

    class Meta:
        ordering = ["-requested_at", "-id"]
        verbose_name = _("approval")
        verbose_name_plural = _("approvals")
        constraints = [
            models.UniqueConstraint(
                fields=["instance", "action"],
                condition=models.Q(decision="pending"),
                name="one_pending_approval_per_action",
                violation_error_message=_("This is already waiting for a manager's decision."),
            ),
            models.CheckConstraint(
                condition=models.Q(decision__in=["pending", "approved", "rejected"]),
                name="approval_decision_valid",
            ),
            models.CheckConstraint(
                condition=models.Q(decision="pending", decided_at__isnull=True)
                | models.Q(
                    ~models.Q(decision="pending"),
                    decided_at__isnull=False,
                    decided_by__isnull=False,
                ),
                name="approval_decision_has_when_and_who",
            ),
            # Four eyes: nobody decides their own request.
            models.CheckConstraint(
                condition=models.Q(decided_by__isnull=True)
                | models.Q(requested_by__isnull=True)
                | ~models.Q(decided_by=models.F("requested_by")),
                name="approval_not_self_decided",
                violation_error_message=_("Nobody can decide their own request."),
            ),
            # Only a job's start held by a decision rule comes from nobody in particular.
            models.CheckConstraint(
                condition=models.Q(requested_by__isnull=False) | models.Q(action="start"),
                name="approval_has_requester",
            ),
            bounds.window_check(
                "requested_at",
                bounds.RECORDED,
                name="approval_requested_in_window",
                datetime_field=True,
            ),
            bounds.window_check(
                "decided_at",
                bounds.RECORDED,
                name="approval_decided_in_window",
                datetime_field=True,
            ),
        ]
        indexes = [
            # Approvals queue: pending requests, oldest first.
            models.Index(fields=["decision", "requested_at"], name="approval_queue_idx"),
        ]

    def __str__(self):
        return f"{self.get_action_display()} · {self.instance}"

    @property
    def reason_text(self):
        """Why, in the reader's language: a start held by decision rules is written from its
        reason_data; a person's reason (and a hold recorded before reason_data) as stored."""
        if self.reason_data:
            return "\n".join(
                breach_text(breach.get("rule", ""), breach.get("reasons", []))
                for breach in self.reason_data
            )
        return self.reason

    @property
    def is_pending(self):
        return self.decision == self.Decision.PENDING

    def is_requested_by(self, user) -> bool:
        """Four eyes: whoever asked cannot decide (approval_not_self_decided); a scheduled
        job's request is anyone's to decide."""
        return self.requested_by_id is not None and self.requested_by_id == user.pk
