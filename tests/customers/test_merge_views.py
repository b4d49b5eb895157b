"""Duplicates and merging in the browser: suggestions, the merge screens, redirects, history and
who may do it."""

import pytest
from django.urls import reverse

from core.models import AuditEvent, Team
from customers.duplicates import duplicates_record, duplicates_scan
from customers.merging import customer_merge
from customers.models import ContactPerson, Customer, CustomerMerge, DuplicateSuggestion
from relationships.models import Interaction, Relationship
from tests.factories import (
    ContactPersonFactory,
    CustomerFactory,
    InteractionFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db


def _merge_url(left, right):
    return f"{reverse('customers:merge', args=[left.pk])}?with={right.pk}"


def _post_merge(client, left, right, **data):
    page = client.get(_merge_url(left, right))
    form = page.context["form"]
    payload = {
        "survivor": "left",
        "left_version": form["left_version"].value(),
        "right_version": form["right_version"].value(),
        **dict.fromkeys(form.rows, "left"),
    }
    payload.update(data)
    return client.post(_merge_url(left, right), payload)


@pytest.fixture
def twins(sales_rep):
    left = CustomerFactory(owner=sales_rep, display_name="Acme", email="office@acme.example")
    right = CustomerFactory(
        owner=sales_rep,
        display_name="ACME Ltd",
        email="office@acme.example",
        city="Brno",
        relationship=False,
    )
    return left, right


# --- Suggestions -------------------------------------------------------------------------


def test_customers_sharing_an_email_a_phone_or_a_tax_id_are_suggested(sales_rep):
    one = CustomerFactory(
        display_name="Zenith", email="a@x.example", phone="+48 600 100 200", tax_id="PL111"
    )
    by_email = CustomerFactory(display_name="Orbital", email="a@x.example")
    by_phone = CustomerFactory(display_name="Quasar", phone="600-100-200")
    by_contact = CustomerFactory(display_name="Nebula")
    ContactPersonFactory(customer=by_contact, email="a@x.example")
    unrelated = CustomerFactory(display_name="Pulsar")
    duplicates_record(customer=one)
    pairs = {(s.first_id, s.second_id): set(s.reasons) for s in DuplicateSuggestion.objects.all()}
    assert pairs[(one.pk, by_email.pk)] == {"email"}
    assert pairs[(one.pk, by_phone.pk)] == {"phone"}
    assert pairs[(one.pk, by_contact.pk)] == {"email"}
    assert not any(unrelated.pk in pair for pair in pairs)


def test_similar_names_are_suggested_on_postgresql_and_equal_names_elsewhere(sales_rep):
    from django.db import connection

    one = CustomerFactory(display_name="Kowalski Consulting Sp. z o.o.")
    twin = CustomerFactory(display_name="KOWALSKI CONSULTING SP Z OO")
    CustomerFactory(display_name="Nowak Logistics")
    duplicates_record(customer=one)
    names = [s for s in DuplicateSuggestion.objects.all() if "name" in s.reasons]
    if connection.vendor == "postgresql":
        assert [(s.first_id, s.second_id) for s in names] == [(one.pk, twin.pk)]
        assert names[0].similarity >= 0.6
    else:
        assert not names  # only an equal name (case aside) counts without pg_trgm


def test_a_dismissed_pair_is_not_suggested_again(persona_client, sales_rep, twins):
    left, _right = twins
    duplicates_scan()
    suggestion = DuplicateSuggestion.objects.get()
    client = persona_client(sales_rep)
    response = client.post(reverse("customers:duplicate_dismiss", args=[suggestion.pk]))
    assert response.status_code == 302
    duplicates_scan()
    suggestion.refresh_from_db()
    assert suggestion.dismissed_at is not None and suggestion.dismissed_by == sales_rep
    assert left.display_name not in client.get(reverse("customers:duplicates")).content.decode()


def test_the_suggestions_list_shows_pending_pairs_paginated(
    persona_client, sales_rep, twins, django_assert_max_num_queries
):
    duplicates_scan()
    client = persona_client(sales_rep)
    with django_assert_max_num_queries(12):
        body = client.get(reverse("customers:duplicates")).content.decode()
    left, right = twins
    assert _merge_url(left, right) in body
    assert "same e-mail" in body


def test_the_customer_page_hints_at_possible_duplicates(persona_client, sales_rep, twins):
    left, right = twins
    client = persona_client(sales_rep)
    client.post(reverse("customers:duplicate_find", args=[left.pk]))
    body = client.get(left.get_absolute_url()).content.decode()
    assert 'id="duplicates-hint"' in body
    assert _merge_url(left, right) in body


# --- The merge screen --------------------------------------------------------------------


def test_merging_on_the_screen_moves_records_and_redirects_to_the_survivor(
    persona_client, sales_rep, twins
):
    left, right = twins
    call = InteractionFactory(customer=right, subject="Asked for a quote")
    client = persona_client(sales_rep)
    response = _post_merge(client, left, right, city="right")
    assert response.status_code == 302
    assert response["Location"] == left.get_absolute_url()
    left.refresh_from_db()
    right.refresh_from_db()
    call.refresh_from_db()
    assert left.city == "Brno"
    assert right.merged_into == left
    assert call.customer == left
    assert "Asked for a quote" in client.get(left.get_absolute_url()).content.decode()


def test_the_right_customer_may_survive(persona_client, sales_rep, twins):
    left, right = twins
    _post_merge(persona_client(sales_rep), left, right, survivor="right")
    left.refresh_from_db()
    assert left.merged_into == right


def test_two_open_relationships_without_a_choice_are_a_form_error(persona_client, sales_rep):
    left = CustomerFactory(owner=sales_rep)
    right = CustomerFactory(owner=sales_rep)
    client = persona_client(sales_rep)
    response = _post_merge(client, left, right)
    assert response.status_code == 200
    assert "keep_relationship" in response.context["form"].errors
    assert Customer.objects.filter(status=Customer.Status.MERGED).count() == 0
    kept, ended = right.relationships.get(), left.relationships.get()
    response = _post_merge(client, left, right, keep_relationship=kept.pk)
    assert response.status_code == 302
    ended.refresh_from_db()
    assert ended.end_reason == Relationship.EndReason.MERGED
    assert Relationship.objects.open().get() == kept
    assert kept.customer == right and left.relationships.count() == 2


def test_a_second_merge_of_the_same_customer_is_a_form_error_not_a_500(
    persona_client, sales_rep, twins
):
    left, right = twins
    client = persona_client(sales_rep)
    page = client.get(_merge_url(left, right))
    form = page.context["form"]
    payload = {
        "survivor": "left",
        "left_version": form["left_version"].value(),
        "right_version": form["right_version"].value(),
        **dict.fromkeys(form.rows, "left"),
    }
    assert client.post(_merge_url(left, right), payload).status_code == 302
    again = client.post(_merge_url(left, right), payload)
    assert again.status_code == 302  # a merged customer: back to the list, with a message
    assert again["Location"] == reverse("customers:duplicates")
    assert CustomerMerge.objects.count() == 1


def test_a_customer_edited_meanwhile_is_a_form_error(persona_client, sales_rep, twins):
    left, right = twins
    client = persona_client(sales_rep)
    page = client.get(_merge_url(left, right))
    form = page.context["form"]
    right.city = "Ostrava"
    right.save()
    response = client.post(
        _merge_url(left, right),
        {
            "survivor": "left",
            "left_version": form["left_version"].value(),
            "right_version": form["right_version"].value(),
            **dict.fromkeys(form.rows, "left"),
        },
    )
    assert response.status_code == 200
    assert "changed by someone else" in response.content.decode()
    assert not CustomerMerge.objects.exists()


# --- After the merge: redirects and history ------------------------------------------------


def test_the_merged_customers_pages_redirect_permanently_to_the_survivors(
    persona_client, sales_rep, twins
):
    left, right = twins
    client = persona_client(sales_rep)
    _post_merge(client, left, right)
    for name in ("customers:detail", "customers:history", "customers:edit"):
        response = client.get(reverse(name, args=[right.pk]))
        assert response.status_code == 301
        assert response["Location"] == reverse(name, args=[left.pk])


def test_a_post_to_a_merged_customer_saves_nothing_and_leads_to_the_survivor(
    persona_client, sales_rep, twins
):
    left, right = twins
    client = persona_client(sales_rep)
    _post_merge(client, left, right)
    response = client.post(
        reverse("customers:contact_create", args=[right.pk]),
        {"first_name": "Jan", "last_name": "Nowy", "language": "en"},
    )
    assert response.status_code == 302 and response["Location"] == left.get_absolute_url()
    assert not ContactPerson.objects.filter(last_name="Nowy").exists()


def test_the_merge_is_in_the_history_of_both_customers(persona_client, sales_rep, twins):
    left, right = twins
    client = persona_client(sales_rep)
    _post_merge(client, left, right, city="right")
    events = AuditEvent.objects.filter(model="customers.customermerge")
    assert events.count() == 1
    assert (
        AuditEvent.objects.filter(model="customers.customer", object_id=right.pk)
        .filter(changes__has_key="merged_into_id")
        .exists()
    )
    body = client.get(reverse("customers:history", args=[left.pk])).content.decode()
    assert str(CustomerMerge._meta.verbose_name) in body.lower()
    assert "Brno" in body  # the chosen value


def test_merged_customers_are_left_out_of_the_list_and_search(persona_client, sales_rep, twins):
    left, right = twins
    client = persona_client(sales_rep)
    _post_merge(client, left, right)
    listed = client.get(reverse("customers:list")).context["page"].object_list
    assert [c.pk for c in listed] == [left.pk]
    found = client.get(reverse("customers:search"), {"q": "acme"})
    assert found.status_code == 302 and found["Location"] == left.get_absolute_url()


# --- Contact persons -----------------------------------------------------------------------


def test_two_contact_persons_merge_on_their_screen(persona_client, sales_rep, customer):
    keep = ContactPersonFactory(customer=customer, first_name="Anna", title="")
    twin = ContactPersonFactory(customer=customer, first_name="Ania", title="CFO")
    call = InteractionFactory(customer=customer, contact_person=twin)
    url = reverse("customers:contact_merge", args=[customer.pk])
    query = f"?left={keep.pk}&right={twin.pk}"
    client = persona_client(sales_rep)
    form = client.get(url + query).context["form"]
    data = {"survivor": "left", **dict.fromkeys(form.rows, "left"), "title": "right"}
    response = client.post(url + query, data)
    assert response.status_code == 302
    keep.refresh_from_db()
    call.refresh_from_db()
    assert keep.title == "CFO" and keep.first_name == "Anna"
    assert call.contact_person == keep
    # The merged person's edit page leads to the survivor's.
    edit = client.get(reverse("customers:contact_edit", args=[twin.pk]))
    assert edit.status_code == 301
    assert edit["Location"] == reverse("customers:contact_edit", args=[keep.pk])


# --- Who may merge -------------------------------------------------------------------------


@pytest.mark.usefixtures("personas_in_one_team")
@pytest.mark.parametrize(
    ("persona", "allowed"),
    [
        ("sales_rep", True),
        ("manager", True),
        ("service_agent", False),
        ("finance_clerk", False),
        ("outsider", False),
    ],
)
def test_merging_is_for_sales_and_managers(request, persona_client, twins, persona, allowed):
    left, right = twins
    client = persona_client(request.getfixturevalue(persona))
    expected = 200 if allowed else 403
    assert client.get(_merge_url(left, right)).status_code == expected
    assert client.get(reverse("customers:duplicates")).status_code == expected


def test_anonymous_users_are_sent_to_log_in(client, twins):
    left, right = twins
    response = client.get(_merge_url(left, right))
    assert response.status_code == 302 and "login" in response["Location"]


def test_dismissing_and_looking_for_duplicates_need_a_post(persona_client, sales_rep, twins):
    left, _right = twins
    client = persona_client(sales_rep)
    assert client.get(reverse("customers:duplicate_find", args=[left.pk])).status_code == 405
    assert client.get(reverse("customers:duplicate_dismiss", args=[1])).status_code == 405


def test_a_customer_of_another_team_cannot_be_merged(settings, persona_client, sales_rep):
    """Swapping in another team's customer id: 404 in team mode, 403 in all mode (seen, not
    theirs to change); nothing merges either way."""
    other_rep = UserFactory(username="olga_other", roles=["sales"])
    Team.objects.create(name="Warsaw").members.add(sales_rep)
    Team.objects.create(name="Prague").members.add(other_rep)
    own = CustomerFactory(owner=sales_rep)
    theirs = CustomerFactory(owner=other_rep, relationship=False)
    client = persona_client(sales_rep)
    settings.CRM_VISIBILITY = "team"
    assert client.get(_merge_url(own, theirs)).status_code == 404
    assert client.post(_merge_url(own, theirs), {"survivor": "left"}).status_code == 404
    settings.CRM_VISIBILITY = "all"
    assert client.get(_merge_url(theirs, own)).status_code == 403
    assert client.post(_merge_url(own, theirs), {"survivor": "left"}).status_code == 403
    assert not Customer.objects.filter(status=Customer.Status.MERGED).exists()


def test_the_merged_customers_page_is_a_404_for_who_cannot_see_the_survivor(
    settings, persona_client, sales_rep, manager
):
    other_rep = UserFactory(username="olga_other", roles=["sales"])
    Team.objects.create(name="Warsaw").members.add(sales_rep)
    survivor = CustomerFactory(owner=other_rep)
    merged = CustomerFactory(owner=None, relationship=False)  # unowned: seen by everyone
    _post_merge(persona_client(manager), survivor, merged)
    settings.CRM_VISIBILITY = "team"
    response = persona_client(sales_rep).get(merged.get_absolute_url())
    assert response.status_code == 404


def test_interactions_of_the_merged_customer_show_on_the_survivors_timeline(
    persona_client, sales_rep, twins
):
    left, right = twins
    InteractionFactory(customer=right, subject="Complained about toner")
    client = persona_client(sales_rep)
    _post_merge(client, left, right)
    assert Interaction.objects.filter(customer=right).count() == 0
    assert "Complained about toner" in client.get(left.get_absolute_url()).content.decode()


def test_admins_read_merges_and_suggestions_in_the_admin(client, admin_user, manager, twins):
    left, right = twins
    duplicates_scan()
    client.force_login(admin_user)
    suggestions = reverse("admin:customers_duplicatesuggestion_changelist")
    assert str(left) in client.get(suggestions).content.decode()
    merge = customer_merge(survivor=left, merged=right, values={}, by=manager)
    merges = reverse("admin:customers_customermerge_changelist")
    assert str(right) in client.get(merges).content.decode()
    change = reverse("admin:customers_customermerge_change", args=[merge.pk])
    assert client.get(change).status_code == 200


def test_the_merge_screen_writes_dates_as_the_reader_does(persona_client, manager):
    from datetime import date

    from core.i18n import profile_set_language

    profile_set_language(user=manager, language="pl")
    left = CustomerFactory(display_name="Acme", first_contact_on=date(2021, 3, 1))
    right = CustomerFactory(
        display_name="ACME Ltd", first_contact_on=date(2019, 10, 15), relationship=False
    )
    page = persona_client(manager).get(_merge_url(left, right)).content.decode()
    assert "15 października 2019" in page and "2019-10-15" not in page
