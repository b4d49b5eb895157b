"""The public web-form endpoint: a visitor becomes a customer, a returning one is recognised,
bots and floods are turned away, bad input is answered field by field."""

import json

import pytest
from django.urls import reverse

from customers.models import ContactPerson, Customer
from integrations.models import WebhookDelivery, WebhookSubscription
from relationships.models import Interaction, Relationship
from tests.factories import ContactPersonFactory, CustomerFactory

VISITOR = {
    "first_name": "Jan",
    "last_name": "Kowalski",
    "email": "jan@kowalski.example",
    "phone": "+48 601 202 303",
    "message": "Please call me about printers.",
}


def url(webform, token=None):
    path = reverse("integrations:webform_post", args=[webform.slug])
    return f"{path}?token={webform.token if token is None else token}"


def post_json(client, webform, data, **headers):
    return client.post(
        url(webform),
        data=json.dumps(data),
        content_type="application/json",
        **headers,
    )


def test_a_visitor_becomes_a_customer_with_its_relationship_and_first_contact(client, webform):
    response = client.post(url(webform), VISITOR)
    assert response.status_code == 200
    assert b"Thank you" in response.content
    customer = Customer.objects.get()
    assert customer.display_name == "Jan Kowalski"
    assert customer.kind == Customer.Kind.PERSON
    assert customer.source == Customer.Source.WEB_FORM
    assert customer.owner is None  # the unassigned pool: no default owner on this form
    assert customer.created_by is None
    assert Relationship.objects.get(customer=customer).is_open
    interaction = Interaction.objects.get(customer=customer)
    assert interaction.channel == Interaction.Channel.WEB_FORM
    assert interaction.direction == Interaction.Direction.INBOUND
    assert interaction.subject == "Contact page"
    assert interaction.notes == VISITOR["message"]


def test_a_company_gets_its_contact_person_and_the_forms_default_owner(client, webform, sales_rep):
    webform.owner = sales_rep
    webform.save()
    response = post_json(client, webform, {**VISITOR, "company": "Kowalski Druk"})
    assert response.status_code == 200
    assert response.json() == {"status": "received"}
    customer = Customer.objects.get()
    assert (customer.display_name, customer.kind) == ("Kowalski Druk", "organisation")
    assert customer.owner == sales_rep
    contact = ContactPerson.objects.get(customer=customer)
    assert (contact.first_name, contact.last_name, contact.is_primary) == ("Jan", "Kowalski", True)


def test_a_new_customer_from_a_form_is_told_to_webhooks(client, webform, manager, receiver):
    WebhookSubscription.objects.create(
        name="Mailing tool", owner=manager, target_url=receiver.url, events=["customer.created"]
    )
    client.post(url(webform), VISITOR)
    delivery = WebhookDelivery.objects.get()
    assert delivery.payload["data"]["source"] == "web_form"
    assert delivery.payload["data"]["customer_id"] == Customer.objects.get().pk


@pytest.mark.parametrize(
    "known",
    [
        {"email": "jan@kowalski.example"},
        {"phone": "601202303"},
    ],
    ids=["same e-mail", "same phone"],
)
def test_a_returning_customer_is_recognised_and_the_contact_logged_on_it(client, webform, known):
    existing = CustomerFactory(
        **{"display_name": "Kowalski family", "email": "", "phone": "", **known}
    )
    response = client.post(url(webform), {**VISITOR, "email": "Jan@Kowalski.example"})
    assert response.status_code == 200  # the same answer as for a new one
    assert Customer.objects.count() == 1
    interaction = Interaction.objects.get(customer=existing)
    assert interaction.channel == Interaction.Channel.WEB_FORM
    assert interaction.notes == VISITOR["message"]


def test_a_returning_contact_person_leads_to_their_customer(client, webform):
    company = CustomerFactory(display_name="Druk SA")
    ContactPersonFactory(customer=company, email="jan@kowalski.example")
    client.post(url(webform), VISITOR)
    assert Customer.objects.count() == 1
    assert Interaction.objects.get().customer == company


def test_a_same_tax_id_is_a_returning_customer(client, webform):
    existing = CustomerFactory(tax_id="5260250274")
    client.post(url(webform), {**VISITOR, "company": "Other name", "tax_id": "526-025-02-74"})
    assert Customer.objects.count() == 1
    assert Interaction.objects.get().customer == existing


def test_a_namesake_is_not_taken_for_a_known_customer(client, webform):
    CustomerFactory(display_name="Jan Kowalski", email="other@example.com", phone="")
    client.post(url(webform), VISITOR)
    assert Customer.objects.filter(display_name="Jan Kowalski").count() == 2


def test_a_filled_honeypot_is_thanked_and_nothing_is_saved(client, webform, settings):
    settings.WEBFORM_RATE_LIMIT_PER_ADDRESS = 100
    response = client.post(url(webform), {**VISITOR, "homepage": "http://spam.example"})
    assert response.status_code == 200
    assert b"Thank you" in response.content
    json_response = post_json(client, webform, {**VISITOR, "homepage": "x"})
    assert json_response.json() == {"status": "received"}
    assert not Customer.objects.exists()
    assert not Interaction.objects.exists()


