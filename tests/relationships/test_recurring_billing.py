"""Recurring contracts bill each started period exactly once, however often the job runs."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone

from relationships import services, tasks
from relationships.models import Contract, Invoice
from relationships.services import billing
from tests.factories import ContractFactory, InvoiceFactory

pytestmark = pytest.mark.django_db


def _bill(today):
    return services.contracts_bill_recurring(today=today)


def test_a_monthly_contract_gets_an_invoice_for_every_started_month(settings):
    settings.INVOICE_PAYMENT_TERM_DAYS = 14
    contract = ContractFactory(
        billing_period="monthly", start_date=date(2025, 1, 15), value=Decimal("300.00")
    )
    created = _bill(date(2025, 3, 15))
    assert [(i.period_start, i.period_end) for i in created] == [
        (date(2025, 1, 15), date(2025, 2, 14)),
        (date(2025, 2, 15), date(2025, 3, 14)),
        (date(2025, 3, 15), date(2025, 4, 14)),
    ]
    invoice = created[0]
    assert (invoice.customer, invoice.contract, invoice.amount, invoice.currency) == (
        contract.customer,
        contract,
        Decimal("300.00"),
        "PLN",
    )
    assert invoice.due_date == date(2025, 3, 29)


def test_running_billing_twice_never_bills_twice():
    ContractFactory(billing_period="quarterly", start_date=date(2025, 1, 1))
    first = _bill(date(2025, 7, 1))
    assert len(first) == 3
    assert _bill(date(2025, 7, 1)) == []
    assert _bill(date(2025, 7, 2)) == []
    assert Invoice.objects.count() == 3


def test_the_scheduled_task_is_idempotent():
    today = timezone.localdate()
    ContractFactory(billing_period="monthly", start_date=today - timedelta(days=40))
    assert tasks.bill_recurring_contracts.delay().get() == 2
    assert tasks.bill_recurring_contracts.delay().get() == 0
    assert Invoice.objects.count() == 2


def test_the_database_refuses_a_second_invoice_for_the_same_period():
    contract = ContractFactory(billing_period="monthly", start_date=date(2025, 1, 1))
    InvoiceFactory(customer=contract.customer, contract=contract, period_start=date(2025, 1, 1))
    with pytest.raises(IntegrityError), transaction.atomic():
        InvoiceFactory(customer=contract.customer, contract=contract, period_start=date(2025, 1, 1))


def test_a_period_billed_by_a_concurrent_run_is_skipped(monkeypatch):
    """The run that loses the race hits the unique constraint and moves on."""
    contract = ContractFactory(billing_period="yearly", start_date=date(2024, 6, 1))
    real_periods = billing.billing_periods

    def periods_after_a_rival_billed_the_first(contract, *, until):
        # A rival run commits the first period after this run has read what was billed.
        InvoiceFactory(
            customer=contract.customer,
            contract=contract,
            number="RIVAL",
            period_start=date(2024, 6, 1),
        )
        yield from real_periods(contract, until=until)

    monkeypatch.setattr(billing, "billing_periods", periods_after_a_rival_billed_the_first)
    created = _bill(date(2025, 6, 1))
    assert [i.period_start for i in created] == [date(2025, 6, 1)]
    assert sorted(contract.invoices.values_list("number", flat=True)) == [
        f"{contract.number}/2025-06-01",
        "RIVAL",
    ]


def test_billing_stops_at_the_end_date_and_clamps_month_ends():
    ContractFactory(
        billing_period="monthly", start_date=date(2024, 1, 31), end_date=date(2024, 4, 10)
    )
    created = _bill(date(2024, 12, 31))
    assert [(i.period_start, i.period_end) for i in created] == [
        (date(2024, 1, 31), date(2024, 2, 28)),
        (date(2024, 2, 29), date(2024, 3, 30)),
        (date(2024, 3, 31), date(2024, 4, 10)),
    ]


@pytest.mark.parametrize(
    "overrides",
    [
        {"billing_period": "one_off"},
        {"status": Contract.Status.DRAFT, "signed_on": None},
        {"start_date": date(2030, 1, 1)},
    ],
)
def test_one_off_draft_and_future_contracts_are_not_billed(overrides):
    ContractFactory(**{"billing_period": "monthly", "start_date": date(2025, 1, 1), **overrides})
    assert _bill(date(2025, 6, 1)) == []


def test_terminated_contracts_are_no_longer_billed(manager):
    contract = ContractFactory(billing_period="monthly", start_date=date(2025, 1, 1))
    services.contract_terminate(contract=contract, reason="Moved office", by=manager)
    assert _bill(date(2025, 6, 1)) == []
