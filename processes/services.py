"""Writes that span the process models: opening and moving instances (under the definitions'
decision rules), cost accrual, tickets, tasks, the SLA and stall watch, approvals, collections
and retention campaigns."""

import logging
from datetime import timedelta
from decimal import ROUND_HALF_UP, Decimal

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.db.models import Exists, F, OuterRef
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.translation import gettext as _

from core.integrity import save_or_raise_validation
from customers import roles
from customers.models import Customer
from relationships import services as relationship_services
from relationships.models import Contract, Interaction, Invoice

from .models import (
    Approval,
    CollectionCase,
    DecisionRule,
    Notification,
    ProcessDefinition,
    ProcessInstance,
    RetentionCampaign,
    SlaPolicy,
    Stage,
    StageTransition,
    Task,
    Ticket,
    WorkLog,
    stage_deadline,
)
from .selectors import Breach, RuleBook

logger = logging.getLogger(__name__)
CENT = Decimal("0.01")


# --- Decision rules -------------------------------------------------------------------------


class DecisionRuleRefusal(ValidationError):
    """Starting the process breaks a decision rule that refuses it; the messages say which and
    why. A ValidationError, so forms show it above their fields like any other refusal."""

    def __init__(self, breaches):
        super().__init__([breach.message for breach in breaches], code="decision_rule")
        self.breaches = breaches


def decision_rules_check(
    *, definition: ProcessDefinition, customer: Customer, amount=None, currency=""
) -> list[Breach]:
    """The active rules of `definition` that starting it for `customer` would break, each with
    its reasons; empty when the start may go ahead."""
    return RuleBook(definition).breaches(customer=customer, amount=amount, currency=currency)


def _rule_save(rule: DecisionRule) -> DecisionRule:
    rule.full_clean()
    # A parallel save of the same name: the constraint holds, the user sees it beside the name.
    return save_or_raise_validation(rule, fields={"decision_rule_name_unique": "name"})


def decision_rule_create(*, definition: ProcessDefinition, data: dict, by) -> DecisionRule:
    return _rule_save(DecisionRule(definition=definition, created_by=by, **data))


def decision_rule_update(*, rule: DecisionRule, data: dict) -> DecisionRule:
    for name, value in data.items():
        setattr(rule, name, value)
    return _rule_save(rule)


def decision_rule_set_active(*, rule: DecisionRule, active: bool) -> DecisionRule:
    rule.active = active
    rule.full_clean()
    rule.save(update_fields=["active", "updated_at"])
    return rule


# --- The engine -----------------------------------------------------------------------------


def _enter_stage(instance: ProcessInstance, stage: Stage, *, at):
    """Point the instance at `stage` and charge the stage's fixed cost (not saved here)."""
    instance.stage = stage
    instance.stage_entered_at = at
    instance.stage_due_at = None if stage.is_terminal else stage_deadline(stage, at)
    instance.last_activity_at = at
    instance.accrued_cost = (instance.accrued_cost or Decimal(0)) + stage.fixed_cost


