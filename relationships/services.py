"""The relationship lifecycle, the contact log, contracts, billing, payouts, assets and documents:
writes that span models."""

import calendar
import logging
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from pathlib import PurePath

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.template.defaultfilters import filesizeformat
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from core import uploads
from core.integrity import save_or_raise_validation
from customers import roles
from customers.models import Customer
from customers.services import customer_guard_duplicates

from .models import Asset, Contract, Document, Interaction, Invoice, Payment, Payout, Relationship

logger = logging.getLogger(__name__)


def _sync_customer_status(*, customer: Customer, relationship: Relationship):
    """Write the current relationship's state down onto the customer, where lists filter on it."""
    Customer.objects.filter(pk=customer.pk).update(
        status=relationship.status, relationship_kind=relationship.kind
    )
    customer.status = relationship.status
    customer.relationship_kind = relationship.kind


def _touch_last_contact(*, customer: Customer, when):
    # Only moves forward: logging an older call must not hide a newer one.
    Customer.objects.filter(pk=customer.pk).filter(
        Q(last_contact_at__isnull=True) | Q(last_contact_at__lt=when)
    ).update(last_contact_at=when)
    if customer.last_contact_at is None or customer.last_contact_at < when:
        customer.last_contact_at = when


@transaction.atomic
def customer_register(
    *,
    customer: Customer,
    segments=(),
    relationship_kind=Relationship.Kind.LASTING,
    first_contact: dict,
    by,
    duplicates_confirmed=False,
) -> Customer:
    """A new customer, from its first contact: the customer, its relationship and that contact.

    A customer that looks like a known one is refused (customers.services.PossibleDuplicate)
    unless `duplicates_confirmed`; one with a known tax id always is.
    """
    customer.created_by = by
    if customer.owner_id is None:
        customer.owner = by
    # The field checks first (they normalise the tax id and e-mail the guard locks on), the
    # guard, then the constraints: by then a parallel twin is committed and visible.
    customer.full_clean(validate_constraints=False)
    customer_guard_duplicates(customer=customer, confirmed=duplicates_confirmed)
    customer.validate_constraints()
    save_or_raise_validation(customer)
    customer.segments.set(segments)
    relationship = Relationship(
        customer=customer,
        kind=relationship_kind,
        started_on=customer.first_contact_on,
        started_by=by,
    )
    relationship.full_clean()
    relationship.save()
    _sync_customer_status(customer=customer, relationship=relationship)
    first_contact = {"occurred_at": timezone.now(), **first_contact}
    interaction_log(customer=customer, by=by, **first_contact)
    return customer


@transaction.atomic
def interaction_log(
    *,
    customer: Customer,
    by,
    channel,
    direction,
    subject,
    notes="",
    outcome="",
    occurred_at=None,
    contact_person=None,
) -> Interaction:
    if contact_person is not None and contact_person.customer_id != customer.pk:
        raise ValidationError(
            {"contact_person": _("This person does not represent this customer.")}
        )
    interaction = Interaction(
        customer=customer,
        relationship=Relationship.objects.open().filter(customer=customer).first(),
        contact_person=contact_person,
        channel=channel,
        direction=direction,
        subject=subject,
        notes=notes,
        outcome=outcome,
        occurred_at=occurred_at or timezone.now(),
        created_by=by,
    )
    interaction.full_clean()
    interaction.save()
    _touch_last_contact(customer=customer, when=interaction.occurred_at)
    return interaction


@transaction.atomic
def relationship_activate(*, relationship: Relationship, by) -> Relationship:
    """A prospect becomes an active customer relationship (e.g. the first deal is signed)."""
    relationship = Relationship.objects.select_for_update().get(pk=relationship.pk)
    if relationship.status != Relationship.Status.PROSPECT:
        raise ValidationError(_("Only a prospect relationship can be made active."))
    relationship.status = Relationship.Status.ACTIVE
    relationship.full_clean()
    relationship.save()
    _sync_customer_status(customer=relationship.customer, relationship=relationship)
    return relationship


