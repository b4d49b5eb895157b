"""Notifications: in-app messages (mirrored by e-mail), once per event."""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

from core import bounds, lists
from core.money import format_amount

from .approvals import Approval
from .instances import ProcessInstance, title_text


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
    message = models.CharField(
        _("message"),
        max_length=300,
        help_text=_(
            "The text as it was sent (in the recipient's language then); the pages write it "
            "again from the kind and parameters in the reader's language."
        ),
    )
    params = models.JSONField(
        _("parameters"),
        default=dict,
        blank=True,
        help_text=_("What the text says, as values: written in the reader's language on display."),
    )
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
        return self.text

    @property
    def text(self):
        """The notification in the active language, with its numbers in that language's format:
        written from `kind` and `params` (notification_text). A notification recorded before
        the parameters were kept (or of a kind without a sentence) shows `message`."""
        if not self.params:
            return self.message
        return notification_text(self.kind, self.params) or self.message


def _title(params):
    return title_text(
        params.get("title", ""), params.get("title_kind", ""), params.get("title_params")
    )


def _count(value):
    return format_amount(value, 0)


def _watch_text(params):
    """The stall and SLA watch's warnings; an escalation is its warning, marked escalated."""
    about = params.get("about")
    names = {"title": _title(params), "customer": params.get("customer", "")}
    if about == "stage_sla":
        text = gettext("“%(title)s” (%(customer)s) is past the SLA of stage %(stage)s.") % {
            **names,
            "stage": params.get("stage", ""),
        }
    elif about == "stall":
        days = int(params.get("days", 0))
        text = ngettext(
            "“%(title)s” (%(customer)s) has had no activity for %(days)s day.",
            "“%(title)s” (%(customer)s) has had no activity for %(days)s days.",
            days,
        ) % {**names, "days": _count(days)}
    elif about == "response":
        text = gettext("Ticket “%(title)s” (%(customer)s) has had no response in time.") % names
    elif about == "resolution":
        text = gettext("Ticket “%(title)s” (%(customer)s) is past its resolution deadline.") % names
    else:
        return ""
    if params.get("escalated"):
        text = gettext("Escalated: %(message)s") % {"message": text}
    return text


def _approval_requested_text(params):
    names = {"what": Approval.Action(params["action"]).label, "title": _title(params)}
    if params.get("who"):
        return gettext("%(who)s asks for approval: %(what)s on “%(title)s”.") % {
            **names,
            "who": params["who"],
        }
    return gettext("A scheduled job asks for approval: %(what)s on “%(title)s”.") % names


def _approval_decided_text(params):
    return gettext("%(what)s on “%(title)s”: %(decision)s.") % {
        "what": Approval.Action(params["action"]).label,
        "title": _title(params),
        "decision": Approval.Decision(params["decision"]).label,
    }


def _webhook_disabled_text(params):
    return gettext(
        "Webhook “%(name)s” (%(url)s) was switched off after %(count)s failed deliveries "
        "in a row. Check the receiver, then activate it again."
    ) % {"name": params["name"], "url": params["url"], "count": _count(params["count"])}


def _export_list(params):
    info = lists.get(params["list"])
    return str(info.label) if info is not None else params["list"]


def _export_ready_text(params):
    rows = int(params["rows"])
    return ngettext(
        "Your export of %(list)s (%(rows)s row) is ready to download.",
        "Your export of %(list)s (%(rows)s rows) is ready to download.",
        rows,
    ) % {"list": _export_list(params), "rows": _count(rows)}


def _export_failed_text(params):
    return gettext("Your export of %(list)s failed: %(error)s") % {
        "list": _export_list(params),
        "error": params.get("error", ""),
    }


_TEXTS = {
    Notification.Kind.STAGE_SLA_WARNING: _watch_text,
    Notification.Kind.STAGE_SLA_ESCALATION: _watch_text,
    Notification.Kind.STALL_WARNING: _watch_text,
    Notification.Kind.STALL_ESCALATION: _watch_text,
    Notification.Kind.RESPONSE_SLA_BREACH: _watch_text,
    Notification.Kind.RESOLUTION_SLA_BREACH: _watch_text,
    Notification.Kind.APPROVAL_REQUESTED: _approval_requested_text,
    Notification.Kind.APPROVAL_DECIDED: _approval_decided_text,
    Notification.Kind.WEBHOOK_DISABLED: _webhook_disabled_text,
    Notification.Kind.EXPORT_READY: _export_ready_text,
    Notification.Kind.EXPORT_FAILED: _export_failed_text,
}


def notification_text(kind, params) -> str:
    """A notification of `kind` written from `params` in the active language; "" when the
    kind has no sentence or the parameters do not fit it (the stored message is shown)."""
    writer = _TEXTS.get(kind)
    if writer is None:
        return ""
    try:
        return writer(params)
    except (KeyError, TypeError, ValueError, ArithmeticError):
        return ""
