"""A contact person's language: what their e-mails are written in; defaulted from the customer's
country, editable on the contact form, shown on the customer page, and filled in for the
contacts that existed before."""

import importlib

import pytest
from django.apps import apps
from django.urls import reverse

from customers.models import ContactPerson
from tests.factories import ContactPersonFactory, CustomerFactory

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("country", "language"), [("PL", "pl"), ("CZ", "cs"), ("KZ", "ru"), ("GB", "en"), ("", "en")]
)
def test_a_new_contacts_language_comes_from_the_customers_country(
    persona_client, sales_rep, country, language
):
    customer = CustomerFactory(owner=sales_rep, country=country)
    client = persona_client(sales_rep)
    url = reverse("customers:contact_create", args=[customer.pk])

    form = client.get(url).context["form"]
    assert form["language"].value() == language

    client.post(url, {"first_name": "Jana", "last_name": "Nováková", "language": language})
    assert ContactPerson.objects.get(customer=customer).language == language


def test_the_contact_form_takes_another_language(persona_client, sales_rep):
    customer = CustomerFactory(owner=sales_rep, country="PL")
    client = persona_client(sales_rep)
    client.post(
        reverse("customers:contact_create", args=[customer.pk]),
        {"first_name": "Olga", "last_name": "Ivanova", "language": "ru", "is_active": "on"},
    )
    contact = ContactPerson.objects.get(customer=customer)
    assert contact.language == "ru"

    response = client.post(
        reverse("customers:contact_edit", args=[contact.pk]),
        {"first_name": "Olga", "last_name": "Ivanova", "language": "xx", "is_active": "on"},
    )
    assert "language" in response.context["form"].errors
    contact.refresh_from_db()
    assert contact.language == "ru"


def test_editing_a_contact_keeps_their_language(persona_client, sales_rep):
    contact = ContactPersonFactory(customer=CustomerFactory(owner=sales_rep, country="PL"))
    contact.language = "cs"
    contact.save()

    form = (
        persona_client(sales_rep)
        .get(reverse("customers:contact_edit", args=[contact.pk]))
        .context["form"]
    )

    assert form["language"].value() == "cs"


def test_the_customer_page_shows_each_contacts_language(persona_client, sales_rep):
    customer = CustomerFactory(owner=sales_rep)
    ContactPersonFactory(customer=customer, language="cs")

    content = persona_client(sales_rep).get(customer.get_absolute_url()).content.decode()

    assert 'data-contact-language="cs">Czech</span>' in content


def test_the_migration_fills_existing_contacts_from_their_customers_country():
    polish = ContactPersonFactory(customer=CustomerFactory(country="PL"), language="en")
    slovak = ContactPersonFactory(customer=CustomerFactory(country="sk"), language="en")
    belarusian = ContactPersonFactory(customer=CustomerFactory(country="BY"), language="en")
    ukrainian = ContactPersonFactory(customer=CustomerFactory(country="UA"), language="en")
    unknown = ContactPersonFactory(customer=CustomerFactory(country=""), language="en")
    migration = importlib.import_module("customers.migrations.0010_contact_language")

    migration.fill_from_country(apps, None)

    languages = dict(ContactPerson.objects.values_list("pk", "language"))
    assert languages[polish.pk] == "pl"
    assert languages[slovak.pk] == "cs"
    assert languages[belarusian.pk] == "ru"
    assert languages[ukrainian.pk] == "en"
    assert languages[unknown.pk] == "en"
