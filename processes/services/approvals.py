"""Approvals: a discount over the threshold and a write-off wait for a manager, whose decision
carries out (or refuses) the action held back. Requests are made in approval_requests."""

from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from core import events
from core.permissions import can
from relationships import services as relationship_services

from ..models import (
    Approval,
    CollectionCase,
    Notification,
    ProcessDefinition,
    ProcessInstance,
    Stage,
)
from ..permissions import APPROVE
from .activity import _touch
from .approval_requests import _request_approval
from .collection_emails import _collection_email
from .instances import instance_move, instance_update
from .notifications import notification_send


@transaction.atomic
def opportunity_set_discount(*, instance: ProcessInstance, percent, reason="", by):
    """Apply a discount to a sales opportunity; above the threshold it waits for a manager.

    Returns the Approval when one was requested, else None (the discount applies at once).
    """
    if instance.definition.kind != ProcessDefinition.Kind.SALES:
        raise ValidationError(_("Discounts apply to sales opportunities."))
    if not instance.is_open:
        raise ValidationError(_("This process is closed."))
    percent = Decimal(percent)
    if percent < 0 or percent > 100:
        raise ValidationError({"percent": _("A discount is between 0 and 100 percent.")})
    if percent > settings.PROCESS_DISCOUNT_APPROVAL_THRESHOLD:
        if not (reason or "").strip():
            raise ValidationError({"reason": _("Say why this discount is needed.")})
        return _request_approval(
            instance=instance, action=Approval.Action.DISCOUNT, value=percent, reason=reason, by=by
        )
    instance_update(instance=instance, data={"discount_percent": percent})
    return None


@transaction.atomic
def collection_case_request_write_off(*, instance: ProcessInstance, reason, by) -> Approval:
    if instance.definition.kind != ProcessDefinition.Kind.COLLECTIONS:
        raise ValidationError(_("Only a collection case is written off."))
    if not instance.is_open:
        raise ValidationError(_("This process is closed."))
    if not (reason or "").strip():
        raise ValidationError({"reason": _("Say why the debt should be written off.")})
    if not instance.definition.stages.filter(outcome=Stage.Outcome.LOST).exists():
        raise ValidationError(_("This collections process has no written-off stage."))
    return _request_approval(
        instance=instance, action=Approval.Action.WRITE_OFF, reason=reason, by=by
    )


def _decide(*, approval: Approval, by, decision, comment):
    if not can(by, APPROVE):
        raise ValidationError(_("Only a manager decides approvals."))
    approval = Approval.objects.select_for_update().select_related("instance").get(pk=approval.pk)
    if not approval.is_pending:
        raise ValidationError(_("This request has already been decided."))
    if approval.is_requested_by(by):
        raise ValidationError(_("Nobody can decide their own request."))
    approval.decision = decision
    approval.decided_by = by
    approval.decided_at = timezone.now()
    approval.comment = (comment or "").strip()
    approval.full_clean()
    approval.save()
    return approval


def _tell_requester(approval: Approval):
    """The requester hears the decision; a job's request is told to the instance's owner."""
    recipient = approval.requested_by or approval.instance.owner
    if recipient is None:
        return
    notification_send(
        recipient=recipient,
        kind=Notification.Kind.APPROVAL_DECIDED,
        instance=approval.instance,
        occurrence=f"approval:{approval.pk}",
        # Written in each reader's language from these values (Notification.text).
        params={
            "action": approval.action,
            "decision": approval.decision,
            **approval.instance.title_data(),
        },
    )


def _publish_decision(approval: Approval):
    events.publish(
        events.APPROVAL_DECIDED,
        instance=approval,
        key=f"approval:{approval.pk}:decided",
        data={
            "approval_id": approval.pk,
            "process_id": approval.instance_id,
            "customer_id": approval.instance.customer_id,
            "action": approval.action,
            "value": None if approval.value is None else str(approval.value),
            "decision": approval.decision,
            "decided_by_id": approval.decided_by_id,
            "decided_at": events.iso(approval.decided_at),
            "comment": approval.comment,
            "requested_by_id": approval.requested_by_id,
        },
    )


@transaction.atomic
def approval_approve(*, approval: Approval, by, comment="") -> Approval:
    """Approve a request and carry out the action it was holding back."""
    approval = _decide(
        approval=approval, by=by, decision=Approval.Decision.APPROVED, comment=comment
    )
    instance = approval.instance
    if not instance.is_open:
        raise ValidationError(_("The process has closed in the meantime."))
    if approval.action == Approval.Action.DISCOUNT:
        instance_update(instance=instance, data={"discount_percent": approval.value})
    elif approval.action == Approval.Action.WRITE_OFF:
        case = CollectionCase.objects.select_related("invoice").get(pk=instance.pk)
        lost = instance.definition.stages.filter(outcome=Stage.Outcome.LOST).first()
        # The case closes first, with the approval: the write-off's own closing of its open
        # case (collection_cases_on_event) then has nothing left to do.
        instance_move(
            instance=instance, to_stage=lost, by=by, reason=approval.reason, approval=approval
        )
        if not case.invoice.written_off_at and case.invoice.balance > 0:
            relationship_services.invoice_write_off(
                invoice=case.invoice, reason=approval.reason, by=by
            )
    elif approval.action == Approval.Action.START:
        # The hold lifts with the decision; a held collection case sends its first e-mail now.
        if instance.definition.kind == ProcessDefinition.Kind.COLLECTIONS and instance.stage.code:
            _collection_email(instance=instance, stage=instance.stage, by=by)
        _touch(instance)
    _publish_decision(approval)
    _tell_requester(approval)
    return approval


@transaction.atomic
def approval_reject(*, approval: Approval, by, comment) -> Approval:
    if not (comment or "").strip():
        raise ValidationError({"comment": _("Say why the request is rejected.")})
    approval = _decide(
        approval=approval, by=by, decision=Approval.Decision.REJECTED, comment=comment
    )
    if approval.action == Approval.Action.START:
        _close_refused_start(approval=approval, by=by)
    _publish_decision(approval)
    _tell_requester(approval)
    return approval


def _close_refused_start(*, approval: Approval, by):
    """A start the manager refused closes the instance, into the definition's cancelled stage
    (else its lost stage), with the manager's comment as the reason."""
    instance = approval.instance
    stages = {stage.outcome: stage for stage in instance.definition.stages.exclude(outcome="")}
    terminal = stages.get(Stage.Outcome.CANCELLED) or stages.get(Stage.Outcome.LOST)
    if terminal is None:
        raise ValidationError(_("This process has no cancelled or lost stage to close it in."))
    instance_move(
        instance=instance, to_stage=terminal, by=by, reason=approval.comment, approval=approval
    )
