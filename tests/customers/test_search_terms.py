"""A search term longer than anything searched finds nothing, and never reaches the database:
SQLite refuses LIKE patterns over 50,000 bytes."""

import pytest
from django.urls import reverse

from core import search
from core.bounds import SEARCH_TERM_MAX_LENGTH
from customers.models import Customer
from tests.factories import ContactPersonFactory, CustomerFactory

pytestmark = pytest.mark.django_db
LONG = "A" * 100_000


def test_a_term_longer_than_any_name_finds_nothing(manager):
    customer = CustomerFactory(display_name="A" * 200)
    ContactPersonFactory(customer=customer, last_name="A" * 100)
    assert list(Customer.objects.search("A" * SEARCH_TERM_MAX_LENGTH)) == []
    assert list(Customer.objects.search(LONG)) == []
    assert search.search(LONG, user=manager, limit=5) == []
    assert list(Customer.objects.search("A" * 200)) == [customer]


def test_the_search_page_answers_a_huge_term_with_no_matches(persona_client, sales_rep):
    response = persona_client(sales_rep).get(reverse("customers:search"), {"q": LONG})
    assert response.status_code == 200
    assert response.context["groups"] == [] and response.context["too_long"]
    assert "too long" in response.content.decode()


@pytest.mark.parametrize(
    "url",
    [
        "customers:list",
        "relationships:contract_list",
        "relationships:invoice_list",
        "processes:instance_list",
        "processes:ticket_list",
    ],
)
def test_a_list_refuses_a_huge_search_beside_the_box(persona_client, manager, url):
    response = persona_client(manager).get(reverse(url), {"q": LONG})
    assert response.status_code == 200
    assert "q" in response.context["filter"].form.errors
