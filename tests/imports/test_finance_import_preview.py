"""The preview of invoices, payments and contracts finds every error the run would find (an
unknown customer or invoice, another currency, an overpayment counting the file's earlier rows,
a number an earlier row takes), so the run rejects nothing the preview passed; and a cell that
cannot be read is reported once, without a second error of a check comparing it."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from imports import kinds
from imports.models import ImportRow
from relationships.models import Invoice
from tests.factories import CustomerFactory, InvoiceFactory

pytestmark = pytest.mark.django_db

INVOICE_HEADER = (
    "Numer faktury;NIP nabywcy;Nabywca;Data wystawienia;Termin płatności;Kwota brutto;Waluta;"
    "Zapłacono\n"
)
PAYMENT_HEADER = "Nr faktury;Kwota;Waluta;Data wpłaty\n"


@pytest.fixture
def customers(sales_rep):
    return {
        "alpha": CustomerFactory(owner=sales_rep, display_name="Alpha", tax_id="1234563218"),
        "omega": CustomerFactory(owner=sales_rep, display_name="Omega"),
        "twin": [CustomerFactory(owner=sales_rep, display_name="Twin") for _ in range(2)],
    }


def _rows(batch):
    return {row.number: row for row in batch.rows.all()}


def _assert_the_run_rejects_exactly_what_the_preview_did(batch, run_batch):
    flagged = {row.number for row in batch.rows.all() if row.errors}
    batch = run_batch(batch)
    rejected = {row.number for row in batch.rows.all() if row.outcome == ImportRow.Outcome.REJECTED}
    assert rejected == flagged
    assert batch.rejected_count == len(flagged)
    return batch


def test_the_preview_finds_invoices_whose_customer_is_unknown_ambiguous_or_number_repeated(
    finance_clerk, customers, upload, prepare, run_batch
):
    content = INVOICE_HEADER + (
        "FV/1/2024;123-456-32-18;;01.02.2024;15.02.2024;100;PLN;\n"
        "FV/2/2024;;Nobody;01.02.2024;15.02.2024;100;PLN;\n"
        "FV/3/2024;526-000-12-46;;01.02.2024;15.02.2024;100;PLN;\n"
        "FV/4/2024;;Twin;01.02.2024;15.02.2024;100;PLN;\n"
        "FV/1/2024;;Omega;01.02.2024;15.02.2024;100;PLN;\n"
        "FV/5/2024;;omega;01.02.2024;15.02.2024;100;PLN;\n"
    )

    batch = prepare(upload(finance_clerk, content, "faktury.csv", kind="invoices"))

    rows = _rows(batch)
    assert not rows[2].errors
    assert "No customer you can see" in rows[3].errors["customer_name"]
    assert "No customer you can see" in rows[4].errors["customer_tax_id"]
    assert "Several customers" in rows[5].errors["customer_name"]
    assert "earlier row" in rows[6].errors["number"]
    assert not rows[7].errors
    batch = _assert_the_run_rejects_exactly_what_the_preview_did(batch, run_batch)
    assert "Nabywca: No customer you can see" in _rows(batch)[3].message
    assert set(Invoice.objects.values_list("number", flat=True)) == {"FV/1/2024", "FV/5/2024"}


def test_the_preview_finds_every_payment_the_run_would_refuse(
    finance_clerk, customers, upload, prepare, run_batch
):
    paid = InvoiceFactory(customer=customers["alpha"], number="FV/1", amount=Decimal("100.00"))
    InvoiceFactory(customer=customers["alpha"], number="FV/2", amount=Decimal("100.00"))
    InvoiceFactory(
        customer=customers["omega"],
        number="FV/OFF",
        written_off_at=timezone.now(),
        written_off_by=finance_clerk,
        write_off_reason="Bankrupt",
    )
    tomorrow = timezone.localdate() + timedelta(days=1)
    content = PAYMENT_HEADER + (
        "FV/1;60,00;PLN;01.03.2024\n"  # 2: fine
        "FV/1;60,00;PLN;02.03.2024\n"  # 3: row 2 leaves 40 to pay
        "FV/1;40,00;;03.03.2024\n"  # 4: fine, in the invoice's currency
        "FV/1;1,00;PLN;04.03.2024\n"  # 5: rows 2 and 4 paid it in full
        "FV/2;10,00;EUR;01.03.2024\n"  # 6: another currency
        "FV/2;150,00;PLN;01.03.2024\n"  # 7: more than the invoice
        "FV/404;10,00;PLN;01.03.2024\n"  # 8: no such invoice
        "FV/OFF;10,00;PLN;01.03.2024\n"  # 9: written off
        f"FV/2;10,00;PLN;{tomorrow:%d.%m.%Y}\n"  # 10: in the future
    )

    batch = prepare(upload(finance_clerk, content, "wplaty.csv", kind="payments"))

    rows = _rows(batch)
    assert not rows[2].errors and not rows[4].errors
    assert "overpay" in rows[3].errors["amount"]
    assert "40,00" in rows[3].errors["amount"] or "40.00" in rows[3].errors["amount"]
    assert "Earlier rows of this file pay" in rows[3].errors["amount"]
    assert "paid in full" in rows[5].errors["amount"]
    assert "EUR" in rows[6].errors["currency"]
    assert "overpay" in rows[7].errors["amount"]
    assert "Earlier rows" not in rows[7].errors["amount"]
    assert "No invoice" in rows[8].errors["invoice_number"]
    assert "written off" in rows[9].errors["__all__"]
    assert "paid_on" in rows[10].errors
    batch = _assert_the_run_rejects_exactly_what_the_preview_did(batch, run_batch)
    paid.refresh_from_db()
    assert paid.paid_amount == Decimal("100.00")


def test_an_overpayment_by_rows_of_an_earlier_chunk_is_found(
    finance_clerk, customers, upload, prepare, run_batch, monkeypatch
):
    monkeypatch.setattr(kinds, "CHUNK_SIZE", 1)  # every row read in a chunk of its own
    InvoiceFactory(customer=customers["alpha"], number="FV/1", amount=Decimal("100.00"))
    content = PAYMENT_HEADER + (
        "FV/1;abc;PLN;01.03.2024\n"  # 2: not an amount, pays nothing
        "FV/1;70,00;PLN;01.03.2024\n"  # 3: fine
        "FV/1;20,00;PLN;02.03.2024\n"  # 4: fine
        "FV/1;20,00;PLN;03.03.2024\n"  # 5: rows 3 and 4 leave 10
    )

    batch = prepare(upload(finance_clerk, content, "wplaty.csv", kind="payments"))

    rows = _rows(batch)
    assert set(rows[2].errors) == {"amount"}
    assert not rows[3].errors and not rows[4].errors
    assert "overpay" in rows[5].errors["amount"]
    _assert_the_run_rejects_exactly_what_the_preview_did(batch, run_batch)


def test_a_number_an_earlier_chunk_takes_is_found_for_contracts(
    finance_clerk, customers, upload, prepare, run_batch, monkeypatch
):
    monkeypatch.setattr(kinds, "CHUNK_SIZE", 1)
    content = (
        "Numer umowy;Klient;Przedmiot;Wartość umowy;Data rozpoczęcia\n"
        "UM/1;Omega;Wdrożenie;500,00;01.09.2020\n"
        "UM/1;Omega;Wdrożenie;500,00;01.09.2020\n"
        "UM/2;Nikt;Wdrożenie;500,00;01.09.2020\n"
    )

    batch = prepare(upload(finance_clerk, content, "umowy.csv", kind="contracts"))

    rows = _rows(batch)
    assert not rows[2].errors
    assert "earlier row" in rows[3].errors["number"]
    assert "No customer" in rows[4].errors["customer_name"]
    _assert_the_run_rejects_exactly_what_the_preview_did(batch, run_batch)


def test_the_preview_page_counts_and_shows_the_errors_the_run_would_find(
    finance_clerk, customers, upload, prepare, persona_client
):
    InvoiceFactory(customer=customers["alpha"], number="FV/1", amount=Decimal("100.00"))
    content = PAYMENT_HEADER + (
        "FV/1;60,00;PLN;01.03.2024\nFV/1;60,00;PLN;02.03.2024\nFV/1;10,00;EUR;03.03.2024\n"
    )
    batch = prepare(upload(finance_clerk, content, "wplaty.csv", kind="payments"))

    page = persona_client(finance_clerk).get(batch.get_absolute_url()).content.decode()

    assert "2 with errors (rejected)" in page
    assert page.count("data-cell-error") == 2
    assert "This would overpay the invoice" in page
    assert "known customer" not in page  # payments match no customers


def test_a_bad_issue_date_is_its_only_error(finance_clerk, customers, upload, prepare):
    content = INVOICE_HEADER + (
        "FV/1/2024;;Omega;31.02.2024;15.02.2024;100;PLN;\n"
        "FV/2/2024;;Omega;01.03.2024;15.02.2024;100;PLN;\n"
    )

    batch = prepare(upload(finance_clerk, content, "faktury.csv", kind="invoices"))

    rows = _rows(batch)
    assert set(rows[2].errors) == {"issue_date"}
    assert "Not a date" in rows[2].errors["issue_date"]
    # The check itself still works when both dates are read.
    assert set(rows[3].errors) == {"due_date"}


def test_a_bad_amount_is_the_only_error_of_its_paid_amount_check(
    finance_clerk, customers, upload, prepare
):
    content = INVOICE_HEADER + "FV/1/2024;;Omega;01.02.2024;15.02.2024;sto;PLN;50\n"

    batch = prepare(upload(finance_clerk, content, "faktury.csv", kind="invoices"))

    assert set(_rows(batch)[2].errors) == {"amount"}