@transaction.atomic
def relationship_end(*, relationship: Relationship, reason, note="", by) -> Relationship:
    """End a relationship consciously: a person, a reason, a time. Nothing else ever ends one."""
    if not reason:
        raise ValidationError({"end_reason": _("Say why the relationship ends.")})
    if reason not in Relationship.EndReason.values:
        raise ValidationError({"end_reason": _("Choose one of the listed reasons.")})
    if reason == Relationship.EndReason.OTHER and not (note or "").strip():
        raise ValidationError({"end_note": _("Describe the reason when you choose “Other”.")})
    relationship = Relationship.objects.select_for_update().get(pk=relationship.pk)
    if not relationship.is_open:
        raise ValidationError(_("This relationship has already ended."))
    relationship.status = Relationship.Status.ENDED
    relationship.ended_at = timezone.now()
    relationship.ended_by = by
    relationship.end_reason = reason
    relationship.end_note = (note or "").strip()
    relationship.full_clean()
    relationship.save()
    _sync_customer_status(customer=relationship.customer, relationship=relationship)
    return relationship


@transaction.atomic
def relationship_start(*, customer: Customer, kind=Relationship.Kind.LASTING, by) -> Relationship:
    """A returning customer starts a new relationship; everything earlier stays on the customer."""
    # Lock the customer row so two clicks cannot race; the partial unique index is the backstop.
    Customer.objects.select_for_update().filter(pk=customer.pk).first()
    if Relationship.objects.open().filter(customer=customer).exists():
        raise ValidationError(_("This customer already has an open relationship."))
    relationship = Relationship(customer=customer, kind=kind, started_by=by)
    relationship.full_clean()
    save_or_raise_validation(relationship)
    _sync_customer_status(customer=customer, relationship=relationship)
    return relationship


# --- Contracts ------------------------------------------------------------------------------

CONTRACT_EDITABLE_FIELDS = (
    "number",
    "title",
    "product",
    "value",
    "currency",
    "billing_period",
    "start_date",
    "end_date",
)


@transaction.atomic
def contract_create(
    *, customer: Customer, by, signed_on=None, confirm_backbilling=False, **fields
) -> Contract:
    """A draft contract of the customer; with `signed_on` it is signed at once.

    `confirm_backbilling`: the person saw how many past periods recurring billing will issue
    (ContractForm shows them) and confirms them (see contract_confirm_backbilling).
    """
    unknown = set(fields) - set(CONTRACT_EDITABLE_FIELDS)
    if unknown:
        raise TypeError(f"Unexpected contract fields: {sorted(unknown)}")
    contract = Contract(
        customer=customer,
        relationship=Relationship.objects.open().filter(customer=customer).first(),
        created_by=by,
        **fields,
    )
    if confirm_backbilling:
        _record_backbilling_confirmation(contract, by=by, today=timezone.localdate())
    contract.full_clean()
    save_or_raise_validation(contract)
    if signed_on:
        contract = contract_sign(contract=contract, signed_on=signed_on, by=by)
    return contract


@transaction.atomic
def contract_update(
    *, contract: Contract, data: dict, confirm_backbilling=False, by=None
) -> Contract:
    contract = Contract.objects.select_for_update().get(pk=contract.pk)
    if not contract.is_current:
        raise ValidationError(_("A terminated or expired contract can no longer be changed."))
    for name, value in data.items():
        if name not in CONTRACT_EDITABLE_FIELDS:
            raise TypeError(f"{name} cannot be changed here")
        setattr(contract, name, value)
    if confirm_backbilling:
        if by is None:
            raise TypeError("Confirming back-billing needs the person who confirms it (by=)")
        _record_backbilling_confirmation(contract, by=by, today=timezone.localdate())
    contract.full_clean()
    save_or_raise_validation(contract)
    return contract


@transaction.atomic
def contract_sign(*, contract: Contract, by, signed_on=None) -> Contract:
    """A draft becomes active within the open relationship; a prospect becomes a customer."""
    contract = Contract.objects.select_for_update().select_related("customer").get(pk=contract.pk)
    if contract.status != Contract.Status.DRAFT:
        raise ValidationError(_("Only a draft contract can be signed."))
    relationship = Relationship.objects.open().filter(customer_id=contract.customer_id).first()
    if relationship is None:
        raise ValidationError(
            _("This customer has no open relationship: start a new one before signing.")
        )
    signed_on = signed_on or timezone.localdate()
    if signed_on > timezone.localdate():
        raise ValidationError({"signed_on": _("A contract cannot be signed in the future.")})
    contract.status = Contract.Status.ACTIVE
    contract.signed_on = signed_on
    contract.relationship = relationship
    contract.full_clean()
    contract.save()
    if relationship.status == Relationship.Status.PROSPECT:
        relationship_activate(relationship=relationship, by=by)
    return contract


