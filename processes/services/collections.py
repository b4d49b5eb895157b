"""Collections: a case for each overdue invoice (by hand or by the daily job), settled when paid."""

import logging
from datetime import timedelta
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Exists, F, OuterRef, Q
from django.utils import translation
from django.utils.translation import gettext as _

from core import events
from relationships.models import Invoice

from ..models import Approval, CollectionCase, ProcessDefinition, ProcessInstance, Stage
from ..models.instances import PAID_IN_FULL, title_text
from ..selectors import RuleBook
from .collection_emails import _collection_email
from .decision_rules import DecisionRuleRefusal
from .instances import instance_move, instance_open

logger = logging.getLogger(__name__)


def _default_language_title(invoice):
    with translation.override(settings.LANGUAGE_CODE):
        return title_text(
            "", ProcessInstance.TitleKind.COLLECTION_INVOICE, {"number": invoice.number}
        )


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
        # Written in each reader's language (ProcessInstance.display_title): the daily job
        # opens most cases in nobody's language. The stored text (searched) is the default
        # language's.
        title=_default_language_title(invoice),
        title_kind=ProcessInstance.TitleKind.COLLECTION_INVOICE,
        title_params={"number": invoice.number},
        by=by,
        owner=owner if owner is not None else by,
        amount=invoice.balance,
        currency=invoice.currency,
        rule_book=rule_book,
    )
    case = CollectionCase(instance=instance, invoice=invoice, balance_at_open=invoice.balance)
    case.full_clean()
    case.save()
    # Invoices have no stored "overdue" moment (their status is derived from the due date):
    # the moment the CRM acts on one is when it goes to collections, once per invoice.
    events.publish(
        events.INVOICE_OVERDUE,
        instance=invoice,
        key=f"invoice:{invoice.pk}:overdue",
        data={
            "invoice_id": invoice.pk,
            "invoice_number": invoice.number,
            "customer_id": invoice.customer_id,
            "amount": events.amount(invoice.amount),
            "balance": events.amount(invoice.balance),
            "currency": invoice.currency,
            "issue_date": events.iso(invoice.issue_date),
            "due_date": events.iso(invoice.due_date),
            "collection_case_id": case.pk,
        },
    )
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


def collection_cases_settle_paid(*, invoice_id=None) -> int:
    """Open cases whose invoice is settled close: paid in full, into the definition's won
    (settled) stage; written off, into its lost one, with the write-off's reason. The daily job
    asks for every invoice; a payment or write-off that settles one, for its invoice at once."""
    settled = 0
    cases = (
        CollectionCase.objects.filter(instance__closed_at__isnull=True)
        .filter(
            Q(invoice__paid_amount__gte=F("invoice__amount"))
            | Q(invoice__written_off_at__isnull=False)
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
        .select_related("instance__definition", "invoice")
    )
    if invoice_id is not None:
        cases = cases.filter(invoice_id=invoice_id)
    for case in cases:
        written_off = case.invoice.written_off_at is not None
        outcome = Stage.Outcome.LOST if written_off else Stage.Outcome.WON
        to_stage = case.instance.definition.stages.filter(outcome=outcome).first()
        if to_stage is None:
            continue
        instance_move(
            instance=case.instance,
            to_stage=to_stage,
            by=None,
            # In nobody's language: the pages write it in the reader's (note_text).
            reason=case.invoice.write_off_reason if written_off else PAID_IN_FULL,
            written_off=written_off,
        )
        settled += 1
    return settled


def collection_cases_on_event(event: events.Event):
    """core.events receiver: the payment or write-off that settles an invoice closes its open
    case in the same transaction, not at the next daily run."""
    if (
        event.name == events.PAYMENT_RECEIVED and Decimal(event.data["invoice_balance"]) <= 0
    ) or event.name == events.INVOICE_WRITTEN_OFF:
        collection_cases_settle_paid(invoice_id=event.data["invoice_id"])
