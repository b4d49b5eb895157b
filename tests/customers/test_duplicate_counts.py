"""How many new possible duplicates a search found, said with the count's plural form ("1 new
possible duplicate", not "1 new possible duplicates"), on the page and by the command."""

from io import StringIO

import pytest
from django.contrib.messages import get_messages
from django.core.management import call_command
from django.urls import reverse

from tests.factories import CustomerFactory

pytestmark = pytest.mark.django_db


def _found_message(client, customer):
    response = client.post(reverse("customers:duplicate_find", args=[customer.pk]))
    assert response.status_code == 302
    return [str(message) for message in get_messages(response.wsgi_request)]


def test_one_new_possible_duplicate_is_said_in_the_singular(persona_client, sales_rep):
    left = CustomerFactory(owner=sales_rep, display_name="Acme", email="office@acme.example")
    CustomerFactory(
        owner=sales_rep, display_name="ACME Ltd", email="office@acme.example", relationship=False
    )
    assert _found_message(persona_client(sales_rep), left) == ["1 new possible duplicate found."]


def test_two_new_possible_duplicates_are_said_in_the_plural(persona_client, sales_rep):
    left = CustomerFactory(owner=sales_rep, display_name="Acme", email="office@acme.example")
    for name in ("ACME Ltd", "Acme s.r.o."):
        CustomerFactory(
            owner=sales_rep, display_name=name, email="office@acme.example", relationship=False
        )
    assert _found_message(persona_client(sales_rep), left) == ["2 new possible duplicates found."]


def test_none_found_says_so_without_a_count(persona_client, sales_rep):
    alone = CustomerFactory(owner=sales_rep, display_name="Zenith", email="z@zenith.example")
    assert _found_message(persona_client(sales_rep), alone) == ["No new possible duplicates found."]


def test_the_command_says_each_count_with_its_plural_form():
    CustomerFactory(display_name="Acme", email="office@acme.example")
    out = StringIO()
    call_command("find_duplicates", "--all", stdout=out)
    assert out.getvalue().strip() == "1 customer looked at. 0 new possible duplicates."
    CustomerFactory(display_name="ACME Ltd", email="office@acme.example", relationship=False)
    out = StringIO()
    call_command("find_duplicates", "--all", stdout=out)
    assert out.getvalue().strip() == "2 customers looked at. 1 new possible duplicate."
