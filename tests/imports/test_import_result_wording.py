"""The result page and its undo speak of what the import's kind brings in (invoices, payments,
contracts, customers), each count with its plural form."""

from decimal import Decimal

import pytest
from django.utils import translation

from imports import kinds
from tests.factories import CustomerFactory, InvoiceFactory

pytestmark = pytest.mark.django_db

INVOICES = (
    "Numer faktury;Nabywca;Data wystawienia;Termin płatności;Kwota brutto\n"
    "FV/1/2024;Omega;01.02.2024;15.02.2024;100\n"
    "FV/2/2024;Omega;01.02.2024;15.02.2024;100\n"
    "FV/3/2024;Nobody;01.02.2024;15.02.2024;100\n"
)


@pytest.fixture
def omega(sales_rep):
    return CustomerFactory(owner=sales_rep, display_name="Omega")


def _result(client, batch):
    return client.get(batch.get_absolute_url()).content.decode()


def test_an_invoice_import_counts_invoices_and_undoes_invoices(
    finance_clerk, omega, imported, persona_client
):
    batch = imported(finance_clerk, INVOICES, "faktury.csv", kind="invoices")

    page = _result(persona_client(finance_clerk), batch)

    assert '<span id="count-created">2</span> invoices created' in page
    assert '<span id="count-rejected">1</span> row rejected' in page
    assert '<span id="count-skipped">0</span> rows skipped' in page
    assert "count-updated" not in page  # invoices are never updated
    assert "Undo removes the invoices this import created" in page
    assert "Customers created" not in page
    assert "the customers and contact persons" not in page


def test_a_payment_import_counts_payments(finance_clerk, omega, imported, persona_client):
    InvoiceFactory(customer=omega, number="FV/9", amount=Decimal("100.00"))
    content = "Nr faktury;Kwota;Data wpłaty\nFV/9;60,00;01.03.2024\n"

    batch = imported(finance_clerk, content, "wplaty.csv", kind="payments")

    page = _result(persona_client(finance_clerk), batch)
    assert '<span id="count-created">1</span> payment recorded' in page
    assert "Undo removes the payments this import recorded" in page


def test_a_contract_import_counts_contracts(finance_clerk, omega, imported, persona_client):
    content = "Numer umowy;Klient;Przedmiot;Wartość umowy;Data rozpoczęcia\n"
    content += "UM/1;Omega;Wdrożenie;500,00;01.09.2020\n"

    batch = imported(finance_clerk, content, "umowy.csv", kind="contracts")

    page = _result(persona_client(finance_clerk), batch)
    assert '<span id="count-created">1</span> contract created' in page
    assert "Undo removes the contracts this import created" in page


def test_a_customer_import_still_counts_customers(sales_rep, imported, persona_client):
    batch = imported(sales_rep, "Nazwa;NIP\nAlfa;1234563218\nBeta;5260001246\n")

    page = _result(persona_client(sales_rep), batch)

    assert '<span id="count-created">2</span> customers created' in page
    assert '<span id="count-updated">0</span> customers updated' in page
    assert "Undo removes the customers and contact persons" in page


@pytest.mark.parametrize("kind", kinds.all_kinds(), ids=lambda kind: kind.key)
def test_every_kind_words_its_counts_with_plural_forms_and_its_undo(kind):
    with translation.override("en"):
        one, many = kind.created_text(1), kind.created_text(5)
        assert "%(count)s" in one and "%(count)s" in many
        assert one != many
        assert str(kind.undo_text)
        if kind.key != "customers":
            assert "customer" not in (one + str(kind.undo_text)).lower()
