"""Dates, texts and amounts outside the bounds, typed into a form or a filter, get a clear
error beside the field (or are ignored by a filter), never a 500 and never a saved record."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from customers.models import Customer
from processes.models import Task
from relationships.models import Interaction, Invoice, Payment
from tests.factories import InvoiceFactory

pytestmark = pytest.mark.django_db

HOSTILE_DATES = ["0001-01-01", "1899-12-31", "9999-12-31"]


@pytest.mark.parametrize("when", ["0001-01-01T00:00", "1969-12-31T12:00", "9999-12-31T23:59"])
def test_an_interaction_outside_its_window_is_refused_beside_the_field(
    persona_client, sales_rep, customer, when
):
    response = persona_client(sales_rep).post(
        reverse("relationships:interaction_create", args=[customer.pk]),
        {"channel": "call", "direction": "outbound", "subject": "Hello", "occurred_at": when},
    )
    assert response.status_code == 200
    assert "occurred_at" in response.context["form"].errors
    assert (
        not Interaction.objects.filter(customer=customer)
        .exclude(subject="")
        .filter(subject="Hello")
        .exists()
    )


def test_a_note_over_the_limit_is_refused_and_one_at_the_limit_saved(
    persona_client, sales_rep, customer
):
    url = reverse("relationships:interaction_create", args=[customer.pk])
    data = {"channel": "call", "direction": "outbound", "subject": "Long"}
    response = persona_client(sales_rep).post(url, {**data, "notes": "x" * 100_000})
    assert response.status_code == 200 and "notes" in response.context["form"].errors
    response = persona_client(sales_rep).post(url, {**data, "notes": "x" * 10_000})
    assert response.status_code == 302
    assert len(Interaction.objects.get(subject="Long").notes) == 10_000


@pytest.mark.parametrize("paid_on", HOSTILE_DATES)
def test_a_payment_dated_outside_its_window_is_refused(persona_client, finance_clerk, paid_on):
    invoice = InvoiceFactory()
    response = persona_client(finance_clerk).post(
        reverse("relationships:payment_create", args=[invoice.pk]),
        {"amount": "1", "currency": invoice.currency, "paid_on": paid_on, "method": "cash"},
    )
    assert response.status_code == 200
    assert "paid_on" in response.context["payment_form"].errors
    assert not Payment.objects.exists()


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("due_date", "9999-12-31"),
        ("issue_date", "0001-01-01"),
        ("amount", "1000000000.00"),
        ("amount", "-5"),
    ],
)
def test_an_invoice_outside_its_bounds_is_refused_beside_the_field(
    persona_client, finance_clerk, customer, field, value
):
    today = timezone.localdate()
    data = {
        "number": "F-1",
        "issue_date": today.isoformat(),
        "due_date": (today + timedelta(days=14)).isoformat(),
        "amount": "100.00",
        "currency": "PLN",
        field: value,
    }
    response = persona_client(finance_clerk).post(
        reverse("relationships:invoice_create", args=[customer.pk]), data
    )
    assert response.status_code == 200
    assert field in response.context["form"].errors
    assert not Invoice.objects.exists()


@pytest.mark.parametrize("due_on", ["0001-01-01", "9999-12-31"])
def test_a_task_due_outside_the_window_is_refused(persona_client, sales_rep, customer, due_on):
    response = persona_client(sales_rep).post(
        reverse("processes:task_create", args=[customer.pk]),
        {"title": "Call back", "assignee": sales_rep.pk, "due_on": due_on},
    )
    assert response.status_code == 200
    assert not Task.objects.exists()


@pytest.mark.parametrize("first_contact_on", ["0001-01-01", "1969-12-31", "9999-12-31"])
def test_a_customer_first_contacted_outside_the_window_is_refused(
    persona_client, sales_rep, first_contact_on
):
    response = persona_client(sales_rep).post(
        reverse("relationships:customer_create"),
        {
            "kind": "organisation",
            "display_name": "Acme Hostile",
            "source": "other",
            "first_contact_on": first_contact_on,
            "first-relationship_kind": "lasting",
            "first-channel": "call",
            "first-direction": "inbound",
            "first-subject": "Hi",
        },
    )
    assert response.status_code == 200
    assert "first_contact_on" in response.context["form"].errors
    assert not Customer.objects.filter(display_name="Acme Hostile").exists()


@pytest.mark.parametrize("value", HOSTILE_DATES)
def test_the_invoice_list_filter_shows_an_error_for_a_date_outside_the_window(
    persona_client, finance_clerk, value
):
    InvoiceFactory()
    for name in ("due_after", "due_before"):
        response = persona_client(finance_clerk).get(
            reverse("relationships:invoice_list"), {name: value}
        )
        assert response.status_code == 200
        assert name in response.context["filter"].form.errors


@pytest.mark.parametrize("start", HOSTILE_DATES)
def test_a_report_period_outside_the_window_falls_back_with_an_error(
    persona_client, manager, start
):
    response = persona_client(manager).get(
        reverse("analytics:process_kpis"),
        {"period": "custom", "start": start, "end": timezone.localdate().isoformat()},
    )
    assert response.status_code == 200
    assert "start" in response.context["filters"].errors


def test_a_report_period_longer_than_ten_years_is_refused(persona_client, manager):
    from analytics.reports import ReportFilterForm

    form = ReportFilterForm({"period": "custom", "start": "1950-01-01", "end": "2025-01-01"})
    assert not form.is_valid() and "start" in form.errors
    form = ReportFilterForm({"period": "custom", "start": "2020-01-01", "end": "2025-01-01"})
    assert form.is_valid()
