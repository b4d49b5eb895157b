"""The customer page shows the whole relationship: contracts, invoices with balances, payments,
payouts, equipment and documents, a money summary per currency, and all of it on the timeline."""

import re
from datetime import timedelta
from decimal import Decimal

import pytest

from relationships import services
from tests.dates import clock_today
from tests.factories import (
    AssetFactory,
    ContractFactory,
    CustomerFactory,
    DocumentFactory,
    InteractionFactory,
    InvoiceFactory,
    PaymentFactory,
    PayoutFactory,
)

# The customer page runs both ways: compiled statements (core.fastpath) and plain querysets.
pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("fast_path")]

TODAY = clock_today()


def _fill(customer, n, user):
    """n records of every kind, in two currencies."""
    for i in range(n):
        currency = "EUR" if i % 2 else "PLN"
        contract = ContractFactory(
            customer=customer, currency=currency, signed_on=TODAY - timedelta(days=i)
        )
        invoice = InvoiceFactory(
            customer=customer,
            contract=contract,
            currency=currency,
            issue_date=TODAY - timedelta(days=30 + i),
            due_date=TODAY - timedelta(days=i - 5),
        )
        PaymentFactory(invoice=invoice, amount=Decimal("10"))
        PayoutFactory(customer=customer, currency=currency, requested_by=user)
        AssetFactory(customer=customer, contract=contract)
        DocumentFactory(customer=customer, contract=contract, uploaded_by=user)
        InteractionFactory(customer=customer, created_by=user)


@pytest.mark.parametrize("records", [2, 30])
def test_customer_page_query_count_does_not_grow_with_records_of_every_kind(
    persona_client, manager, sales_rep, django_assert_max_num_queries, records
):
    customer = CustomerFactory(owner=sales_rep)
    _fill(customer, records, sales_rep)
    client = persona_client(manager)
    # One query per section and timeline source (processes add one), however many records.
    with django_assert_max_num_queries(20):  # + the possible duplicates hint
        response = client.get(customer.get_absolute_url())
    assert response.status_code == 200
    timeline = response.context["timeline"]
    assert len(timeline) == (50 if records == 30 else 2 * 7 + 1)


def test_a_customer_without_any_records_costs_no_more_queries(
    persona_client, sales_rep, django_assert_max_num_queries
):
    customer = CustomerFactory(owner=sales_rep)
    client = persona_client(sales_rep)
    with django_assert_max_num_queries(13):  # + the possible duplicates hint
        assert client.get(customer.get_absolute_url()).status_code == 200


def test_panels_and_timeline_show_every_kind(persona_client, sales_rep, manager, customer):
    contract = ContractFactory(customer=customer, number="UM-77", title="Printing")
    invoice = InvoiceFactory(customer=customer, contract=contract, number="FV-77")
    PaymentFactory(invoice=invoice, amount=Decimal("40"), reference="BANK-REF-9")
    PayoutFactory(customer=customer, reason="Late delivery compensation", requested_by=sales_rep)
    AssetFactory(customer=customer, serial_number="SN-XYZ-1")
    DocumentFactory(customer=customer, title="Signed scan")
    services.contract_terminate(contract=contract, reason="Replaced by a new plan", by=manager)

    response = persona_client(sales_rep).get(customer.get_absolute_url())
    body = response.content.decode()
    for text in ("UM-77", "FV-77", "BANK-REF-9", "Late delivery compensation", "SN-XYZ-1"):
        assert text in body
    assert "Signed scan" in body
    assert "60.00 PLN" in body  # the invoice's balance
    kinds = [entry.kind for entry in response.context["timeline"]]
    assert set(kinds) >= {
        "contract_signed",
        "contract_terminated",
        "invoice_issued",
        "payment_received",
        "payout_requested",
        "asset_installed",
        "document_added",
    }
    assert kinds[0] == "contract_terminated"  # newest first
    # Terminating the contract left the relationship as it was.
    assert customer.relationships.get().is_open


def test_money_summary_is_per_currency(persona_client, finance_clerk, customer):
    InvoiceFactory(customer=customer, amount=Decimal("100"), currency="PLN")
    InvoiceFactory(
        customer=customer,
        amount=Decimal("30"),
        currency="EUR",
        issue_date=TODAY - timedelta(days=20),
        due_date=TODAY - timedelta(days=1),
    )
    response = persona_client(finance_clerk).get(customer.get_absolute_url())
    header = response.context["sections"]["header"]
    totals = next(s["context"]["totals"] for s in header if "totals" in s["context"])
    assert [(t["currency"], t["billed"], t["overdue"]) for t in totals] == [
        ("EUR", Decimal("30"), Decimal("30")),
        ("PLN", Decimal("100"), 0),
    ]
    body = response.content.decode()
    assert 'id="money-summary"' in body
    # Never a sum across currencies (amounts show with two decimals; the customer's generated
    # name may well hold "130").
    assert not re.search(r"\b130[.,]00\b", body)
    assert re.search(r"\b100[.,]00\b", body)


@pytest.mark.parametrize(
    "persona", ["sales_rep", "service_agent", "finance_clerk", "manager", "admin_user"]
)
def test_everyone_who_may_see_the_customer_sees_the_panels(request, client, customer, persona):
    InvoiceFactory(customer=customer, number="FV-SEEN")
    client.force_login(request.getfixturevalue(persona))
    body = client.get(customer.get_absolute_url()).content.decode()
    for panel in ("contracts", "invoices", "payouts", "assets", "documents"):
        assert f'id="{panel}"' in body
    assert "FV-SEEN" in body


def test_each_customer_page_counts_its_own_records(persona_client, manager, customer):
    # The counting statement is compiled once and re-run for every customer.
    other = CustomerFactory()
    InvoiceFactory.create_batch(2, customer=customer)
    InvoiceFactory(customer=other)
    client = persona_client(manager)
    for who, invoices in ((customer, 2), (other, 1), (customer, 2)):
        sections = client.get(who.get_absolute_url()).context["sections"]
        panel = next(s for s in sections["main"] if s["template"].endswith("_invoices_panel.html"))
        assert panel["context"]["total"] == invoices