def test_bad_input_is_answered_400_with_the_errors_of_each_field(client, webform):
    response = post_json(
        client,
        webform,
        {"first_name": "", "last_name": "K" * 101, "email": "not-an-e-mail", "message": "x" * 2001},
    )
    assert response.status_code == 400
    errors = response.json()["errors"]
    assert set(errors) == {"first_name", "last_name", "email", "message"}
    assert "at most 100 characters" in errors["last_name"][0]
    assert not Customer.objects.exists()


def test_a_post_without_any_way_to_answer_is_refused(client, webform):
    response = post_json(client, webform, {"first_name": "Jan", "last_name": "K"})
    assert response.status_code == 400
    assert "e-mail address or a phone number" in response.json()["errors"]["__all__"][0]


@pytest.mark.parametrize(
    "body",
    ["[1, 2]", "{not json", '{"first_name": {"nested": 1}}'],
    ids=["list", "broken", "nested"],
)
def test_a_json_body_that_is_not_an_object_of_values_is_refused(client, webform, body):
    response = client.post(url(webform), data=body, content_type="application/json")
    assert response.status_code == 400
    assert "errors" in response.json()


def test_a_plain_html_form_gets_the_errors_on_a_page(client, webform):
    response = client.post(url(webform), {"first_name": "Jan"})
    assert response.status_code == 400
    assert b"last_name" in response.content
    assert response["Content-Type"].startswith("text/html")


def test_a_wrong_or_missing_token_an_unknown_or_inactive_form_are_not_found(client, webform):
    assert client.post(url(webform, token="guess"), VISITOR).status_code == 404
    assert client.post(url(webform, token=""), VISITOR).status_code == 404
    assert client.post("/forms/nope/?token=x", VISITOR).status_code == 404
    webform.active = False
    webform.save()
    assert client.post(url(webform), VISITOR).status_code == 404
    assert not Customer.objects.exists()


def test_the_token_may_come_in_a_header(client, webform):
    path = reverse("integrations:webform_post", args=[webform.slug])
    response = client.post(
        path,
        data=json.dumps(VISITOR),
        content_type="application/json",
        headers={"X-CRM-Form-Token": webform.token},
    )
    assert response.status_code == 200
    assert Customer.objects.count() == 1


def test_another_sites_origin_is_refused_and_the_allowed_one_gets_cors(client, webform):
    refused = post_json(client, webform, VISITOR, headers={"Origin": "https://evil.example"})
    assert refused.status_code == 403
    assert not Customer.objects.exists()
    allowed = post_json(client, webform, VISITOR, headers={"Origin": "https://www.example.com"})
    assert allowed.status_code == 200
    assert allowed["Access-Control-Allow-Origin"] == "https://www.example.com"
    preflight = client.options(
        reverse("integrations:webform_post", args=[webform.slug]),
        headers={"Origin": "https://www.example.com"},
    )
    assert preflight.status_code == 204
    assert "X-CRM-Form-Token" in preflight["Access-Control-Allow-Headers"]


def test_a_plain_form_is_sent_to_the_page_after_a_post(client, webform):
    webform.redirect_url = "https://www.example.com/thanks"
    webform.save()
    response = client.post(url(webform), VISITOR)
    assert response.status_code == 303
    assert response["Location"] == "https://www.example.com/thanks"


def test_only_get_is_refused_with_405(client, webform):
    assert client.get(url(webform)).status_code == 405


def test_one_address_is_limited_with_429_and_retry_after(client, webform, settings):
    settings.WEBFORM_RATE_LIMIT_PER_ADDRESS = 2
    for n in range(2):
        assert (
            client.post(
                url(webform), {**VISITOR, "phone": "", "email": f"v{n}@example.com"}
            ).status_code
            == 200
        )
    response = post_json(client, webform, {**VISITOR, "phone": "", "email": "v3@example.com"})
    assert response.status_code == 429
    assert 1 <= int(response["Retry-After"]) <= 60
    assert Customer.objects.count() == 2
    # Another address still gets through.
    other = client.post(
        url(webform), {**VISITOR, "phone": "", "email": "v4@example.com"}, REMOTE_ADDR="10.1.2.3"
    )
    assert other.status_code == 200


def test_the_whole_form_is_limited_too(client, webform, settings):
    settings.WEBFORM_RATE_LIMIT_PER_FORM = 2
    for n in range(2):
        client.post(
            url(webform),
            {**VISITOR, "phone": "", "email": f"v{n}@example.com"},
            REMOTE_ADDR=f"10.0.0.{n}",
        )
    response = client.post(url(webform), VISITOR, REMOTE_ADDR="10.0.0.9")
    assert response.status_code == 429
    assert "Retry-After" in response


def test_with_the_cache_away_the_limit_lets_posts_through(client, webform, settings):
    from tests.servers import spare_port

    settings.WEBFORM_RATE_LIMIT_PER_ADDRESS = 1
    settings.CACHES = {
        "default": {
            "BACKEND": "core.cache.ResilientRedisCache",
            "LOCATION": f"redis://127.0.0.1:{spare_port()}/0",  # nothing listens there
            "OPTIONS": {
                "socket_connect_timeout": 0.2,
                "socket_timeout": 0.2,
            },
        }
    }
    for n in range(3):
        response = client.post(url(webform), {**VISITOR, "phone": "", "email": f"v{n}@example.com"})
        assert response.status_code == 200
    assert Customer.objects.count() == 3


def test_the_form_needs_no_csrf_token(webform):
    from django.test import Client

    response = Client(enforce_csrf_checks=True).post(url(webform), VISITOR)
    assert response.status_code == 200