@transaction.atomic
def instance_open(
    *,
    definition: ProcessDefinition,
    customer: Customer,
    title,
    by,
    owner=None,
    amount=None,
    currency="",
    expected_close_on=None,
    campaign=None,
    at=None,
    rule_book: RuleBook | None = None,
) -> ProcessInstance:
    """A new instance of `definition` for `customer`, in the definition's first working stage.

    The definition's active decision rules decide first: a broken rule that refuses raises
    DecisionRuleRefusal (nothing is saved); broken rules that ask a manager open the instance
    held, with a pending START approval listing why. `by` is None when a job opens it;
    `rule_book` lets a job that opens many read the rules once.
    """
    if not definition.active:
        raise ValidationError({"definition": _("This process is no longer active.")})
    first = definition.first_stage()
    if first is None:
        raise ValidationError({"definition": _("This process has no working stage to start in.")})
    at = at or timezone.now()
    instance = ProcessInstance(
        definition=definition,
        customer=customer,
        title=(title or "").strip(),
        owner=owner if owner is not None else by,
        amount=amount,
        currency=(currency or (definition.currency if amount is not None else "")).upper(),
        expected_close_on=expected_close_on,
        campaign=campaign,
        opened_at=at,
        opened_by=by,
    )
    _enter_stage(instance, first, at=at)
    instance.full_clean()
    book = rule_book if rule_book is not None else RuleBook(definition)
    breaches = book.breaches(customer=customer, amount=instance.amount, currency=instance.currency)
    if any(breach.refuses for breach in breaches):
        raise DecisionRuleRefusal(breaches)  # every broken rule, so one fix-up round is enough
    instance.save()
    StageTransition.objects.create(instance=instance, from_stage=None, to_stage=first, at=at, by=by)
    if breaches:
        _request_approval(
            instance=instance,
            action=Approval.Action.START,
            reason="\n".join(breach.message for breach in breaches),
            by=by,
        )
        instance.awaiting_start_approval = True
    else:
        instance.awaiting_start_approval = False
    return instance


def move_error(instance: ProcessInstance, to_stage: Stage, reason: str):
    """Why a move is not allowed, or None. The rules, in one place:

    - a closed instance stays closed (no reopening; open a new instance instead);
    - an open instance may move to any other stage of its own definition, forwards or back;
    - entering a terminal stage closes the instance and needs a reason;
    - a collections case is written off only through an approved request;
    - an instance started despite a decision rule waits for a manager's approval first.
    """
    if not instance.is_open:
        return _("This process is closed; a closed process cannot be reopened.")
    if instance.awaiting_start_approval:
        return _(
            "This process waits for a manager's approval to start despite a decision rule; "
            "it cannot move until then."
        )
    if to_stage.definition_id != instance.definition_id:
        return _("That stage belongs to another process.")
    if to_stage.pk == instance.stage_id:
        return _("The process is already in this stage.")
    if to_stage.is_terminal and not (reason or "").strip():
        return _("Say why the process ends as “%(outcome)s”.") % {
            "outcome": to_stage.get_outcome_display()
        }
    return None


@transaction.atomic
def instance_move(
    *, instance: ProcessInstance, to_stage: Stage, by, reason="", at=None, approval=None
) -> ProcessInstance:
    """Move an instance to another stage, logging the move; a terminal stage closes it.

    `approval`: the decided request that authorises a gated move (an approved write-off, or
    a refused start closing a collection case without a cancelled stage).
    """
    # Two people moving the same card at once: the second one sees the first one's move.
    locked = (
        ProcessInstance.objects.select_for_update().select_related("definition").get(pk=instance.pk)
    )
    error = move_error(locked, to_stage, reason)
    if error:
        raise ValidationError({"stage": error})
    if (
        locked.definition.kind == ProcessDefinition.Kind.COLLECTIONS
        and to_stage.outcome == Stage.Outcome.LOST
        and not (
            approval is not None
            and approval.instance_id == locked.pk
            and (approval.action, approval.decision)
            in (
                (Approval.Action.WRITE_OFF, Approval.Decision.APPROVED),
                (Approval.Action.START, Approval.Decision.REJECTED),
            )
        )
    ):
        raise ValidationError(
            {"stage": _("Writing off a collection case needs a manager's approval: request it.")}
        )
    at = at or timezone.now()
    from_stage = locked.stage
    _enter_stage(locked, to_stage, at=at)
    if to_stage.is_terminal:
        locked.outcome = to_stage.outcome
        locked.outcome_reason = reason.strip()
        locked.closed_at = at
    locked.full_clean()
    locked.save()
    StageTransition.objects.create(
        instance=locked,
        from_stage=from_stage,
        to_stage=to_stage,
        at=at,
        by=by,
        note=(reason or "").strip(),
    )
    if locked.definition.kind == ProcessDefinition.Kind.SUPPORT and to_stage.is_terminal:
        Ticket.objects.filter(pk=locked.pk, resolved_at__isnull=True).update(
            resolved_at=at if to_stage.outcome == Stage.Outcome.RESOLVED else None
        )
    if locked.definition.kind == ProcessDefinition.Kind.COLLECTIONS and to_stage.code:
        _collection_email(instance=locked, stage=to_stage, by=by)
    instance.refresh_from_db()
    return instance


