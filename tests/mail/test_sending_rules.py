"""Who may write to a customer, and the bounds of what they write: every refusal is an error
beside its field, and nothing is queued."""

import pytest
from django.urls import reverse

from core.models import OutboxMessage
from mail.models import EmailMessage, SuppressedAddress
from tests.factories import ContactPersonFactory, CustomerFactory, DocumentFactory

pytestmark = pytest.mark.django_db


def compose_url(customer):
    return reverse("mail:compose", args=[customer.pk])


def nothing_queued():
    return (
        not EmailMessage.objects.exists()
        and not OutboxMessage.objects.filter(task="mail.tasks.send_email").exists()
    )


def test_anonymous_users_are_sent_to_log_in(client, customer):
    for url in (
        compose_url(customer),
        reverse("mail:template_list"),
        reverse("mail:template_create"),
    ):
        response = client.get(url)
        assert response.status_code == 302 and response.url.startswith(reverse("login"))


def test_a_user_without_a_role_may_not_write(persona_client, outsider, personas_in_one_team):
    customer = CustomerFactory(owner=outsider)
    assert persona_client(outsider).get(compose_url(customer)).status_code == 403


def test_another_teams_customer_is_not_found(persona_client, sales_rep, manager, settings):
    settings.CRM_VISIBILITY = "team"
    stranger = CustomerFactory(owner=manager)
    ContactPersonFactory(customer=stranger)
    client = persona_client(sales_rep)
    assert client.get(compose_url(stranger)).status_code == 404
    assert client.post(compose_url(stranger), {"action": "send"}).status_code == 404
    assert nothing_queued()


def test_a_customer_seen_but_not_owned_cannot_be_written_to(persona_client, sales_rep, manager):
    # CRM_VISIBILITY=all: everyone sees every customer, only the owner's side writes.
    someone_elses = CustomerFactory(owner=manager)
    assert persona_client(sales_rep).get(compose_url(someone_elses)).status_code == 403


def test_the_compose_page_offers_the_reachable_contacts_only(persona_client, sales_rep, customer):
    reachable = ContactPersonFactory(customer=customer, is_primary=True)
    bounced = ContactPersonFactory(customer=customer)
    SuppressedAddress.objects.create(address=bounced.email)
    ContactPersonFactory(customer=customer, email="")
    ContactPersonFactory(customer=customer, is_active=False)
    ContactPersonFactory()  # another customer's
    response = persona_client(sales_rep).get(compose_url(customer))
    assert response.status_code == 200
    offered = list(response.context["form"].fields["to"].queryset)
    assert offered == [reachable]
    assert response.context["form"].initial["to"] == [reachable]


def send(client, customer, **data):
    return client.post(compose_url(customer), {"action": "send", **data})


def test_a_subject_too_long_is_refused_beside_it(persona_client, sales_rep, customer):
    contact = ContactPersonFactory(customer=customer)
    response = send(
        persona_client(sales_rep), customer, to=[contact.pk], subject="x" * 301, body="Text"
    )
    assert response.status_code == 200
    assert "at most 300 characters" in str(response.context["form"].errors["subject"])
    assert nothing_queued()


def test_a_text_too_long_is_refused_beside_it(persona_client, sales_rep, customer):
    contact = ContactPersonFactory(customer=customer)
    response = send(
        persona_client(sales_rep), customer, to=[contact.pk], subject="Hi", body="x" * 10_001
    )
    assert "at most 10000 characters" in str(response.context["form"].errors["body"])
    assert nothing_queued()


def test_an_empty_subject_or_text_is_refused(persona_client, sales_rep, customer):
    contact = ContactPersonFactory(customer=customer)
    response = send(persona_client(sales_rep), customer, to=[contact.pk], subject=" ", body="")
    errors = response.context["form"].errors
    assert "needs a subject" in str(errors["subject"]) and "needs a text" in str(errors["body"])
    assert nothing_queued()


def test_too_many_recipients_are_refused(persona_client, sales_rep, customer, settings):
    settings.MAIL_MAX_RECIPIENTS = 2
    contacts = [ContactPersonFactory(customer=customer) for _ in range(3)]
    response = send(
        persona_client(sales_rep),
        customer,
        to=[c.pk for c in contacts],
        subject="Hi",
        body="Text",
    )
    assert "at most 2 recipients" in str(response.context["form"].errors["to"])
    assert nothing_queued()


def test_another_customers_contact_or_document_cannot_be_chosen(
    persona_client, sales_rep, customer
):
    contact = ContactPersonFactory(customer=customer)
    foreign_contact = ContactPersonFactory()
    foreign_document = DocumentFactory()
    client = persona_client(sales_rep)
    response = send(client, customer, to=[foreign_contact.pk], subject="Hi", body="Text")
    assert "to" in response.context["form"].errors
    response = send(
        client,
        customer,
        to=[contact.pk],
        subject="Hi",
        body="Text",
        attachments=[foreign_document.pk],
    )
    assert "attachments" in response.context["form"].errors
    assert nothing_queued()


def test_a_bad_template_choice_is_refused(persona_client, sales_rep, customer):
    contact = ContactPersonFactory(customer=customer)
    response = persona_client(sales_rep).post(
        compose_url(customer), {"to": [contact.pk], "template": "999999", "action": "fill"}
    )
    assert response.status_code == 200
    assert "template" in response.context["form"].errors
    assert response.context["preview"] is None


def test_an_address_that_bounced_is_refused_by_the_service(customer, sales_rep):
    from django.core.exceptions import ValidationError

    from mail import services

    contact = ContactPersonFactory(customer=customer, email="Gone@Acme.example")
    SuppressedAddress.objects.create(address="gone@acme.example")
    with pytest.raises(ValidationError) as refused:
        services.email_send(customer=customer, to=[contact], subject="Hi", body="x", by=sales_rep)
    assert "bounced" in str(refused.value.message_dict["to"])
    assert nothing_queued()


def test_send_again_is_for_the_owners_side_only(persona_client, sales_rep, manager, settings):
    from mail import services

    settings.CRM_VISIBILITY = "team"
    customer = CustomerFactory(owner=manager)
    contact = ContactPersonFactory(customer=customer)
    message = services.email_send(
        customer=customer, to=[contact], subject="Hi", body="x", by=manager
    )
    url = reverse("mail:message_resend", args=[message.pk])
    assert persona_client(sales_rep).post(url).status_code == 404
    assert persona_client(manager).get(url).status_code == 405
