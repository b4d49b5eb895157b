"""Finance migrates contracts with its open balances: a messy file in, the refused rows said
why, signed ones active, past periods never billed on their own; and undone."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from imports import services
from imports.models import ImportRow
from relationships.models import Contract
from relationships.services import contract_terminate, contracts_bill_recurring
from tests.factories import ContractFactory, CustomerFactory, InvoiceFactory

pytestmark = pytest.mark.django_db

CONTRACTS = (
    "Numer umowy;NIP klienta;Klient;Przedmiot;Usługa;Wartość umowy;Waluta;"
    "Okres rozliczeniowy;Data rozpoczęcia;Data zakończenia;Data podpisania\n"
    "UM/1/2020;123-456-32-18;;Serwis drukarek;Druk zarządzany;1 234,56;PLN;jednorazowo;"
    "31.08.2020;31.08.2021;30.08.2020\n"
    "UM/2/2020;;Omega;Wdrożenie;;500,00;PLN;;01.09.2020;;\n"
    "UM/3/2020;;Nikt;Wdrożenie;;500,00;PLN;;01.09.2020;;\n"
    "UM/4/2020;;Omega;Wdrożenie;;500,00;PLN;;31.02.2020;;\n"
    "C-OLD;;Omega;Wdrożenie;;500,00;PLN;;01.09.2020;;\n"
    "UM/2/2020;;Omega;Wdrożenie;;500,00;PLN;;01.09.2020;;\n"
).encode("cp1250")


@pytest.fixture
def customers(sales_rep):
    return (
        CustomerFactory(owner=sales_rep, display_name="Alpha", tax_id="1234563218"),
        CustomerFactory(owner=sales_rep, display_name="Omega"),
    )


def test_finance_imports_contracts_from_a_messy_file(finance_clerk, customers, imported):
    ContractFactory(customer=customers[1], number="C-OLD")

    batch = imported(finance_clerk, CONTRACTS, "umowy.csv", kind="contracts")

    signed = Contract.objects.get(number="UM/1/2020")
    assert (signed.customer, signed.value, signed.status, signed.signed_on) == (
        customers[0],
        Decimal("1234.56"),
        Contract.Status.ACTIVE,
        date(2020, 8, 30),
    )
    assert (signed.title, signed.product, signed.end_date) == (
        "Serwis drukarek",
        "Druk zarządzany",
        date(2021, 8, 31),
    )
    draft = Contract.objects.get(number="UM/2/2020")
    assert (draft.customer, draft.status, draft.signed_on) == (
        customers[1],
        Contract.Status.DRAFT,
        None,
    )
    assert draft.product == draft.title == "Wdrożenie"
    rows = {row.number: row for row in batch.rows.all()}
    assert "No customer" in rows[4].message
    assert "start_date" in rows[5].errors
    assert "number" in rows[6].errors  # the number an existing contract has
    assert rows[7].outcome == ImportRow.Outcome.REJECTED  # the number an earlier row took
    assert (batch.created_count, batch.rejected_count) == (2, 4)


def test_sales_may_not_import_contracts(sales_rep, upload):
    with pytest.raises(ValidationError):
        upload(sales_rep, CONTRACTS, "umowy.csv", kind="contracts")


def _monthly(number, start, signed=True):
    signed_on = f"{start:%d.%m.%Y}" if signed else ""
    return f"{number};;Omega;Hosting;;100;PLN;miesięcznie;{start:%d.%m.%Y};;{signed_on}\n"


def test_imported_contracts_never_bill_past_periods_on_their_own(
    finance_clerk, customers, imported
):
    today = timezone.localdate()
    content = CONTRACTS.decode("cp1250").splitlines(keepends=True)[0] + (
        _monthly("M/FEW", today - timedelta(days=40))  # two started periods: billed silently
        + _monthly("M/MANY", today - timedelta(days=400))  # held by billing for a person
        + _monthly("M/DRAFT", today - timedelta(days=40), signed=False)
        + _monthly("M/TODAY", today)
    )

    batch = imported(finance_clerk, content, "umowy.csv", kind="contracts")

    rows = {row.number: row for row in batch.rows.all()}
    assert rows[2].outcome == ImportRow.Outcome.REJECTED
    assert "Recurring billing would invoice 2 periods" in rows[2].message
    assert rows[3].outcome == ImportRow.Outcome.CREATED
    assert "until a person confirms them" in rows[3].message
    assert not Contract.objects.filter(number="M/FEW").exists()
    billed = contracts_bill_recurring(today=today)
    assert [invoice.contract.number for invoice in billed] == ["M/TODAY"]


def test_undoing_contracts_removes_them(finance_clerk, customers, imported):
    batch = imported(finance_clerk, CONTRACTS, "umowy.csv", kind="contracts")

    services.batch_undo(batch=batch, by=finance_clerk)

    assert not Contract.objects.filter(number__startswith="UM/").exists()


def test_undo_is_refused_when_an_invoice_points_at_an_imported_contract(
    finance_clerk, customers, imported
):
    batch = imported(finance_clerk, CONTRACTS, "umowy.csv", kind="contracts")
    contract = Contract.objects.get(number="UM/1/2020")
    InvoiceFactory(customer=customers[0], contract=contract)

    with pytest.raises(ValidationError):
        services.batch_undo(batch=batch, by=finance_clerk)

    assert Contract.objects.filter(number="UM/1/2020").exists()


def test_undo_is_refused_when_an_imported_contract_changed_since(
    finance_clerk, customers, imported
):
    batch = imported(finance_clerk, CONTRACTS, "umowy.csv", kind="contracts")
    contract = Contract.objects.get(number="UM/1/2020")
    contract_terminate(contract=contract, reason="Customer left", by=finance_clerk)

    with pytest.raises(ValidationError):
        services.batch_undo(batch=batch, by=finance_clerk)

    assert Contract.objects.filter(number="UM/2/2020").exists()
