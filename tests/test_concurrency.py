"""Simultaneous duplicate submissions on PostgreSQL: one record, and form errors for the rest.

Five users (threads, each with its own database connection) are held at a barrier and then
post the same tax id, contract number, invoice number, serial number or look-alike customer
at the same moment, through the real views. Exactly one record may exist afterwards; every
other answer is the form page (200) with the error, never a 500, and nothing is half-saved.
"""

import threading
from datetime import timedelta

import pytest
from django.db import connection
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from customers.models import ContactPerson, Customer
from relationships.models import Asset, Contract, Invoice, Relationship
from tests.factories import ContactPersonFactory, CustomerFactory

pytestmark = [
    pytest.mark.skipif(
        connection.vendor != "postgresql",
        reason="SQLite lets one writer in at a time (IMMEDIATE transactions): no race to lose",
    ),
    pytest.mark.django_db(transaction=True),
]

USERS = 5


def post_at_once(user, url, data_for):
    """POST `data_for(i)` to `url` from USERS clients released together; their responses."""
    barrier = threading.Barrier(USERS, timeout=30)
    responses = [None] * USERS
    failures = []

    def run(i):
        try:
            client = Client()
            client.force_login(user)
            barrier.wait()
            responses[i] = client.post(url, data_for(i))
        except Exception as error:  # a 500 raises here: the test client re-raises it
            failures.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(USERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not failures, failures
    return responses


def _split(responses):
    saved = [r for r in responses if r.status_code == 302]
    refused = [r for r in responses if r.status_code != 302]
    assert all(r.status_code == 200 for r in refused), [r.status_code for r in refused]
    return saved, refused


def _new_customer(i, **overrides):
    return {
        "kind": "organisation",
        "display_name": f"Novák {i}",
        "tax_id": "",
        "email": f"office{i}@novak.cz",
        "phone": f"+420 601 000 {i:03d}",
        "country": "cz",
        "source": "event",
        "first_contact_on": timezone.localdate().isoformat(),
        "first-relationship_kind": "lasting",
        "first-channel": "meeting",
        "first-direction": "inbound",
        "first-subject": "Met at the Brno trade fair",
        **overrides,
    }


def _assert_every_customer_is_whole():
    for customer in Customer.objects.all():
        assert customer.relationships.count() == 1
        assert customer.interactions.count() == 1


def test_five_new_customers_with_one_tax_id_make_one_customer(sales_rep):
    responses = post_at_once(
        sales_rep,
        reverse("relationships:customer_create"),
        lambda i: _new_customer(i, tax_id="CZ12345678"),
    )
    saved, refused = _split(responses)
    assert len(saved) == 1 and Customer.objects.filter(tax_id="CZ12345678").count() == 1
    for response in refused:
        assert "tax_id" in response.context["form"].errors
    _assert_every_customer_is_whole()


def test_five_posts_of_one_new_customer_make_no_twins(sales_rep):
    """The duplicate guard held only sequentially: five simultaneous posts made five twins."""
    responses = post_at_once(
        sales_rep,
        reverse("relationships:customer_create"),
        lambda i: _new_customer(i, display_name="Novák a syn s.r.o."),
    )
    saved, refused = _split(responses)
    assert len(saved) == 1
    assert Customer.objects.filter(display_name="Novák a syn s.r.o.").count() == 1
    twin = Customer.objects.get()
    for response in refused:
        form = response.context["form"]
        assert [match.customer for match in form.duplicates] == [twin]
        assert form.non_field_errors()
    _assert_every_customer_is_whole()


def test_five_confirmed_look_alikes_are_five_customers(sales_rep):
    """The guard's lock does not stand in the way of "this is a different customer"."""
    responses = post_at_once(
        sales_rep,
        reverse("relationships:customer_create"),
        lambda i: _new_customer(i, display_name="Jan Novák", confirm_not_duplicate="on"),
    )
    assert [r.status_code for r in responses] == [302] * USERS
    assert Customer.objects.filter(display_name="Jan Novák").count() == USERS
    _assert_every_customer_is_whole()


def _today(days=0):
    return (timezone.localdate() + timedelta(days=days)).isoformat()


OBJECT_FORMS = {
    "contract number": (
        "relationships:contract_create",
        Contract,
        "number",
        {
            "number": "C-2024/1",
            "title": "Printing",
            "product": "Managed printing",
            "value": "1200.00",
            "currency": "PLN",
            "billing_period": "one_off",
            "start_date": _today(),
        },
    ),
    "invoice number": (
        "relationships:invoice_create",
        Invoice,
        "number",
        {
            "number": "FV/2024/1",
            "issue_date": _today(),
            "due_date": _today(14),
            "amount": "100.00",
            "currency": "PLN",
        },
    ),
    "asset serial number": (
        "relationships:asset_create",
        Asset,
        "serial_number",
        {
            "name": "Printer",
            "model": "LaserJet 400",
            "serial_number": "SN-1",
            "installed_on": _today(),
            "status": "in_use",
        },
    ),
}


@pytest.mark.parametrize(
    ("url_name", "model", "field", "data"), OBJECT_FORMS.values(), ids=OBJECT_FORMS.keys()
)
def test_five_posts_of_one_number_make_one_record(manager, url_name, model, field, data):
    customer = CustomerFactory()
    responses = post_at_once(
        manager, reverse(url_name, args=[customer.pk]), lambda i: {**data, "title": f"T{i}"}
    )
    saved, refused = _split(responses)
    assert len(saved) == 1 and model.objects.filter(**{field: data[field]}).count() == 1
    for response in refused:
        errors = response.context["form"].errors
        # A request whose form checked after the winner committed gets the form's own error,
        # one that lost the race at the INSERT the same error (core.integrity): beside the field.
        assert field in errors, errors


PRIMARY_CONTACT = {"last_name": "Nowak", "is_primary": "on", "is_active": "on"}


def test_five_people_making_someone_primary_leave_exactly_one_primary(service_agent):
    """As when they save one after the other: each demotes the previous primary."""
    customer = CustomerFactory()
    ContactPersonFactory(customer=customer, is_primary=True)
    responses = post_at_once(
        service_agent,
        reverse("customers:contact_create", args=[customer.pk]),
        lambda i: {"first_name": f"P{i}", **PRIMARY_CONTACT},
    )
    assert [r.status_code for r in responses] == [302] * USERS
    assert ContactPerson.objects.filter(customer=customer).count() == USERS + 1
    assert ContactPerson.objects.filter(customer=customer, is_primary=True).count() == 1


def test_five_clicks_on_start_a_relationship_open_one(sales_rep):
    customer = CustomerFactory(relationship=False)
    responses = post_at_once(
        sales_rep,
        reverse("relationships:start", args=[customer.pk]),
        lambda i: {"kind": "lasting"},
    )
    assert [r.status_code for r in responses] == [302] * USERS
    assert Relationship.objects.open().filter(customer=customer).count() == 1