@transaction.atomic
def instance_update(*, instance: ProcessInstance, data: dict) -> ProcessInstance:
    for name, value in data.items():
        setattr(instance, name, value)
    if instance.amount is not None and not instance.currency:
        instance.currency = instance.definition.currency
    instance.currency = (instance.currency or "").upper()
    instance.last_activity_at = timezone.now()
    instance.full_clean()
    instance.save()
    return instance


def _touch(instance: ProcessInstance, *, at=None):
    at = at or timezone.now()
    ProcessInstance.objects.filter(pk=instance.pk, last_activity_at__lt=at).update(
        last_activity_at=at
    )
    if instance.last_activity_at is None or instance.last_activity_at < at:
        instance.last_activity_at = at


@transaction.atomic
def instance_log_work(*, instance: ProcessInstance, user, minutes, note="") -> WorkLog:
    """Work on an instance: its cost (minutes x the definition's hourly rate) is accrued."""
    rate = instance.definition.hourly_rate
    cost = (Decimal(minutes or 0) * rate / Decimal(60)).quantize(CENT, rounding=ROUND_HALF_UP)
    work = WorkLog(instance=instance, user=user, minutes=minutes, note=note, cost=cost)
    work.full_clean()
    work.save()
    ProcessInstance.objects.filter(pk=instance.pk).update(accrued_cost=F("accrued_cost") + cost)
    instance.refresh_from_db(fields=["accrued_cost"])
    _touch(instance, at=work.logged_at)
    return work


# --- Support tickets ------------------------------------------------------------------------


def sla_deadlines(*, definition: ProcessDefinition, priority, opened_at):
    """(response due, resolution due) for a ticket of this priority under this definition."""
    policy = SlaPolicy.objects.filter(definition=definition, priority=priority).first()
    if policy is None:
        return None, None
    return (
        opened_at + timedelta(hours=policy.response_hours),
        opened_at + timedelta(hours=policy.resolution_hours),
    )


@transaction.atomic
def ticket_open(
    *,
    definition: ProcessDefinition,
    customer: Customer,
    subject,
    description,
    priority,
    by,
    contact_person=None,
    asset=None,
    owner=None,
    at=None,
) -> Ticket:
    if definition.kind != ProcessDefinition.Kind.SUPPORT:
        raise ValidationError({"definition": _("Tickets are opened under a support process.")})
    at = at or timezone.now()
    instance = instance_open(
        definition=definition, customer=customer, title=subject, by=by, owner=owner, at=at
    )
    response_due, resolution_due = sla_deadlines(
        definition=definition, priority=priority, opened_at=at
    )
    ticket = Ticket(
        instance=instance,
        contact_person=contact_person,
        asset=asset,
        priority=priority,
        description=description,
        response_due_at=response_due,
        resolution_due_at=resolution_due,
    )
    ticket.full_clean()
    ticket.save()
    return ticket


@transaction.atomic
def ticket_record_first_response(*, ticket: Ticket, by, at=None) -> Ticket:
    ticket = Ticket.objects.select_for_update().select_related("instance").get(pk=ticket.pk)
    if ticket.first_response_at:
        raise ValidationError(_("The first response is already on record."))
    if not ticket.instance.is_open:
        raise ValidationError(_("This ticket is closed."))
    ticket.first_response_at = at or timezone.now()
    ticket.first_response_by = by
    ticket.full_clean()
    ticket.save(update_fields=["first_response_at", "first_response_by"])
    _touch(ticket.instance, at=ticket.first_response_at)
    return ticket


# --- Tasks ----------------------------------------------------------------------------------