@transaction.atomic
def contract_terminate(*, contract: Contract, reason, by) -> Contract:
    """End a contract early, with a reason. The relationship with the customer goes on."""
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"termination_reason": _("Say why the contract is terminated.")})
    contract = Contract.objects.select_for_update().get(pk=contract.pk)
    if not contract.is_current:
        raise ValidationError(_("This contract has already ended."))
    contract.status = Contract.Status.TERMINATED
    contract.terminated_at = timezone.now()
    contract.terminated_by = by
    contract.termination_reason = reason
    contract.full_clean()
    contract.save()
    return contract


def contracts_expire(*, today: date) -> int:
    """Active contracts whose end date has passed become expired. Safe to run any number of times.

    Saved one by one rather than in one UPDATE, so the contract's change history records the
    expiry like any other change.
    """
    expired = 0
    for pk in Contract.objects.due_to_expire(today=today).values_list("pk", flat=True):
        with transaction.atomic():
            contract = Contract.objects.select_for_update().filter(pk=pk).first()
            if contract is None or contract.status != Contract.Status.ACTIVE:
                continue  # Terminated (or expired) meanwhile.
            contract.status = Contract.Status.EXPIRED
            contract.save(update_fields=["status"])
            expired += 1
    return expired


# --- Recurring billing ----------------------------------------------------------------------

PERIOD_MONTHS = {
    Contract.BillingPeriod.MONTHLY: 1,
    Contract.BillingPeriod.QUARTERLY: 3,
    Contract.BillingPeriod.YEARLY: 12,
}


def _add_months(day: date, months: int) -> date:
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def billing_periods(contract: Contract, *, until: date):
    """(start, end) of every period of a recurring contract that has started by `until`.

    Counted from the start date each time (not from the previous period), so a contract starting
    on the 31st bills on the last day of shorter months and returns to the 31st after them.
    """
    months = PERIOD_MONTHS[contract.billing_period]
    last = min(until, contract.end_date) if contract.end_date else until
    index = 0
    while (start := _add_months(contract.start_date, index * months)) <= last:
        end = _add_months(contract.start_date, (index + 1) * months) - timedelta(days=1)
        if contract.end_date:
            end = min(end, contract.end_date)
        yield start, end
        index += 1


def unbilled_periods(contract: Contract, *, today: date) -> list[tuple[date, date]]:
    """The periods of a recurring contract started by `today` that have no invoice yet."""
    if not contract.is_recurring or not contract.start_date or contract.start_date > today:
        return []
    billed = set()
    if contract.pk:
        billed = set(
            contract.invoices.exclude(period_start=None).values_list("period_start", flat=True)
        )
    return [period for period in billing_periods(contract, until=today) if period[0] not in billed]


@dataclass(frozen=True)
class Backbilling:
    """Past periods of a contract that recurring billing will not issue without a person."""

    periods: int
    amount: Decimal
    currency: str
    first_start: date
    until: date  # the start of the last of them

    @property
    def total(self):
        return self.amount * self.periods


def _unconfirmed(contract: Contract, periods):
    confirmed = contract.backbilling_confirmed_until
    return [p for p in periods if confirmed is None or p[0] > confirmed]


def contract_backbilling(
    contract: Contract, *, today: date, more_than: int | None = None
) -> Backbilling | None:
    """The unconfirmed past periods of the contract, if there are more than `more_than` of
    them (BILLING_MAX_PERIODS_PER_RUN by default): what waits for a person's confirmation."""
    limit = settings.BILLING_MAX_PERIODS_PER_RUN if more_than is None else more_than
    periods = _unconfirmed(contract, unbilled_periods(contract, today=today))
    if len(periods) <= limit:
        return None
    return Backbilling(
        periods=len(periods),
        amount=contract.value or Decimal(0),
        currency=contract.currency,
        first_start=periods[0][0],
        until=periods[-1][0],
    )


def _record_backbilling_confirmation(contract: Contract, *, by, today: date):
    periods = unbilled_periods(contract, today=today)
    if periods:
        contract.backbilling_confirmed_until = periods[-1][0]
        contract.backbilling_confirmed_by = by
        contract.backbilling_confirmed_at = timezone.now()


