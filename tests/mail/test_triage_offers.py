"""Triage offers "make the sender a new customer" only to those who may create customers (the
same question the create view asks); the service persona sorts onto existing customers."""

import pytest
from django.urls import reverse

from .test_triage import make_mailbox, waiting

pytestmark = pytest.mark.django_db
NEW_CUSTOMER = "Make the sender a new customer"


def test_the_service_persona_is_not_offered_a_new_customer(persona_client, service_agent):
    message = waiting(make_mailbox())
    client = persona_client(service_agent)

    listing = client.get(reverse("mail:triage_list"))
    assert listing.status_code == 200
    intro = listing.content.decode()
    assert NEW_CUSTOMER not in intro
    assert "File the message on an existing customer, or dismiss it." in intro

    detail = client.get(reverse("mail:triage_detail", args=[message.pk])).content.decode()
    assert reverse("mail:triage_create_customer", args=[message.pk]) not in detail
    # The view it would lead to refuses it, so the page must not offer it.
    refused = client.post(
        reverse("mail:triage_create_customer", args=[message.pk]),
        {"kind": "person", "display_name": "Jan Kowalski"},
    )
    assert refused.status_code == 403


@pytest.mark.parametrize("persona", ["sales_rep", "manager"])
def test_those_who_may_create_customers_are_offered_it(persona, request, persona_client):
    user = request.getfixturevalue(persona)
    message = waiting(make_mailbox())
    client = persona_client(user)

    assert NEW_CUSTOMER in client.get(reverse("mail:triage_list")).content.decode()
    detail = client.get(reverse("mail:triage_detail", args=[message.pk])).content.decode()
    assert reverse("mail:triage_create_customer", args=[message.pk]) in detail
