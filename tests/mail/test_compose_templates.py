"""Filling an e-mail from a template: a template is chosen by its name, and the language beside
it (the first recipient's unless chosen) decides which version fills the e-mail; when nothing
can be filled, the page says why beside the template."""

import pytest
from django.urls import reverse

from mail.models import MailTemplate
from tests.factories import ContactPersonFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def follow_up(db):
    """One template written in English and Polish."""
    return {
        language: MailTemplate.objects.create(
            name="Follow-up",
            language=language,
            subject=subject,
            body=body + " {{ contact.first_name }}",
        )
        for language, subject, body in [
            ("en", "Following up", "Hello"),
            ("pl", "Nawiązując do rozmowy", "Dzień dobry"),
        ]
    }


def compose_url(customer):
    return reverse("mail:compose", args=[customer.pk])


def fill(client, customer, **data):
    return client.post(compose_url(customer), {"action": "fill", **data})


def test_templates_are_offered_by_name_with_the_languages_they_are_written_in(
    persona_client, sales_rep, customer, follow_up
):
    ContactPersonFactory(customer=customer, is_primary=True)
    response = persona_client(sales_rep).get(compose_url(customer))
    choices = response.context["form"].fields["template"].choices
    assert [label for value, label in choices if value] == ["Follow-up (en, pl)"]
    html = response.content.decode()
    assert "Follow-up (en)" not in html and "Follow-up (pl)" not in html


def test_the_chosen_language_decides_the_version_and_shows_which_was_used(
    persona_client, sales_rep, customer, follow_up
):
    anna = ContactPersonFactory(customer=customer, language="en", first_name="Anna")
    response = fill(
        persona_client(sales_rep),
        customer,
        to=[anna.pk],
        template="Follow-up",
        language="pl",
    )
    assert response.status_code == 200
    assert response.context["preview"]["subject"] == "Nawiązując do rozmowy"
    assert response.context["preview"]["body"] == "Dzień dobry Anna"
    form = response.context["form"]
    assert (form["template"].value(), form["language"].value()) == ("Follow-up", "pl")
    assert response.context["fill_note"] is None


def test_without_a_chosen_language_the_recipients_is_used(
    persona_client, sales_rep, customer, follow_up
):
    jan = ContactPersonFactory(customer=customer, language="pl", first_name="Jan")
    response = fill(persona_client(sales_rep), customer, to=[jan.pk], template="Follow-up")
    assert response.context["preview"]["subject"] == "Nawiązując do rozmowy"
    assert response.context["form"]["language"].value() == "pl"


def test_a_language_the_template_lacks_is_filled_in_english_and_said_so(
    persona_client, sales_rep, customer, follow_up
):
    jana = ContactPersonFactory(customer=customer, language="cs", first_name="Jana")
    response = fill(persona_client(sales_rep), customer, to=[jana.pk], template="Follow-up")
    assert response.context["preview"]["subject"] == "Following up"
    assert response.context["preview"]["language"] == "en"
    assert response.context["form"]["language"].value() == "en"
    assert "“Follow-up” is not written in Czech yet: it is filled in English." in (
        response.content.decode()
    )


def test_a_customer_without_an_emailable_contact_is_told_why_nothing_is_filled(
    persona_client, sales_rep, customer, follow_up
):
    ContactPersonFactory(customer=customer, email="")  # no address: nobody to write to
    response = fill(persona_client(sales_rep), customer, template="Follow-up", language="en")
    assert response.status_code == 200
    assert response.context["preview"] is None
    assert response.context["form"].errors["template"] == [
        "There is nobody to fill it in for: this customer has no contact person with an e-mail "
        "address that can be written to."
    ]
    html = response.content.decode()
    assert "There is nobody to fill it in for" in html


def test_no_recipient_ticked_is_said_beside_the_template_too(
    persona_client, sales_rep, customer, follow_up
):
    ContactPersonFactory(customer=customer)
    response = fill(persona_client(sales_rep), customer, template="Follow-up")
    errors = response.context["form"].errors
    assert "to" in errors
    assert errors["template"] == [
        "Choose whom it goes to first: it is filled in for the first recipient."
    ]


def test_an_inactive_template_is_not_offered_nor_filled(
    persona_client, sales_rep, customer, follow_up
):
    anna = ContactPersonFactory(customer=customer)
    MailTemplate.objects.filter(name="Follow-up").update(is_active=False)
    response = fill(persona_client(sales_rep), customer, to=[anna.pk], template="Follow-up")
    assert "template" in response.context["form"].errors
    assert response.context["preview"] is None
