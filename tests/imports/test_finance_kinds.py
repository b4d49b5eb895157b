"""Finance migrates open balances: invoices with what was paid on them, then payments by
invoice number; and undoes them."""

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from imports import services
from imports.models import ImportRow
from relationships.models import Invoice, Payment
from tests.factories import CustomerFactory, InvoiceFactory

pytestmark = pytest.mark.django_db

INVOICES = (
    "Numer faktury;NIP nabywcy;Nabywca;Data wystawienia;Termin płatności;Kwota brutto;"
    "Waluta;Zapłacono\n"
    "FV/1/2024;123-456-32-18;;01.02.2024;15.02.2024;1 234,56;PLN;234,56\n"
    "FV/2/2024;;Omega;2024-03-01;2024-03-15;100;PLN;\n"
    "FV/3/2024;;Nobody;2024-03-01;2024-03-15;100;PLN;\n"
    "FV/4/2024;;Omega;2024-03-01;2024-02-15;100,00;PLN;200\n"
)


@pytest.fixture
def customers(sales_rep):
    return (
        CustomerFactory(owner=sales_rep, display_name="Alpha", tax_id="1234563218"),
        CustomerFactory(owner=sales_rep, display_name="Omega"),
    )


def test_finance_imports_invoices_with_their_paid_amounts(finance_clerk, customers, imported):
    batch = imported(finance_clerk, INVOICES, kind="invoices")

    first = Invoice.objects.get(number="FV/1/2024")
    assert (first.customer, first.amount, first.paid_amount) == (
        customers[0],
        Decimal("1234.56"),
        Decimal("234.56"),
    )
    assert Invoice.objects.get(number="FV/2/2024").customer == customers[1]
    rows = {row.number: row for row in batch.rows.all()}
    assert rows[4].outcome == ImportRow.Outcome.REJECTED
    assert "No customer" in rows[4].message
    assert "paid_amount" in rows[5].errors
    assert (batch.created_count, batch.rejected_count) == (2, 2)


def test_sales_may_not_import_invoices(sales_rep, upload):
    with pytest.raises(ValidationError):
        upload(sales_rep, INVOICES, kind="invoices")


def test_payments_are_linked_by_invoice_number_and_never_overpay(
    finance_clerk, customers, imported
):
    InvoiceFactory(customer=customers[0], number="FV/9", amount=Decimal("100.00"))
    content = (
        "Nr faktury;Kwota;Data wpłaty;Forma płatności\n"
        "FV/9;60,00;01.03.2024;przelew\n"
        "FV/9;60,00;02.03.2024;przelew\n"
        "FV/404;1;02.03.2024;\n"
    )
    batch = imported(finance_clerk, content, kind="payments")

    invoice = Invoice.objects.get(number="FV/9")
    assert invoice.paid_amount == Decimal("60.00")
    assert invoice.payments.get().method == Payment.Method.BANK_TRANSFER
    rows = {row.number: row for row in batch.rows.all()}
    assert "overpay" in rows[3].message
    assert "No invoice" in rows[4].message

    services.batch_undo(batch=batch, by=finance_clerk)

    invoice.refresh_from_db()
    assert invoice.paid_amount == Decimal("0")
    assert not invoice.payments.exists()


def test_undoing_invoices_removes_them_and_their_payments(finance_clerk, customers, imported):
    batch = imported(finance_clerk, INVOICES, kind="invoices")

    services.batch_undo(batch=batch, by=finance_clerk)

    assert not Invoice.objects.exists()
    assert not Payment.objects.exists()
