"""Marketing consent per purpose, with its history (customers.consents)."""

import importlib
from datetime import timedelta

import pytest
from django.apps import apps
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from customers import services
from customers.models import ConsentEvent, ConsentPurpose, ConsentState
from tests.factories import ContactPersonFactory, CustomerFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def newsletter():
    return ConsentPurpose.objects.get(code="newsletter")


@pytest.fixture
def marketing():
    return ConsentPurpose.objects.get(is_default=True)


def test_the_migration_seeds_the_purposes_with_one_default():
    codes = set(ConsentPurpose.objects.values_list("code", flat=True))
    assert codes >= {"marketing", "newsletter", "product_offers", "events"}
    assert list(ConsentPurpose.objects.filter(is_default=True).values_list("code", flat=True)) == [
        "marketing"
    ]


def test_giving_and_withdrawing_keeps_the_history_newest_first(customer, sales_rep, newsletter):
    contact = ContactPersonFactory(customer=customer)
    earlier = timezone.now() - timedelta(days=3)
    services.consent_record(
        contact=contact, purpose=newsletter, given=True, source="form", by_person=True, at=earlier
    )
    services.consent_record(
        contact=contact, purpose=newsletter, given=False, source="phone", by=sales_rep
    )
    history = list(ConsentEvent.objects.filter(contact=contact))
    assert [(e.given, e.source) for e in history] == [(False, "phone"), (True, "form")]
    assert history[1].by_person and history[0].recorded_by == sales_rep
    assert history[1].wording == newsletter.wording
    state = ConsentState.objects.get(contact=contact, purpose=newsletter)
    assert (state.given, state.event) == (False, history[0])


def test_the_default_purpose_drives_the_old_checkbox(customer, sales_rep, marketing, newsletter):
    contact = ContactPersonFactory(customer=customer)
    services.consent_record(
        contact=contact, purpose=newsletter, given=True, source="email", by=sales_rep
    )
    contact.refresh_from_db()
    assert not contact.marketing_consent
    services.consent_record(
        contact=contact, purpose=marketing, given=True, source="email", by=sales_rep
    )
    contact.refresh_from_db()
    assert contact.marketing_consent and contact.marketing_consent_at is not None
    services.consent_record(
        contact=contact, purpose=marketing, given=False, source="unsubscribe", by_person=True
    )
    contact.refresh_from_db()
    assert (contact.marketing_consent, contact.marketing_consent_at) == (False, None)


def test_ticking_the_contact_forms_checkbox_is_an_event_of_the_default_purpose(
    persona_client, sales_rep, customer, marketing
):
    contact = ContactPersonFactory(customer=customer)
    persona_client(sales_rep).post(
        reverse("customers:contact_edit", args=[contact.pk]),
        {
            "first_name": contact.first_name,
            "last_name": contact.last_name,
            "is_active": "on",
            "marketing_consent": "on",
        },
    )
    event = ConsentEvent.objects.get(contact=contact)
    assert (event.purpose, event.given, event.source, event.recorded_by) == (
        marketing,
        True,
        "form",
        sales_rep,
    )


def test_a_consent_event_says_who_recorded_it(customer, newsletter):
    contact = ContactPersonFactory(customer=customer)
    with pytest.raises(ValidationError):
        services.consent_record(contact=contact, purpose=newsletter, given=True, source="phone")
    assert not ConsentEvent.objects.filter(contact=contact).exists()


def test_the_old_checkbox_becomes_history_of_the_default_purpose(marketing):
    migration = importlib.import_module(
        "customers.migrations.0013_consent_purposes_and_earlier_consents"
    )
    at = timezone.now() - timedelta(days=400)
    consenting = ContactPersonFactory(marketing_consent=True, marketing_consent_at=at)
    silent = ContactPersonFactory()
    migration.seed_and_convert(apps, None)
    event = ConsentEvent.objects.get(contact=consenting)
    assert (event.purpose, event.given, event.at, event.source) == (marketing, True, at, "earlier")
    assert ConsentState.objects.get(contact=consenting).event == event
    assert not ConsentEvent.objects.filter(contact=silent).exists()


def test_the_consent_page_shows_states_and_records_a_consent(
    persona_client, sales_rep, customer, newsletter
):
    contact = ContactPersonFactory(customer=customer)
    client = persona_client(sales_rep)
    url = reverse("customers:contact_consents", args=[contact.pk])
    response = client.post(url, {"purpose": newsletter.pk, "decision": "give", "source": "phone"})
    assert response.status_code == 302
    page = client.get(url).content.decode()
    assert "Newsletter" in page and "given" in page
    assert ConsentState.objects.get(contact=contact, purpose=newsletter).given


def test_the_consent_page_follows_visibility(
    persona_client, sales_rep, manager, newsletter, settings
):
    settings.CRM_VISIBILITY = "team"
    stranger = ContactPersonFactory(customer=CustomerFactory(owner=manager))
    client = persona_client(sales_rep)
    url = reverse("customers:contact_consents", args=[stranger.pk])
    assert client.get(url).status_code == 404
    assert (
        client.post(
            url, {"purpose": newsletter.pk, "decision": "give", "source": "phone"}
        ).status_code
        == 404
    )
    assert not ConsentEvent.objects.filter(contact=stranger).exists()


def test_a_finance_clerk_sees_consents_but_may_not_record_them(
    persona_client, personas_in_one_team, finance_clerk, customer, newsletter
):
    contact = ContactPersonFactory(customer=customer)
    url = reverse("customers:contact_consents", args=[contact.pk])
    client = persona_client(finance_clerk)
    assert client.get(url).status_code == 200
    response = client.post(url, {"purpose": newsletter.pk, "decision": "give", "source": "phone"})
    assert response.status_code == 403
    assert not ConsentEvent.objects.filter(contact=contact).exists()


def test_the_consent_page_costs_the_same_queries_however_long_the_history(
    persona_client, sales_rep, customer, newsletter, marketing, django_assert_max_num_queries
):
    contact = ContactPersonFactory(customer=customer)
    for given in (True, False) * 10:
        for purpose in (newsletter, marketing):
            services.consent_record(
                contact=contact, purpose=purpose, given=given, source="phone", by=sales_rep
            )
    client = persona_client(sales_rep)
    url = reverse("customers:contact_consents", args=[contact.pk])
    client.get(url)  # the session and the user's roles are read once
    with django_assert_max_num_queries(12):
        response = client.get(url)
    # Every event is listed, each with the wording the person was shown.
    assert response.content.decode().count("withdraw at any time") == 40
