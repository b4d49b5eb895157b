"""Rows stored outside the bounds before they existed (or outside anything Python can hold)
never make a page fail, and check_bounds and the admin's page list them."""

from decimal import Decimal

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from customers.models import ContactPerson, Customer
from relationships.models import Contract, Interaction, Invoice, Payment
from tests.factories import (
    ContactPersonFactory,
    ContractFactory,
    CustomerFactory,
    InteractionFactory,
    InvoiceFactory,
    PaymentFactory,
)

on_postgresql = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="dates before year 1 exist on PostgreSQL only"
)


def drop_window_checks(*models):
    """The database as it was before the window checks (dropped inside the test's
    transaction, so they are back after it)."""
    with connection.cursor() as cursor:
        for model in models:
            table = connection.ops.quote_name(model._meta.db_table)
            cursor.execute(
                "SELECT conname FROM pg_constraint WHERE conrelid = %s::regclass "
                "AND conname LIKE %s",
                [model._meta.db_table, "%_in_window"],
            )
            for (name,) in cursor.fetchall():
                name = connection.ops.quote_name(name)
                cursor.execute(f"ALTER TABLE {table} DROP CONSTRAINT {name}")


def store_raw(model, pk, **values):
    """Write values past the validators, as an older version or an import stored them."""
    table = connection.ops.quote_name(model._meta.db_table)
    with connection.cursor() as cursor:
        for column, (value, cast) in values.items():
            column = connection.ops.quote_name(column)
            cursor.execute(f"UPDATE {table} SET {column} = %s::{cast} WHERE id = %s", [value, pk])


@pytest.fixture
def broken_file(db, sales_rep):
    """A customer whose interaction, contract, invoices and payment carry dates PostgreSQL
    stores but Python cannot read (BC, infinity), as the probe of issue 13 left them."""
    drop_window_checks(Customer, Interaction, Contract, Invoice, Payment)
    customer = CustomerFactory(owner=sales_rep)
    interaction = InteractionFactory(customer=customer)
    contract = ContractFactory(customer=customer, billing_period=Contract.BillingPeriod.MONTHLY)
    old_invoice = InvoiceFactory(customer=customer, amount=Decimal("100.00"))
    endless_invoice = InvoiceFactory(customer=customer, amount=Decimal("50.00"))
    payment = PaymentFactory(invoice=old_invoice, amount=Decimal("10.00"))
    store_raw(Interaction, interaction.pk, occurred_at=("0001-01-01 00:00:00+00 BC", "timestamptz"))
    store_raw(
        Customer,
        customer.pk,
        last_contact_at=("0001-01-01 00:00:00+00 BC", "timestamptz"),
        first_contact_on=("0001-01-01 BC", "date"),
    )
    store_raw(Contract, contract.pk, start_date=("0001-01-01 BC", "date"))
    store_raw(
        Invoice,
        old_invoice.pk,
        issue_date=("0001-01-01 BC", "date"),
        due_date=("0001-01-01 BC", "date"),
    )
    store_raw(Invoice, endless_invoice.pk, due_date=("infinity", "date"))
    store_raw(Payment, payment.pk, paid_on=("0001-01-01 BC", "date"))
    return {
        "customer": customer,
        "interaction": interaction,
        "contract": contract,
        "invoices": [old_invoice, endless_invoice],
        "payment": payment,
    }


@on_postgresql
@pytest.mark.parametrize(
    "persona", ["sales_rep", "service_agent", "finance_clerk", "manager", "admin_user"]
)
def test_pages_showing_dates_before_year_one_answer_for_everyone(
    broken_file, persona_client, request, persona
):
    client = persona_client(request.getfixturevalue(persona))
    customer = broken_file["customer"]
    urls = [
        reverse("customers:detail", args=[customer.pk]),
        reverse("customers:list"),
        reverse("customers:list") + "?sort=last_contact",
        reverse("relationships:contract_detail", args=[broken_file["contract"].pk]),
        reverse("relationships:contract_list"),
        *(reverse("relationships:invoice_detail", args=[i.pk]) for i in broken_file["invoices"]),
        reverse("relationships:invoice_list"),
        reverse("relationships:invoice_list") + "?overdue=on",
    ]
    for url in urls:
        response = client.get(url)
        assert response.status_code in (200, 403), url


