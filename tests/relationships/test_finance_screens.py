"""The finance screens: the invoice list and its filters, an invoice's payments and write-off."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.urls import reverse

from relationships import services
from relationships.models import Invoice, Payment
from tests.dates import clock_today
from tests.factories import (
    ContractFactory,
    CustomerFactory,
    InvoiceFactory,
    PaymentFactory,
)

pytestmark = pytest.mark.django_db

TODAY = clock_today()


@pytest.mark.parametrize("rows", [3, 40])
def test_invoice_list_query_count_does_not_grow_with_rows(
    persona_client, finance_clerk, django_assert_max_num_queries, rows
):
    for n in range(rows):
        customer = CustomerFactory()
        contract = ContractFactory(customer=customer) if n % 2 else None
        invoice = InvoiceFactory(
            customer=customer, contract=contract, currency=("PLN", "EUR", "CZK")[n % 3]
        )
        if n % 4 == 0:
            PaymentFactory(invoice=invoice, amount=Decimal("10"))
    client = persona_client(finance_clerk)
    # The page fetches its keys, then its rows (core.pagination): one query more than
    # a plain page, however many rows.
    # +2 each: the saved views and the user's teams (core.lists, the list's tools)
    with django_assert_max_num_queries(9):
        response = client.get(reverse("relationships:invoice_list"), {"status": "partially_paid"})
    assert response.status_code == 200
    with django_assert_max_num_queries(9):
        response = client.get(reverse("relationships:invoice_list"))
    assert len(response.context["page"]) == min(rows, 25)
    # Totals per currency, never one sum across currencies.
    assert sorted(row["currency"] for row in response.context["totals"]) == ["CZK", "EUR", "PLN"]


def test_invoice_list_filters(persona_client, finance_clerk):
    customer = CustomerFactory(display_name="Zeta")
    overdue = InvoiceFactory(
        customer=customer,
        issue_date=TODAY - timedelta(days=40),
        due_date=TODAY - timedelta(days=10),
        currency="EUR",
    )
    partial = InvoiceFactory(due_date=TODAY + timedelta(days=30))
    PaymentFactory(invoice=partial, amount=Decimal("1"))
    paid = PaymentFactory().invoice
    client = persona_client(finance_clerk)

    def numbers(**params):
        response = client.get(reverse("relationships:invoice_list"), params)
        assert response.status_code == 200
        return {invoice.number for invoice in response.context["page"]}

    assert numbers(status="overdue") == {overdue.number}
    assert numbers(overdue="on") == {overdue.number}
    assert numbers(status="partially_paid") == {partial.number}
    assert numbers(status="paid") == {paid.number}
    assert numbers(currency="eur") == {overdue.number}
    assert numbers(customer=customer.pk) == {overdue.number}
    assert numbers(q="zet") == {overdue.number}
    assert numbers(
        due_after=(TODAY + timedelta(days=20)).isoformat(),
        due_before=(TODAY + timedelta(days=40)).isoformat(),
    ) == {partial.number}


def test_overdue_only_lists_the_unsettled_invoices_past_due_newest_first(
    persona_client, finance_clerk, manager, django_assert_max_num_queries
):
    def invoice(issued_days_ago, due_days_ago, **fields):
        return InvoiceFactory(
            issue_date=TODAY - timedelta(days=issued_days_ago),
            due_date=TODAY - timedelta(days=due_days_ago),
            **fields,
        )

    older = invoice(60, 30, amount=Decimal("100.00"))
    partly_paid = invoice(20, 5, amount=Decimal("80.00"), currency="EUR")
    PaymentFactory(invoice=partly_paid, amount=Decimal("30.00"))
    newest = invoice(10, 1, amount=Decimal("40.00"))
    PaymentFactory(invoice=invoice(50, 20))  # paid in full
    invoice(5, -9)  # not yet due
    invoice(2, 0)  # due today, so not yet overdue
    written_off = invoice(40, 10)
    services.invoice_write_off(invoice=written_off, reason="Insolvent", by=manager)
    client = persona_client(finance_clerk)
    # Session, user, roles, count, page keys with rows, totals.
    with django_assert_max_num_queries(9):  # + the bell's unread count
        response = client.get(reverse("relationships:invoice_list"), {"overdue": "on"})
    assert [i.number for i in response.context["page"]] == [
        newest.number,
        partly_paid.number,
        older.number,
    ]
    assert [(t["currency"], t["billed"], t["overdue"]) for t in response.context["totals"]] == [
        ("EUR", Decimal("80.00"), Decimal("50.00")),
        ("PLN", Decimal("140.00"), Decimal("140.00")),
    ]
    assert "3 invoices" in response.content.decode()


def test_registering_a_payment_from_the_invoice(persona_client, finance_clerk):
    invoice = InvoiceFactory(amount=Decimal("250.00"))
    client = persona_client(finance_clerk)
    page = client.get(invoice.get_absolute_url())
    assert page.context["payment_form"].initial["amount"] == Decimal("250.00")
    response = client.post(
        reverse("relationships:payment_create", args=[invoice.pk]),
        {
            "amount": "100.00",
            "currency": "pln",
            "paid_on": TODAY.isoformat(),
            "method": "card",
            "reference": "TX-1",
        },
    )
    assert response.status_code == 302 and response.url == invoice.get_absolute_url()
    invoice.refresh_from_db()
    assert (invoice.paid_amount, invoice.status) == (Decimal("100.00"), "partially_paid")
    assert invoice.payments.get().recorded_by == finance_clerk


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("amount", "250.01", "overpay"),
        ("amount", "0", "greater than zero"),
        ("amount", "ten", ""),
        ("currency", "EUR", "PLN"),
        ("currency", "QQQ", "ISO 4217"),
        ("paid_on", (TODAY + timedelta(days=2)).isoformat(), "future"),
        ("method", "barter", ""),
    ],
)
def test_bad_payment_input_is_refused_beside_the_field_and_nothing_is_saved(
    persona_client, finance_clerk, field, value, message
):
    invoice = InvoiceFactory(amount=Decimal("250.00"))
    data = {"amount": "10", "currency": "PLN", "paid_on": TODAY.isoformat(), "method": "cash"}
    data[field] = value
    response = persona_client(finance_clerk).post(
        reverse("relationships:payment_create", args=[invoice.pk]), data
    )
    assert response.status_code == 200
    errors = response.context["payment_form"].errors
    assert field in errors
    assert message in " ".join(errors[field])
    assert not Payment.objects.exists()
    invoice.refresh_from_db()
    assert invoice.paid_amount == 0


def test_a_payment_of_an_invoice_paid_meanwhile_is_refused_beside_the_form(
    persona_client, finance_clerk
):
    """Two clerks open the same invoice and both submit the full amount it offers: the second
    sees the form again with why, not an invoice page without it, and nothing more is paid."""
    invoice = InvoiceFactory(amount=Decimal("250.00"))
    client = persona_client(finance_clerk)
    offered = client.get(invoice.get_absolute_url()).context["payment_form"].initial["amount"]
    data = {"amount": offered, "currency": "PLN", "paid_on": TODAY.isoformat(), "method": "card"}
    url = reverse("relationships:payment_create", args=[invoice.pk])
    assert client.post(url, data).status_code == 302

    response = client.post(url, data)

    assert response.status_code == 200
    form = response.context["payment_form"]
    assert form is not None and form.is_bound
    assert "already been paid in full" in " ".join(form.errors["amount"])
    html = response.content.decode()
    assert 'id="register-payment"' in html and "already been paid in full" in html
    assert Payment.objects.count() == 1
    invoice.refresh_from_db()
    assert (invoice.paid_amount, invoice.status) == (Decimal("250.00"), "paid")


def test_a_payment_above_what_was_left_after_another_one_shows_the_balance(
    persona_client, finance_clerk
):
    invoice = InvoiceFactory(amount=Decimal("250.00"))
    services.payment_register(
        invoice=invoice,
        amount=Decimal("100.00"),
        currency="PLN",
        paid_on=TODAY,
        method="cash",
        by=finance_clerk,
    )
    response = persona_client(finance_clerk).post(
        reverse("relationships:payment_create", args=[invoice.pk]),
        {"amount": "250.00", "currency": "PLN", "paid_on": TODAY.isoformat(), "method": "card"},
    )
    assert response.status_code == 200
    assert "overpay" in " ".join(response.context["payment_form"].errors["amount"])
    assert "150" in " ".join(response.context["payment_form"].errors["amount"])
    assert Payment.objects.count() == 1


def test_a_payment_of_an_invoice_written_off_meanwhile_says_so_beside_the_form(
    persona_client, finance_clerk, manager
):
    invoice = InvoiceFactory(amount=Decimal("250.00"))
    services.invoice_write_off(invoice=invoice, reason="Company dissolved", by=manager)
    response = persona_client(finance_clerk).post(
        reverse("relationships:payment_create", args=[invoice.pk]),
        {"amount": "250.00", "currency": "PLN", "paid_on": TODAY.isoformat(), "method": "card"},
    )
    assert response.status_code == 200
    assert "written off" in " ".join(response.context["payment_form"].non_field_errors())
    assert "written off; it takes no payments" in response.content.decode()
    assert not Payment.objects.exists()


def test_writing_off_an_invoice_paid_meanwhile_says_so_beside_the_form(
    persona_client, finance_clerk, manager
):
    invoice = InvoiceFactory(amount=Decimal("250.00"))
    services.payment_register(
        invoice=invoice,
        amount=Decimal("250.00"),
        currency="PLN",
        paid_on=TODAY,
        method="cash",
        by=finance_clerk,
    )
    response = persona_client(manager).post(
        reverse("relationships:invoice_write_off", args=[invoice.pk]),
        {"write_off_reason": "Company dissolved"},
    )
    assert response.status_code == 200
    assert "nothing to write off" in response.content.decode()
    invoice.refresh_from_db()
    assert invoice.written_off_at is None


def test_writing_off_from_the_invoice_needs_a_reason(persona_client, manager):
    invoice = InvoiceFactory()
    client = persona_client(manager)
    url = reverse("relationships:invoice_write_off", args=[invoice.pk])
    response = client.post(url, {"write_off_reason": ""})
    assert response.status_code == 200
    assert "write_off_reason" in response.context["write_off_form"].errors
    invoice.refresh_from_db()
    assert invoice.written_off_at is None
    assert client.post(url, {"write_off_reason": "Company dissolved"}).status_code == 302
    invoice.refresh_from_db()
    assert (invoice.status, invoice.written_off_by) == ("written_off", manager)


@pytest.mark.parametrize("persona", ["sales_rep", "service_agent"])
def test_the_invoice_page_offers_no_payment_or_write_off_to_other_roles(request, client, persona):
    invoice = InvoiceFactory()
    client.force_login(request.getfixturevalue(persona))
    response = client.get(invoice.get_absolute_url())
    assert response.status_code == 200
    assert response.context["payment_form"] is None
    assert response.context["write_off_form"] is None
    assert (
        client.post(
            reverse("relationships:payment_create", args=[invoice.pk]),
            {"amount": "1", "currency": "PLN", "paid_on": TODAY.isoformat(), "method": "cash"},
        ).status_code
        == 403
    )
    assert not Payment.objects.exists()


def test_issuing_an_invoice_from_the_customer_page(persona_client, finance_clerk, customer):
    contract = ContractFactory(customer=customer, currency="EUR")
    response = persona_client(finance_clerk).post(
        reverse("relationships:invoice_create", args=[customer.pk]),
        {
            "number": "FV/2025/07/1",
            "contract": contract.pk,
            "issue_date": TODAY.isoformat(),
            "due_date": (TODAY + timedelta(days=7)).isoformat(),
            "amount": "99.90",
            "currency": "eur",
        },
    )
    invoice = Invoice.objects.get()
    assert response.status_code == 302 and response.url == invoice.get_absolute_url()
    assert (invoice.customer, invoice.contract, invoice.currency, invoice.created_by) == (
        customer,
        contract,
        "EUR",
        finance_clerk,
    )


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("number", ""),
        ("amount", "0"),
        ("amount", "-10"),
        ("amount", "1e400"),
        ("currency", "EU"),
        ("due_date", (TODAY - timedelta(days=1)).isoformat()),
        ("issue_date", "32/13/2025"),
        ("contract", "other"),
    ],
)
def test_bad_invoice_input_is_refused_beside_the_field(
    persona_client, finance_clerk, customer, field, value
):
    data = {
        "number": "FV/1",
        "issue_date": TODAY.isoformat(),
        "due_date": (TODAY + timedelta(days=7)).isoformat(),
        "amount": "10",
        "currency": "PLN",
    }
    data[field] = ContractFactory().pk if value == "other" else value
    response = persona_client(finance_clerk).post(
        reverse("relationships:invoice_create", args=[customer.pk]), data
    )
    assert response.status_code == 200
    assert field in response.context["form"].errors
    assert not Invoice.objects.exists()


def test_an_invoice_in_another_currency_than_its_contract_is_refused(
    persona_client, finance_clerk, customer
):
    contract = ContractFactory(customer=customer, currency="EUR")
    response = persona_client(finance_clerk).post(
        reverse("relationships:invoice_create", args=[customer.pk]),
        {
            "number": "FV/1",
            "contract": contract.pk,
            "issue_date": TODAY.isoformat(),
            "due_date": TODAY.isoformat(),
            "amount": "10",
            "currency": "PLN",
        },
    )
    assert "currency" in response.context["form"].errors
    assert not Invoice.objects.exists()


def test_an_invoice_cannot_be_reduced_below_what_was_paid(persona_client, finance_clerk):
    invoice = PaymentFactory(
        invoice=InvoiceFactory(amount=Decimal("100")), amount=Decimal("60")
    ).invoice
    response = persona_client(finance_clerk).post(
        reverse("relationships:invoice_edit", args=[invoice.pk]),
        {
            "number": invoice.number,
            "issue_date": invoice.issue_date.isoformat(),
            "due_date": invoice.due_date.isoformat(),
            "amount": "50",
            "currency": "PLN",
        },
    )
    assert response.status_code == 200
    assert "amount" in response.context["form"].errors
    invoice.refresh_from_db()
    assert invoice.amount == Decimal("100")


def test_bad_filter_input_shows_the_error_beside_the_filter(persona_client, finance_clerk):
    InvoiceFactory()
    response = persona_client(finance_clerk).get(
        reverse("relationships:invoice_list"), {"due_after": "someday", "status": "lost"}
    )
    assert response.status_code == 200
    assert set(response.context["filter"].form.errors) == {"due_after", "status"}
