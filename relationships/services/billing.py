"""Recurring billing: a contract's periods, the invoices for them, held back-billing."""

import calendar
import logging
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from core.permissions import can

from ..models import Contract, Invoice
from ..permissions import CONFIRM_BACKBILLING

logger = logging.getLogger(__name__)


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
    if not can(by, CONFIRM_BACKBILLING):
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