@transaction.atomic
def task_create(
    *, customer: Customer, title, assignee, due_on, by, instance=None, notes=""
) -> Task:
    task = Task(
        customer=customer,
        instance=instance,
        title=title,
        assignee=assignee,
        due_on=due_on,
        notes=notes,
        created_by=by,
    )
    task.full_clean()
    task.save()
    if instance is not None:
        _touch(instance)
    return task


@transaction.atomic
def task_complete(*, task: Task, by) -> Task:
    task = Task.objects.select_for_update().get(pk=task.pk)
    if task.is_done:
        raise ValidationError(_("This task is already done."))
    task.done_at = timezone.now()
    task.done_by = by
    task.full_clean()
    task.save(update_fields=["done_at", "done_by"])
    if task.instance_id:
        _touch(task.instance, at=task.done_at)
    return task


# --- Notifications and the watch ------------------------------------------------------------


def managers():
    return (
        get_user_model()
        .objects.filter(is_active=True, groups__name=roles.MANAGER)
        .distinct()
        .order_by("pk")
    )


def notification_send(*, recipient, kind, message, occurrence, instance=None) -> bool:
    """Record an in-app notification and e-mail it, once per (recipient, kind, instance,
    occurrence): returns False, sending nothing, when it was sent before."""
    try:
        with transaction.atomic():
            notification = Notification.objects.create(
                recipient=recipient,
                kind=kind,
                instance=instance,
                occurrence=occurrence,
                message=message[:300],
            )
    except IntegrityError:
        return False
    if recipient.email:
        context = {"notification": notification, "instance": instance, "recipient": recipient}
        try:
            send_mail(
                subject=render_to_string(
                    "processes/emails/notification_subject.txt", context
                ).strip(),
                message=render_to_string("processes/emails/notification_body.txt", context),
                from_email=None,
                recipient_list=[recipient.email],
            )
        except Exception:  # The in-app notification stands; the mail server's trouble is logged.
            logger.exception("Could not e-mail notification %s", notification.pk)
        else:
            Notification.objects.filter(pk=notification.pk).update(emailed=True)
    return True


def notification_mark_read(*, user, notification=None) -> int:
    queryset = Notification.objects.filter(recipient=user, read_at__isnull=True)
    if notification is not None:
        queryset = queryset.filter(pk=notification.pk)
    return queryset.update(read_at=timezone.now())


def _stamp(moment):
    return moment.strftime("%Y%m%dT%H%M%S.%f")


def _warn_and_escalate(
    *, instance, now, deadline, occurrence, warning, escalation, message, boss_list, seen
):
    """Warn the owner once the deadline has passed; tell the managers once it is long past.

    `seen` holds the (recipient, kind, instance, occurrence) keys already sent: a re-run skips
    them without even trying (the unique constraint still guards against a parallel run).
    """
    sent = 0
    owner = instance.owner
    if owner and owner.is_active and (owner.pk, warning, instance.pk, occurrence) not in seen:
        sent += notification_send(
            recipient=instance.owner,
            kind=warning,
            instance=instance,
            occurrence=occurrence,
            message=message,
        )
    if now >= deadline + timedelta(hours=settings.PROCESS_ESCALATION_HOURS):
        for boss in boss_list:
            if (boss.pk, escalation, instance.pk, occurrence) in seen:
                continue
            sent += notification_send(
                recipient=boss,
                kind=escalation,
                instance=instance,
                occurrence=occurrence,
                message=_("Escalated: %(message)s") % {"message": message},
            )
    return sent