@on_postgresql
def test_the_admin_lists_and_changes_records_with_dates_before_year_one(
    broken_file, persona_client, admin_user
):
    client = persona_client(admin_user)
    for name in ("interaction", "contract", "invoice", "payment"):
        response = client.get(reverse(f"admin:relationships_{name}_changelist"))
        assert response.status_code == 200, name
    assert client.get(reverse("admin:customers_customer_changelist")).status_code == 200
    change = reverse("admin:relationships_interaction_change", args=[broken_file["interaction"].pk])
    assert client.get(change).status_code == 200


@on_postgresql
def test_values_python_cannot_hold_are_read_as_the_safe_edges(broken_file):
    interaction = Interaction.objects.get(pk=broken_file["interaction"].pk)
    assert interaction.occurred_at.year == 1
    assert timezone.localtime(interaction.occurred_at).year == 1  # converts without overflow
    old, endless = (Invoice.objects.get(pk=i.pk) for i in broken_file["invoices"])
    assert (old.issue_date.year, endless.due_date.year) == (1, 9999)
    assert Payment.objects.get(pk=broken_file["payment"].pk).paid_on.year == 1


@on_postgresql
def test_check_bounds_lists_values_before_year_one_as_stored_and_fails(broken_file, capsys):
    with pytest.raises(CommandError) as failure:
        call_command("check_bounds")
    assert failure.value.returncode == 1
    out = capsys.readouterr().out
    interaction = broken_file["interaction"]
    assert "relationships.Interaction.occurred_at" in out
    assert f"pk={interaction.pk}  0001-01-01 00:00:00+00 BC" in out
    assert f"pk={broken_file['payment'].pk}  0001-01-01 BC" in out
    assert "infinity" in out
    assert "customers.Customer.first_contact_on" in out


def test_check_bounds_finds_values_the_validators_refuse_and_the_database_kept(db, capsys):
    """On any database: a note longer than the limit and an interaction dated next month, as
    an import or an older version could have stored them."""
    long_note = InteractionFactory()
    future = InteractionFactory()
    Interaction.objects.filter(pk=long_note.pk).update(notes="x" * 10_001)
    Interaction.objects.filter(pk=future.pk).update(
        occurred_at=timezone.now() + timezone.timedelta(days=40)
    )
    with pytest.raises(CommandError):
        call_command("check_bounds")
    out = capsys.readouterr().out
    assert f"pk={long_note.pk}  10001 characters" in out
    assert "relationships.Interaction.occurred_at" in out
    assert f"pk={future.pk}" in out


def test_check_bounds_finds_addresses_stored_before_the_internet_domain_rule(db, capsys):
    loopback = CustomerFactory(email="ok@example.com")
    local = ContactPersonFactory(email="fine@example.pl")
    kept = ContactPersonFactory(email="a.b@mail.example.com")
    Customer.objects.filter(pk=loopback.pk).update(email="user@[127.0.0.1]")
    ContactPerson.objects.filter(pk=local.pk).update(email="first.last@localhost")
    with pytest.raises(CommandError):
        call_command("check_bounds")
    out = capsys.readouterr().out
    assert f"pk={loopback.pk}  user@[127.0.0.1]" in out
    assert f"pk={local.pk}  first.last@localhost" in out
    assert f"pk={kept.pk}" not in out


def test_check_bounds_passes_on_clean_data(db, capsys):
    InteractionFactory()
    call_command("check_bounds")
    assert "Every stored value lies within the accepted bounds." in capsys.readouterr().out


def test_the_admin_page_lists_the_rows_with_links_to_correct_them(
    db, persona_client, admin_user, manager
):
    interaction = InteractionFactory()
    Interaction.objects.filter(pk=interaction.pk).update(notes="x" * 10_001)
    url = reverse("admin_out_of_bounds")
    response = persona_client(admin_user).get(url)
    assert response.status_code == 200
    assert "relationships.Interaction.notes" in response.text
    change = reverse("admin:relationships_interaction_change", args=[interaction.pk])
    assert f'href="{change}"' in response.text
    assert url in persona_client(admin_user).get(reverse("admin:index")).text


def test_the_admin_page_is_for_staff_only(db, client, persona_client, manager):
    url = reverse("admin_out_of_bounds")
    assert client.get(url).status_code == 302
    response = persona_client(manager).get(url)
    assert response.status_code == 302 and "/admin/login/" in response.url
