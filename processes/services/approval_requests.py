"""Asking the managers for a decision: shared by opening a held process (instances) and by the
requests a person makes (approvals)."""

from core.integrity import save_or_raise_validation

from ..models import Approval, Notification
from .activity import _touch
from .notifications import managers, notification_send


def _request_approval(*, instance, action, value=None, reason="", reason_data=None, by) -> Approval:
    """A pending request for the managers (notified, except the requester). `by` is None for a
    scheduled job's request; `reason_data` is a decision rules' hold's reasons as data
    (Approval.reason_text)."""
    approval = Approval(
        instance=instance,
        action=action,
        value=value,
        reason=(reason or "").strip(),
        reason_data=reason_data or [],
        requested_by=by,
    )
    approval.full_clean()
    save_or_raise_validation(approval)

    # Written in each reader's language from these values (Notification.text).
    params = {
        "action": approval.action,
        "who": by.get_username() if by is not None else "",
        **instance.title_data(),
    }

    for boss in managers():
        if by is None or boss.pk != by.pk:
            notification_send(
                recipient=boss,
                kind=Notification.Kind.APPROVAL_REQUESTED,
                instance=instance,
                occurrence=f"approval:{approval.pk}",
                params=params,
            )
    _touch(instance)
    return approval