@transaction.atomic
def contract_confirm_backbilling(*, contract: Contract, by, today: date | None = None):
    """A person confirms the past periods recurring billing held back; an active contract's
    invoices for them are issued at once (a draft's when it is signed and billed)."""
    if not roles.has_role(by, roles.CONFIRM_BACKBILLING):
        raise PermissionDenied
    today = today or timezone.localdate()
    contract = Contract.objects.select_for_update().get(pk=contract.pk)
    if not contract.is_current:
        raise ValidationError(_("A terminated or expired contract is no longer billed."))
    if contract_backbilling(contract, today=today, more_than=0) is None:
        raise ValidationError(_("No past periods of this contract wait for a confirmation."))
    _record_backbilling_confirmation(contract, by=by, today=today)
    # A start date outside the accepted window (stored before the window existed) is refused
    # here: nobody confirms two thousand years of invoices.
    contract.full_clean()
    contract.save()
    if contract.status != Contract.Status.ACTIVE:
        return []
    return _bill_contract(contract, today=today)


def contracts_bill_recurring(*, today: date) -> list[Invoice]:
    """Invoice every started period of every active recurring contract, once.

    Idempotent: a period already invoiced is skipped, and the unique (contract, period_start)
    constraint makes a concurrent second run fail on insert instead of billing twice.

    Bounded: a contract with more than BILLING_MAX_PERIODS_PER_RUN past periods that nobody
    confirmed (a start date far in the past) is billed only for the confirmed ones; the rest
    wait, logged and shown on the contract's page, until a person confirms them.
    """
    created = []
    for contract in Contract.objects.recurring().filter(start_date__lte=today).iterator():
        try:
            created += _bill_contract(contract, today=today)
        except ValidationError as error:
            # A contract stored with dates outside the accepted window (manage.py
            # check_bounds lists them) must not stop everyone else's billing.
            logger.error("Contract %s cannot be billed: %s", contract.number, error)
    return created


def _bill_contract(contract: Contract, *, today: date) -> list[Invoice]:
    created = []
    term = timedelta(days=settings.INVOICE_PAYMENT_TERM_DAYS)
    periods = unbilled_periods(contract, today=today)
    unconfirmed = _unconfirmed(contract, periods)
    if len(unconfirmed) > settings.BILLING_MAX_PERIODS_PER_RUN:
        held = set(unconfirmed)
        periods = [p for p in periods if p not in held]
        logger.warning(
            "Contract %s: back-billing of %s periods (%s %s each, from %s) awaits a person's "
            "confirmation on the contract's page; not billed.",
            contract.number,
            len(unconfirmed),
            contract.value,
            contract.currency,
            unconfirmed[0][0],
        )
    for start, end in periods:
        invoice = Invoice(
            customer_id=contract.customer_id,
            contract=contract,
            number=f"{contract.number}/{start:%Y-%m-%d}",
            issue_date=today,
            due_date=today + term,
            amount=contract.value,
            currency=contract.currency,
            period_start=start,
            period_end=end,
        )
        if invoice.amount <= 0:
            break  # A free recurring contract has nothing to bill.
        invoice.full_clean(validate_unique=False, validate_constraints=False)
        try:
            with transaction.atomic():
                invoice.save()
        except IntegrityError:
            continue  # Billed by a concurrent run a moment ago.
        created.append(invoice)
    return created


# --- Invoices and payments ------------------------------------------------------------------

INVOICE_EDITABLE_FIELDS = ("number", "contract", "issue_date", "due_date", "amount", "currency")


@transaction.atomic
def invoice_create(*, customer: Customer, by, **fields) -> Invoice:
    unknown = set(fields) - set(INVOICE_EDITABLE_FIELDS)
    if unknown:
        raise TypeError(f"Unexpected invoice fields: {sorted(unknown)}")
    invoice = Invoice(customer=customer, created_by=by, **fields)
    _check_invoice_currency(invoice)
    invoice.full_clean()
    save_or_raise_validation(invoice)
    return invoice


@transaction.atomic
def invoice_update(*, invoice: Invoice, data: dict) -> Invoice:
    invoice = Invoice.objects.select_for_update().get(pk=invoice.pk)
    if invoice.written_off_at:
        raise ValidationError(_("A written-off invoice can no longer be changed."))
    for name, value in data.items():
        if name not in INVOICE_EDITABLE_FIELDS:
            raise TypeError(f"{name} cannot be changed here")
        setattr(invoice, name, value)
    if (
        invoice.paid_amount
        and "currency" in data
        and invoice.payments.exclude(currency=invoice.currency).exists()
    ):
        raise ValidationError({"currency": _("Payments were made in another currency.")})
    _check_invoice_currency(invoice)
    invoice.full_clean()
    save_or_raise_validation(invoice)
    return invoice


