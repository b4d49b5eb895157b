"""The engine: opening instances (under the definitions' decision rules), moving them through
their stages with every move logged, editing them and accruing the cost of work."""

from decimal import ROUND_HALF_UP, Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from core import events
from customers.models import Customer

from ..models import (
    Approval,
    ProcessDefinition,
    ProcessInstance,
    Stage,
    StageTransition,
    Ticket,
    WorkLog,
    stage_deadline,
)
from ..models.instances import title_text
from ..selectors import RuleBook
from .activity import _touch
from .approval_requests import _request_approval
from .collection_emails import _collection_email
from .decision_rules import DecisionRuleRefusal

CENT = Decimal("0.01")


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
    title_kind="",
    title_params=None,
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
    `rule_book` lets a job that opens many read the rules once. A title the CRM writes itself
    comes as its `title_kind` and `title_params` (written in each reader's language), with
    `title` its text in the default language.
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
        title_kind=title_kind,
        title_params=title_params or {},
        owner=owner if owner is not None else by,
        amount=amount,
        currency=(currency or (definition.currency if amount is not None else "")).upper(),
        expected_close_on=expected_close_on,
        campaign=campaign,
        opened_at=at,
        opened_by=by,
        definition_revision=definition.version,
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
            # The text as first written, and the reasons as data that each reader reads in
            # their own language (Approval.reason_text): a job opens it in no one's language.
            reason="\n".join(breach.message for breach in breaches),
            reason_data=[breach.as_data() for breach in breaches],
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


def moved_meanwhile(instance: ProcessInstance) -> ValidationError:
    """The error a mover gets when someone else moved or closed the instance first."""
    if not instance.is_open:
        message = _("Someone else closed this process meanwhile (%(outcome)s).") % {
            "outcome": instance.get_outcome_display()
        }
    else:
        message = _("Someone else moved this card to “%(stage)s” meanwhile.") % {
            "stage": instance.stage.name
        }
    return ValidationError(message, code="moved_meanwhile")


def _stage_data(stage: Stage | None):
    return None if stage is None else {"id": stage.pk, "name": stage.name, "code": stage.code}


@transaction.atomic
def instance_move(
    *,
    instance: ProcessInstance,
    to_stage: Stage,
    by,
    reason="",
    at=None,
    approval=None,
    from_stage_id=None,
    written_off=False,
) -> ProcessInstance:
    """Move an instance to another stage, logging the move; a terminal stage closes it.

    `approval`: the decided request that authorises a gated move (an approved write-off, or
    a refused start closing a collection case without a cancelled stage).
    `written_off`: a collection case closed as lost because its invoice was written off
    (invoice_write_off, itself finance's or a manager's deliberate act), needing no approval.
    `from_stage_id`: the stage the mover saw the instance in (the board's column); when it has
    moved or closed since, the move is refused with code "moved_meanwhile".
    """
    # Two people moving the same card at once: the second one sees the first one's move.
    locked = (
        ProcessInstance.objects.select_for_update()
        .select_related("definition", "stage")
        .get(pk=instance.pk)
    )
    if from_stage_id is not None and (locked.stage_id != from_stage_id or not locked.is_open):
        raise ValidationError({"stage": moved_meanwhile(locked)})
    error = move_error(locked, to_stage, reason)
    if error:
        raise ValidationError({"stage": error})
    if (
        locked.definition.kind == ProcessDefinition.Kind.COLLECTIONS
        and to_stage.outcome == Stage.Outcome.LOST
        and not written_off
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
        locked.sla_due_at = None  # a closed ticket has no SLA deadline left to meet
    locked.full_clean()
    locked.save()
    transition = StageTransition.objects.create(
        instance=locked,
        from_stage=from_stage,
        to_stage=to_stage,
        at=at,
        by=by,
        note=(reason or "").strip(),
    )
    events.publish(
        events.PROCESS_STAGE_CHANGED,
        instance=locked,
        key=f"transition:{transition.pk}",
        data={
            "process_id": locked.pk,
            "process_kind": locked.definition.kind,
            "definition_id": locked.definition_id,
            "title": locked.title,
            "customer_id": locked.customer_id,
            "from_stage": _stage_data(from_stage),
            "to_stage": _stage_data(to_stage),
            "moved_at": events.iso(at),
            "moved_by_id": by.pk if by else None,
            "closed": to_stage.is_terminal,
            "outcome": locked.outcome or None,
        },
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
    data = dict(data)
    if "title" in data and instance.title_kind:
        written = title_text(instance.title, instance.title_kind, instance.title_params)
        if data["title"] == written:
            del data["title"]  # the CRM's title as this reader reads it: it stays the CRM's
        else:
            # A typed title replaces the one the CRM wrote: it is shown as typed from now on.
            data.update(title_kind="", title_params={})
    for name, value in data.items():
        setattr(instance, name, value)
    if instance.amount is not None and not instance.currency:
        instance.currency = instance.definition.currency
    instance.currency = (instance.currency or "").upper()
    instance.last_activity_at = timezone.now()
    instance.full_clean()
    # Only what was edited: the columns other writes keep (the accrued cost, a ticket's
    # sla_due_at) are not written back as this copy read them.
    instance.save(update_fields=[*data, "currency", "last_activity_at"])
    return instance


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