def processes_watch(*, now=None) -> int:
    """The stall and SLA watch: warn owners and escalate to managers, each event once.

    Safe to run any number of times: notifications are unique per recipient, kind, instance and
    occurrence (the stage entry, the last activity, the ticket), so a re-run sends nothing new.
    Returns the number of notifications sent.
    """
    now = now or timezone.now()
    K = Notification.Kind
    bosses = list(managers())
    sent = 0
    seen = set(
        Notification.objects.filter(
            instance__closed_at__isnull=True,
            kind__in=[
                K.STAGE_SLA_WARNING,
                K.STAGE_SLA_ESCALATION,
                K.STALL_WARNING,
                K.STALL_ESCALATION,
                K.RESPONSE_SLA_BREACH,
                K.RESOLUTION_SLA_BREACH,
            ],
        ).values_list("recipient_id", "kind", "instance_id", "occurrence")
    )
    base = ProcessInstance.objects.open().select_related("owner", "stage", "customer")

    # 1. Past the stage's SLA.
    for instance in base.filter(stage_due_at__lt=now).order_by("stage_due_at")[:1000]:
        sent += _warn_and_escalate(
            instance=instance,
            now=now,
            deadline=instance.stage_due_at,
            occurrence=f"stage:{_stamp(instance.stage_entered_at)}",
            warning=K.STAGE_SLA_WARNING,
            escalation=K.STAGE_SLA_ESCALATION,
            message=_("“%(title)s” (%(customer)s) is past the SLA of stage %(stage)s.")
            % {"title": instance.title, "customer": instance.customer, "stage": instance.stage},
            boss_list=bosses,
            seen=seen,
        )

    # 2. No activity for N days (per definition, else the site default).
    default_days = settings.PROCESS_STALL_DAYS
    by_days = {}
    for pk, days in ProcessDefinition.objects.values_list("pk", "stall_days"):
        by_days.setdefault(days or default_days, []).append(pk)
    for days, definition_ids in by_days.items():
        limit = now - timedelta(days=days)
        stalled = base.filter(definition_id__in=definition_ids, last_activity_at__lt=limit)
        for instance in stalled.order_by("last_activity_at")[:1000]:
            sent += _warn_and_escalate(
                instance=instance,
                now=now,
                deadline=instance.last_activity_at + timedelta(days=days),
                occurrence=f"activity:{_stamp(instance.last_activity_at)}",
                warning=K.STALL_WARNING,
                escalation=K.STALL_ESCALATION,
                message=_("“%(title)s” (%(customer)s) has had no activity for %(days)s days.")
                % {"title": instance.title, "customer": instance.customer, "days": days},
                boss_list=bosses,
                seen=seen,
            )

    # 3. Tickets past their response or resolution deadline.
    tickets = Ticket.objects.filter(instance__closed_at__isnull=True).select_related(
        "instance__owner", "instance__customer"
    )
    late_response = tickets.filter(first_response_at__isnull=True, response_due_at__lt=now)
    for ticket in late_response.order_by("response_due_at")[:1000]:
        sent += _warn_and_escalate(
            instance=ticket.instance,
            now=now,
            deadline=ticket.response_due_at,
            occurrence="response",
            warning=K.RESPONSE_SLA_BREACH,
            escalation=K.STAGE_SLA_ESCALATION,
            message=_("Ticket “%(title)s” (%(customer)s) has had no response in time.")
            % {"title": ticket.instance.title, "customer": ticket.instance.customer},
            boss_list=bosses,
            seen=seen,
        )
    late_resolution = tickets.filter(resolved_at__isnull=True, resolution_due_at__lt=now)
    for ticket in late_resolution.order_by("resolution_due_at")[:1000]:
        sent += _warn_and_escalate(
            instance=ticket.instance,
            now=now,
            deadline=ticket.resolution_due_at,
            occurrence="resolution",
            warning=K.RESOLUTION_SLA_BREACH,
            escalation=K.STAGE_SLA_ESCALATION,
            message=_("Ticket “%(title)s” (%(customer)s) is past its resolution deadline.")
            % {"title": ticket.instance.title, "customer": ticket.instance.customer},
            boss_list=bosses,
            seen=seen,
        )
    return sent