def _check_invoice_currency(invoice: Invoice):
    if invoice.contract and invoice.currency and invoice.contract.currency != invoice.currency:
        raise ValidationError(
            {
                "currency": _("The contract is in %(currency)s; invoice it in that currency.")
                % {"currency": invoice.contract.currency}
            }
        )


@transaction.atomic
def payment_register(
    *, invoice: Invoice, amount: Decimal, currency: str, paid_on: date, method, reference="", by
) -> Payment:
    """Record money received against an invoice. Overpayment and another currency are refused."""
    if not roles.has_role(by, roles.REGISTER_PAYMENTS):
        raise PermissionDenied
    # The lock serialises payments of one invoice: two clerks cannot both pay its last balance.
    invoice = Invoice.objects.select_for_update().get(pk=invoice.pk)
    if invoice.written_off_at:
        raise ValidationError(_("This invoice has been written off; it takes no payments."))
    if currency != invoice.currency:
        raise ValidationError(
            {
                "currency": _(
                    "The invoice is in %(invoice)s; a payment in %(payment)s cannot be "
                    "recorded against it. Record the amount converted to %(invoice)s."
                )
                % {"invoice": invoice.currency, "payment": currency}
            }
        )
    if amount is not None and amount > invoice.balance:
        raise ValidationError(
            {
                "amount": _(
                    "This would overpay the invoice: the balance is %(balance)s %(currency)s."
                )
                % {"balance": invoice.balance, "currency": invoice.currency}
            }
        )
    if paid_on and paid_on > timezone.localdate():
        raise ValidationError({"paid_on": _("A payment cannot be dated in the future.")})
    payment = Payment(
        invoice=invoice,
        amount=amount,
        currency=currency,
        paid_on=paid_on,
        method=method,
        reference=(reference or "").strip(),
        recorded_by=by,
    )
    payment.full_clean()
    payment.save()
    invoice.paid_amount += payment.amount
    invoice.full_clean()
    invoice.save(update_fields=["paid_amount"])
    return payment


@transaction.atomic
def invoice_write_off(*, invoice: Invoice, reason, by) -> Invoice:
    """Give up on an invoice's balance, deliberately: finance or a manager, with a reason."""
    if not roles.has_role(by, roles.WRITE_OFF):
        raise PermissionDenied
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"write_off_reason": _("Say why the invoice is written off.")})
    invoice = Invoice.objects.select_for_update().get(pk=invoice.pk)
    if invoice.written_off_at:
        raise ValidationError(_("This invoice has already been written off."))
    if invoice.balance <= 0:
        raise ValidationError(_("A paid invoice has nothing to write off."))
    invoice.written_off_at = timezone.now()
    invoice.written_off_by = by
    invoice.write_off_reason = reason
    invoice.full_clean()
    invoice.save()
    return invoice


# --- Payouts --------------------------------------------------------------------------------

PAYOUT_EDITABLE_FIELDS = ("kind", "amount", "currency", "reason")


@transaction.atomic
def payout_request(*, customer: Customer, by, **fields) -> Payout:
    unknown = set(fields) - set(PAYOUT_EDITABLE_FIELDS)
    if unknown:
        raise TypeError(f"Unexpected payout fields: {sorted(unknown)}")
    payout = Payout(customer=customer, requested_by=by, **fields)
    payout.full_clean()
    payout.save()
    return payout


@transaction.atomic
def payout_update(*, payout: Payout, data: dict) -> Payout:
    """Change a payout still waiting for a decision; a decided one stays as it was decided."""
    payout = Payout.objects.select_for_update().get(pk=payout.pk)
    if payout.status != Payout.Status.REQUESTED:
        raise ValidationError(_("Only a payout that is still requested can be changed."))
    for name, value in data.items():
        if name not in PAYOUT_EDITABLE_FIELDS:
            raise TypeError(f"{name} cannot be changed here")
        setattr(payout, name, value)
    payout.full_clean()
    payout.save()
    return payout


@transaction.atomic
def payout_approve(*, payout: Payout, by) -> Payout:
    if not roles.has_role(by, roles.APPROVE_PAYOUTS):
        raise PermissionDenied
    payout = Payout.objects.select_for_update().get(pk=payout.pk)
    payout.approve(by=by)
    return payout


@transaction.atomic
def payout_reject(*, payout: Payout, reason, by) -> Payout:
    if not roles.has_role(by, roles.APPROVE_PAYOUTS):
        raise PermissionDenied
    payout = Payout.objects.select_for_update().get(pk=payout.pk)
    payout.reject(by=by, reason=reason)
    return payout


