"""Notifications: in-app messages (mirrored by e-mail), once per event."""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core import bounds

from .instances import ProcessInstance


class Notification(models.Model):
    """An in-app message (mirrored by e-mail). `occurrence` names the event it is about, so the
    watch job can run any number of times and still warn once per event."""

    class Kind(models.TextChoices):
        STAGE_SLA_WARNING = "stage_sla_warning", _("Stage SLA exceeded")
        STAGE_SLA_ESCALATION = "stage_sla_escalation", _("Stage SLA escalated")
        STALL_WARNING = "stall_warning", _("No activity")
        STALL_ESCALATION = "stall_escalation", _("No activity, escalated")
        RESPONSE_SLA_BREACH = "response_sla_breach", _("Ticket response overdue")
        RESOLUTION_SLA_BREACH = "resolution_sla_breach", _("Ticket resolution overdue")
        APPROVAL_REQUESTED = "approval_requested", _("Approval requested")
        APPROVAL_DECIDED = "approval_decided", _("Approval decided")
        TASK_ASSIGNED = "task_assigned", _("Task assigned")
        WEBHOOK_DISABLED = "webhook_disabled", _("Webhook switched off")
        EXPORT_READY = "export_ready", _("Export ready")
        EXPORT_FAILED = "export_failed", _("Export failed")

    # What managers are told when a warning went unheeded (the home page's "Escalations").
    ESCALATIONS = (Kind.STAGE_SLA_ESCALATION, Kind.STALL_ESCALATION)

    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("recipient"),
        on_delete=models.CASCADE,
        related_name="process_notifications",
    )
    kind = models.CharField(_("kind"), max_length=30, choices=Kind)
    instance = models.ForeignKey(
        ProcessInstance,
        verbose_name=_("process"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="notifications",
    )
    occurrence = models.CharField(
        _("occurrence"),
        max_length=100,
        help_text=_("What the notification is about, e.g. the stage entry that ran late."),
    )
    message = models.CharField(_("message"), max_length=300)
    link = models.CharField(
        _("link"),
        max_length=300,
        blank=True,
        help_text=_("A page of the CRM the notification leads to, when it is about no process."),
    )
    created_at = models.DateTimeField(
        _("created at"), default=timezone.now, validators=[bounds.WindowValidator("recorded")]
    )
    read_at = models.DateTimeField(
        _("read at"), null=True, blank=True, validators=[bounds.WindowValidator("recorded")]
    )
    emailed = models.BooleanField(_("e-mailed"), default=False)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        constraints = [
            # The watch job's idempotency: one notification per recipient and event, ever.
            models.UniqueConstraint(
                fields=["recipient", "kind", "instance", "occurrence"],
                name="notification_once_per_event",
            ),
            bounds.window_check(
                "created_at",
                bounds.RECORDED,
                name="notification_created_in_window",
                datetime_field=True,
            ),
            bounds.window_check(
                "read_at", bounds.RECORDED, name="notification_read_in_window", datetime_field=True
            ),
        ]
        indexes = [
            # Notifications page: a user's newest first, unread filter.
            models.Index(fields=["recipient", "-created_at"], name="notification_recipient_idx"),
            # The bell on every page: a user's unread count, read from this small index alone.
            models.Index(
                fields=["recipient"],
                condition=models.Q(read_at__isnull=True),
                name="notification_unread_idx",
            ),
        ]

    def __str__(self):
        return self.message
