"""Asking the managers for a decision: shared by opening a held process (instances) and by the
requests a person makes (approvals)."""

from django.utils.translation import gettext as _

from core.integrity import save_or_raise_validation

from ..models import Approval, Notification
from .activity import _touch
from .notifications import managers, notification_send


def _request_approval(*, instance, action, value=None, reason="", by) -> Approval:
    """A pending request for the managers (notified, except the requester). `by` is None for a
    scheduled job's request."""
    approval = Approval(
        instance=instance,
        action=action,
        value=value,
        reason=(reason or "").strip(),
        requested_by=by,
    )
    approval.full_clean()
    save_or_raise_validation(approval)

    def message():  # written in each manager's language by notification_send
        if by is not None:
            return _("%(who)s asks for approval: %(what)s on “%(title)s”.") % {
                "who": by.get_username(),
                "what": approval.get_action_display(),
                "title": instance.title,
            }
        return _("A scheduled job asks for approval: %(what)s on “%(title)s”.") % {
            "what": approval.get_action_display(),
            "title": instance.title,
        }

    for boss in managers():
        if by is None or boss.pk != by.pk:
            notification_send(
                recipient=boss,
                kind=Notification.Kind.APPROVAL_REQUESTED,
                instance=instance,
                occurrence=f"approval:{approval.pk}",
                message=message,
            )
    _touch(instance)
    return approval