@transaction.atomic
def payout_mark_paid(*, payout: Payout, by) -> Payout:
    if not roles.has_role(by, roles.PAY_PAYOUTS):
        raise PermissionDenied
    payout = Payout.objects.select_for_update().get(pk=payout.pk)
    payout.mark_paid(by=by)
    return payout


# --- Assets and documents -------------------------------------------------------------------

ASSET_EDITABLE_FIELDS = (
    "name",
    "model",
    "serial_number",
    "installed_on",
    "location",
    "contract",
    "status",
)


# The serial number is what the user typed twice; the model is usually picked from the list.
ASSET_SERIAL_BESIDE = {"asset_serial_unique_per_model": "serial_number"}


@transaction.atomic
def asset_create(*, customer: Customer, by, **fields) -> Asset:
    unknown = set(fields) - set(ASSET_EDITABLE_FIELDS)
    if unknown:
        raise TypeError(f"Unexpected asset fields: {sorted(unknown)}")
    asset = Asset(customer=customer, created_by=by, **fields)
    asset.full_clean()
    save_or_raise_validation(asset, fields=ASSET_SERIAL_BESIDE)
    return asset


@transaction.atomic
def asset_update(*, asset: Asset, data: dict) -> Asset:
    for name, value in data.items():
        if name not in ASSET_EDITABLE_FIELDS:
            raise TypeError(f"{name} cannot be changed here")
        setattr(asset, name, value)
    asset.full_clean()
    save_or_raise_validation(asset, fields=ASSET_SERIAL_BESIDE)
    return asset


TEXT_PROBLEMS = {
    "binary": gettext_lazy(
        "The file holds binary data, not text, so it cannot be attached as %(extension)s."
    ),
    "encoding": gettext_lazy(
        "The file is not text in UTF-8 or Windows-1250/1251, so it cannot be attached as "
        "%(extension)s."
    ),
    "markup": gettext_lazy(
        "The file looks like a web page or a script (HTML, SVG, XML), which cannot be attached."
    ),
}


def document_file_check(uploaded) -> str:
    """The content type an uploaded file is stored and served with, read from its bytes: its
    name's extension must be allowed, and its content must be of that extension's type (the
    type the browser declared is not trusted). Raises ValidationError with a message for the
    file field."""
    if getattr(uploaded, "oversized", False) or uploaded.size > settings.DOCUMENT_MAX_SIZE:
        raise ValidationError(
            _("Files may be at most %(limit)s; this one is larger.")
            % {"limit": filesizeformat(settings.DOCUMENT_MAX_SIZE)},
            code="too_large",
        )
    allowed = settings.DOCUMENT_ALLOWED_TYPES
    extension = PurePath(uploaded.name or "").suffix.lower()
    if extension not in allowed:
        raise ValidationError(
            _("Files of this type cannot be attached. Allowed: %(types)s.")
            % {"types": ", ".join(sorted(allowed))},
            code="type_not_allowed",
        )
    if not uploaded.size:
        raise ValidationError(_("The file is empty."), code="empty")
    expected = allowed[extension]
    if expected.startswith("text/"):
        # Plain text has no magic number: it is text if it decodes and holds no NUL bytes.
        problem = uploads.text_problem(uploaded)
        if problem:
            raise ValidationError(
                TEXT_PROBLEMS[problem] % {"extension": extension}, code=f"text_{problem}"
            )
        return expected
    found = uploads.content_types(uploaded)
    if expected not in found:
        raise ValidationError(
            _("The file's content (%(content_type)s) does not match its name (%(extension)s).")
            % {"content_type": found[0] if found else _("unknown"), "extension": extension},
            code="type_mismatch",
        )
    return expected


@transaction.atomic
def document_upload(
    *, customer: Customer, by, file, title="", contract=None, invoice=None, asset=None
) -> Document:
    content_type = document_file_check(file)
    name = uploads.safe_filename(
        file.name, max_length=Document._meta.get_field("original_name").max_length
    )
    document = Document(
        customer=customer,
        contract=contract,
        invoice=invoice,
        asset=asset,
        title=(title or "").strip()
        or uploads.safe_filename(name, max_length=Document._meta.get_field("title").max_length),
        file=file,
        original_name=name,
        content_type=content_type,
        size=file.size,
        uploaded_by=by,
    )
    document.full_clean()
    document.save()
    return document
