"""The screens a sales rep and a manager use, with good and bad input."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from customers.models import ContactPerson, Customer
from relationships.models import Interaction, Relationship
from tests.factories import ContactPersonFactory, CustomerFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("personas_in_one_team")]


def _create_data(**overrides):
    data = {
        "kind": "organisation",
        "display_name": "Novák a syn s.r.o.",
        "tax_id": "CZ12345678",
        "email": "info@novak.cz",
        "phone": "+420 601 000 111",
        "country": "cz",
        "source": "event",
        "first_contact_on": timezone.localdate().isoformat(),
        "first-relationship_kind": "lasting",
        "first-channel": "meeting",
        "first-direction": "inbound",
        "first-subject": "Met at the Brno trade fair",
    }
    data.update(overrides)
    return data


def test_creating_a_customer_records_relationship_and_first_contact(persona_client, sales_rep):
    response = persona_client(sales_rep).post(
        reverse("relationships:customer_create"), _create_data()
    )
    customer = Customer.objects.get()
    assert response.status_code == 302 and response.url == customer.get_absolute_url()
    assert customer.country == "CZ"
    assert customer.relationships.get().status == "prospect"
    assert customer.interactions.get().subject == "Met at the Brno trade fair"


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("display_name", ""),
        ("email", "not-an-email"),
        ("first_contact_on", "31.02.2024"),
        ("source", "telepathy"),
        ("first-subject", ""),
        ("first-channel", "pigeon"),
    ],
)
def test_bad_input_on_customer_creation_shows_the_error_beside_the_field_and_saves_nothing(
    persona_client, sales_rep, field, value
):
    response = persona_client(sales_rep).post(
        reverse("relationships:customer_create"), _create_data(**{field: value})
    )
    assert response.status_code == 200
    form, contact_form = response.context["form"], response.context["contact_form"]
    errors = form.errors if not field.startswith("first-") else contact_form.errors
    assert field.removeprefix("first-") in errors
    assert (
        not Customer.objects.exists()
        and not Relationship.objects.exists()
        and not Interaction.objects.exists()
    )


def test_duplicate_guard_shows_the_match_instead_of_creating_a_twin(persona_client, sales_rep):
    existing = CustomerFactory(display_name="Existing", email="info@novak.cz")
    client = persona_client(sales_rep)
    response = client.post(reverse("relationships:customer_create"), _create_data(tax_id=""))
    assert response.status_code == 200
    assert [m.customer for m in response.context["form"].duplicates] == [existing]
    assert existing.get_absolute_url() in response.content.decode()
    assert Customer.objects.count() == 1
    # Confirming that it is a different customer creates it.
    response = client.post(
        reverse("relationships:customer_create"),
        _create_data(tax_id="", confirm_not_duplicate="on"),
    )
    assert response.status_code == 302
    assert Customer.objects.count() == 2


def test_duplicate_guard_matches_phone_of_a_contact_person(persona_client, sales_rep):
    existing = CustomerFactory(phone="")
    ContactPersonFactory(customer=existing, phone="601000111", email="")
    response = persona_client(sales_rep).post(
        reverse("relationships:customer_create"), _create_data(tax_id="", email="")
    )
    assert [m.customer for m in response.context["form"].duplicates] == [existing]


def test_same_tax_id_cannot_be_overridden(persona_client, sales_rep):
    existing = CustomerFactory(tax_id="CZ12345678")
    response = persona_client(sales_rep).post(
        reverse("relationships:customer_create"),
        _create_data(tax_id="cz 12345678", confirm_not_duplicate="on"),
    )
    assert response.status_code == 200
    assert "tax_id" in response.context["form"].errors
    assert existing.get_absolute_url() in response.content.decode()
    assert Customer.objects.count() == 1


def test_editing_a_customer_with_bad_input_changes_nothing(persona_client, sales_rep, customer):
    response = persona_client(sales_rep).post(
        reverse("customers:edit", args=[customer.pk]),
        {
            "kind": "organisation",
            "display_name": "",
            "source": "web_form",
            "first_contact_on": "2024-01-01",
            "email": "x",
        },
    )
    assert response.status_code == 200
    assert set(response.context["form"].errors) >= {"display_name", "email"}
    customer.refresh_from_db()
    assert customer.display_name.startswith("Acme")


def test_adding_a_primary_contact_demotes_the_previous_primary(
    persona_client, service_agent, customer
):
    old = ContactPersonFactory(customer=customer, is_primary=True)
    response = persona_client(service_agent).post(
        reverse("customers:contact_create", args=[customer.pk]),
        {
            "first_name": "Piotr",
            "last_name": "Zieliński",
            "email": "PZ@Example.com",
            "is_primary": "on",
            "is_active": "on",
            "marketing_consent": "on",
        },
    )
    assert response.status_code == 302
    new = customer.contacts.get(first_name="Piotr")
    old.refresh_from_db()
    assert new.is_primary and not old.is_primary
    assert new.email == "pz@example.com"
    assert new.marketing_consent_at is not None


def test_bad_contact_input_saves_nothing(persona_client, sales_rep, customer):
    response = persona_client(sales_rep).post(
        reverse("customers:contact_create", args=[customer.pk]),
        {"first_name": "", "last_name": "X", "email": "nope", "is_primary": "on"},
    )
    assert response.status_code == 200
    assert set(response.context["form"].errors) >= {"first_name", "email", "is_primary"}
    assert not ContactPerson.objects.exists()


def test_withdrawing_consent_clears_its_date(persona_client, sales_rep, customer):
    contact = ContactPersonFactory(
        customer=customer, marketing_consent=True, marketing_consent_at=timezone.now()
    )
    persona_client(sales_rep).post(
        reverse("customers:contact_edit", args=[contact.pk]),
        {"first_name": contact.first_name, "last_name": contact.last_name, "is_active": "on"},
    )
    contact.refresh_from_db()
    assert (contact.marketing_consent, contact.marketing_consent_at) == (False, None)


def test_logging_an_interaction_from_the_customer_page(persona_client, finance_clerk, customer):
    contact = ContactPersonFactory(customer=customer)
    response = persona_client(finance_clerk).post(
        reverse("relationships:interaction_create", args=[customer.pk]),
        {
            "channel": "call",
            "direction": "outbound",
            "contact_person": contact.pk,
            "subject": "Payment reminder",
            "occurred_at": timezone.localtime().strftime("%Y-%m-%dT%H:%M"),
        },
    )
    assert response.status_code == 302
    interaction = customer.interactions.get()
    assert (interaction.created_by, interaction.contact_person) == (finance_clerk, contact)


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("subject", ""),
        ("channel", "fax"),
        ("occurred_at", "yesterday"),
        # An id without the minute: `make test`'s processes collect at different moments and
        # must name every test alike (pytest-xdist).
        pytest.param(
            "occurred_at",
            (timezone.localtime() + timedelta(days=2)).strftime("%Y-%m-%dT%H:%M"),
            id="occurred_at-in-two-days",
        ),
    ],
)
def test_bad_interaction_input_is_refused_beside_the_field(
    persona_client, sales_rep, customer, field, value
):
    data = {
        "channel": "call",
        "direction": "outbound",
        "subject": "Hi",
        "occurred_at": timezone.localtime().strftime("%Y-%m-%dT%H:%M"),
    }
    data[field] = value
    response = persona_client(sales_rep).post(
        reverse("relationships:interaction_create", args=[customer.pk]), data
    )
    assert response.status_code == 200
    assert field in response.context["form"].errors
    assert not Interaction.objects.exists()


def test_an_interaction_cannot_name_another_customers_contact(persona_client, sales_rep, customer):
    stranger = ContactPersonFactory()
    response = persona_client(sales_rep).post(
        reverse("relationships:interaction_create", args=[customer.pk]),
        {
            "channel": "call",
            "direction": "outbound",
            "subject": "Hi",
            "contact_person": stranger.pk,
            "occurred_at": timezone.localtime().strftime("%Y-%m-%dT%H:%M"),
        },
    )
    assert "contact_person" in response.context["form"].errors
    assert not Interaction.objects.exists()


def test_ending_a_relationship_without_a_reason_is_refused(persona_client, manager, customer):
    relationship = customer.relationships.get()
    response = persona_client(manager).post(
        reverse("relationships:end", args=[relationship.pk]), {"confirm": "on"}
    )
    assert response.status_code == 200
    assert "end_reason" in response.context["form"].errors
    relationship.refresh_from_db()
    assert relationship.is_open


def test_ending_a_relationship_needs_the_confirmation(persona_client, manager, customer):
    relationship = customer.relationships.get()
    response = persona_client(manager).post(
        reverse("relationships:end", args=[relationship.pk]), {"end_reason": "closed"}
    )
    assert "confirm" in response.context["form"].errors
    relationship.refresh_from_db()
    assert relationship.is_open


def test_a_manager_ends_and_a_sales_rep_restarts_a_relationship(
    client, manager, sales_rep, customer
):
    relationship = customer.relationships.get()
    client.force_login(manager)
    response = client.post(
        reverse("relationships:end", args=[relationship.pk]),
        {"end_reason": "other", "end_note": "Merged into a group we do not serve", "confirm": "on"},
    )
    assert response.status_code == 302
    relationship.refresh_from_db()
    assert (relationship.status, relationship.ended_by) == ("ended", manager)
    client.force_login(sales_rep)
    assert (
        client.post(
            reverse("relationships:start", args=[customer.pk]), {"kind": "lasting"}
        ).status_code
        == 302
    )
    assert customer.relationships.open().count() == 1
    assert customer.relationships.count() == 2
    # Starting again while one is open is refused with a message, not an error page.
    response = client.post(
        reverse("relationships:start", args=[customer.pk]), {"kind": "lasting"}, follow=True
    )
    assert "already has an open relationship" in response.content.decode()
    assert customer.relationships.count() == 2


def test_activating_from_the_page(persona_client, sales_rep, customer):
    relationship = customer.relationships.get()
    assert (
        persona_client(sales_rep)
        .post(reverse("relationships:activate", args=[relationship.pk]))
        .status_code
        == 302
    )
    customer.refresh_from_db()
    assert customer.status == "active"


def test_an_interaction_logged_without_a_time_happened_just_now(
    persona_client, sales_rep, customer
):
    before = timezone.now()
    persona_client(sales_rep).post(
        reverse("relationships:interaction_create", args=[customer.pk]),
        {"channel": "call", "direction": "outbound", "subject": "Quick call", "occurred_at": ""},
    )
    assert customer.interactions.get().occurred_at >= before