# --- Approvals ------------------------------------------------------------------------------


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
    if by is not None:
        message = _("%(who)s asks for approval: %(what)s on “%(title)s”.") % {
            "who": by.get_username(),
            "what": approval.get_action_display(),
            "title": instance.title,
        }
    else:
        message = _("A scheduled job asks for approval: %(what)s on “%(title)s”.") % {
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
    if not roles.has_role(by, roles.APPROVE):
        raise ValidationError(_("Only a manager decides approvals."))
    approval = Approval.objects.select_for_update().select_related("instance").get(pk=approval.pk)
    if not approval.is_pending:
        raise ValidationError(_("This request has already been decided."))
    if approval.requested_by_id == by.pk:
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
        message=_("%(what)s on “%(title)s”: %(decision)s.")
        % {
            "what": approval.get_action_display(),
            "title": approval.instance.title,
            "decision": approval.get_decision_display(),
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
        if not case.invoice.written_off_at and case.invoice.balance > 0:
            relationship_services.invoice_write_off(
                invoice=case.invoice, reason=approval.reason, by=by
            )
        lost = instance.definition.stages.filter(outcome=Stage.Outcome.LOST).first()
        instance_move(
            instance=instance, to_stage=lost, by=by, reason=approval.reason, approval=approval
        )
    elif approval.action == Approval.Action.START:
        # The hold lifts with the decision; a held collection case sends its first e-mail now.
        if instance.definition.kind == ProcessDefinition.Kind.COLLECTIONS and instance.stage.code:
            _collection_email(instance=instance, stage=instance.stage, by=by)
        _touch(instance)
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


# --- Collections ----------------------------------------------------------------------------

COLLECTION_EMAIL_STAGES = ("reminder", "demand", "final_notice")


def billing_contact_email(customer: Customer):
    """The customer's primary contact's e-mail, else the customer's own."""
    primary = customer.contacts.filter(is_primary=True, is_active=True).exclude(email="").first()
    return primary.email if primary else customer.email


def _collection_email(*, instance: ProcessInstance, stage: Stage, by):
    if stage.code not in COLLECTION_EMAIL_STAGES:
        return False
    case = CollectionCase.objects.select_related("invoice", "instance__customer").get(
        pk=instance.pk
    )
    customer = case.instance.customer
    address = billing_contact_email(customer)
    if not address:
        return False
    context = {"case": case, "invoice": case.invoice, "customer": customer, "stage": stage}
    subject = render_to_string(f"processes/emails/collections_{stage.code}_subject.txt", context)
    body = render_to_string(f"processes/emails/collections_{stage.code}.txt", context)
    send_mail(subject.strip(), body, None, [address])
    CollectionCase.objects.filter(pk=case.pk).update(reminders_sent=F("reminders_sent") + 1)
    relationship_services.interaction_log(
        customer=customer,
        by=by,
        channel=Interaction.Channel.EMAIL,
        direction=Interaction.Direction.OUTBOUND,
        subject=subject.strip()[:200],
        notes=body,
    )
    return True


def _collections_definition():
    return (
        ProcessDefinition.objects.filter(kind=ProcessDefinition.Kind.COLLECTIONS, active=True)
        .order_by("pk")
        .first()
    )


@transaction.atomic
def collection_case_open(
    *,
    invoice: Invoice,
    by=None,
    definition: ProcessDefinition | None = None,
    owner=None,
    rule_book: RuleBook | None = None,
) -> CollectionCase:
    """Open the collection case of an overdue invoice: once per invoice, ever.

    Decision rules apply (DecisionRuleRefusal when one refuses); a case held for a manager's
    approval sends its first e-mail only once approved.
    """
    invoice = Invoice.objects.select_for_update().select_related("customer").get(pk=invoice.pk)
    if CollectionCase.objects.filter(invoice=invoice).exists():
        raise ValidationError(_("This invoice already has a collection case."))
    if invoice.status != Invoice.Status.OVERDUE:
        raise ValidationError(_("Only an overdue invoice goes to collections."))
    definition = definition or _collections_definition()
    if definition is None or definition.kind != ProcessDefinition.Kind.COLLECTIONS:
        raise ValidationError(_("There is no active collections process."))
    instance = instance_open(
        definition=definition,
        customer=invoice.customer,
        title=_("Invoice %(number)s") % {"number": invoice.number},
        by=by,
        owner=owner if owner is not None else by,
        amount=invoice.balance,
        currency=invoice.currency,
        rule_book=rule_book,
    )
    case = CollectionCase(instance=instance, invoice=invoice, balance_at_open=invoice.balance)
    case.full_clean()
    case.save()
    if instance.stage.code and not instance.awaiting_start_approval:
        _collection_email(instance=instance, stage=instance.stage, by=by)
    return case


def collection_cases_open_overdue(*, today) -> list[CollectionCase]:
    """The scheduled job: a case for each invoice overdue by more than the grace period.

    An invoice a decision rule refuses gets no case (logged; the next run asks again, so a
    rule changed in the meantime applies); a held case waits for a manager's approval.
    """
    definition = _collections_definition()
    if definition is None:
        return []
    cutoff = today - timedelta(days=settings.COLLECTIONS_GRACE_DAYS)
    invoices = (
        Invoice.objects.overdue(today=cutoff)
        .filter(collection_case__isnull=True)
        .order_by("due_date", "pk")
    )
    opened = []
    book = RuleBook(definition)
    for invoice in invoices.iterator():
        try:
            opened.append(
                collection_case_open(invoice=invoice, definition=definition, rule_book=book)
            )
        except DecisionRuleRefusal as refusal:
            logger.info(
                "No collection case for invoice %s: %s", invoice.number, " ".join(refusal.messages)
            )
        except (ValidationError, IntegrityError):
            continue  # Opened by hand or by a parallel run a moment ago: once is enough.
    return opened


def collection_cases_settle_paid() -> int:
    """Open cases whose invoice has been paid move to the definition's won (settled) stage."""
    settled = 0
    cases = (
        CollectionCase.objects.filter(
            instance__closed_at__isnull=True,
            invoice__paid_amount__gte=F("invoice__amount"),
        )
        # A case held for a manager's approval cannot move; the decision comes first.
        .exclude(
            Exists(
                Approval.objects.filter(
                    instance=OuterRef("instance"),
                    action=Approval.Action.START,
                    decision=Approval.Decision.PENDING,
                )
            )
        )
        .select_related("instance__definition")
    )
    for case in cases:
        won = case.instance.definition.stages.filter(outcome=Stage.Outcome.WON).first()
        if won is None:
            continue
        instance_move(
            instance=case.instance, to_stage=won, by=None, reason=_("Invoice paid in full.")
        )
        settled += 1
    return settled


# --- Retention ------------------------------------------------------------------------------


def retention_candidates(*, segment, ending_within_days=None, today=None):
    customers = Customer.objects.filter(segments=segment).exclude(status=Customer.Status.ENDED)
    if ending_within_days is not None:
        ending = Contract.objects.ending_within(ending_within_days, today=today)
        customers = customers.filter(pk__in=ending.values("customer_id"))
    return customers.distinct().order_by("pk")


@transaction.atomic
def retention_campaign_start(
    *, name, definition: ProcessDefinition, segment, by, ending_within_days=None
) -> RetentionCampaign:
    """Start one retention instance for each (still current) customer of the segment.

    Customers a decision rule refuses are skipped (counted in `skipped_by_rules`); those a rule
    holds get an instance that waits for a manager's approval.
    """
    if definition.kind != ProcessDefinition.Kind.RETENTION:
        raise ValidationError({"definition": _("Choose a retention process.")})
    campaign = RetentionCampaign(
        name=name,
        definition=definition,
        segment=segment,
        contracts_ending_within_days=ending_within_days,
        started_by=by,
    )
    campaign.full_clean()
    campaign.save()
    customers = retention_candidates(
        segment=segment, ending_within_days=ending_within_days
    ).select_related("owner")
    book = RuleBook(definition)
    for customer in customers:
        try:
            instance_open(
                definition=definition,
                customer=customer,
                title=name,
                by=by,
                owner=customer.owner or by,
                campaign=campaign,
                rule_book=book,
            )
        except DecisionRuleRefusal:
            campaign.skipped_by_rules += 1
    if campaign.skipped_by_rules:
        campaign.save(update_fields=["skipped_by_rules"])
    return campaign
