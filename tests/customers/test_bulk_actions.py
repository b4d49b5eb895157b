"""Bulk actions on the customer list (customers.services.customer_bulk_*): all rows or none,
each row the user's to change, bounded, audited."""

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from core.models import AuditEvent, Team
from customers import services
from customers.models import Customer
from tests.factories import CustomerFactory, SegmentFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def other_rep(db):
    from core.permissions import SALES

    return UserFactory(username="olga_other", roles=[SALES])


def _post(client, **data):
    return client.post(reverse("customers:bulk"), {"next": "/customers/", **data})


def test_assigning_an_owner_changes_every_selected_customer_and_is_audited(
    persona_client, sales_rep, other_rep
):
    mine = CustomerFactory.create_batch(3, owner=sales_rep)
    untouched = CustomerFactory(owner=sales_rep)
    client = persona_client(sales_rep)

    response = _post(client, action="assign", owner=other_rep.pk, ids=[c.pk for c in mine])

    assert response.status_code == 302
    assert response["Location"] == "/customers/"
    assert {c.owner_id for c in Customer.objects.filter(pk__in=[c.pk for c in mine])} == {
        other_rep.pk
    }
    untouched.refresh_from_db()
    assert untouched.owner == sales_rep
    bulk = AuditEvent.objects.get(action=AuditEvent.Action.BULK)
    assert bulk.user == sales_rep
    assert bulk.details["action"] == "customer_bulk_assign"
    assert bulk.details["ids"] == sorted(c.pk for c in mine)
    assert bulk.details["owner"] == "olga_other"
    # Each customer's own history has the change of owner.
    for customer in mine:
        change = AuditEvent.objects.get(
            model="customers.customer", object_id=customer.pk, action="update"
        )
        assert change.changes["owner_id"] == [sales_rep.pk, other_rep.pk]
    page = client.get("/customers/").content.decode()
    assert "3 customers now belong to olga_other." in page
    audit_page = persona_client(UserFactory(username="boss", is_superuser=True)).get(
        reverse("audit_list")
    )
    assert "customer_bulk_assign" in audit_page.content.decode()


def test_a_customer_the_user_may_not_change_refuses_the_whole_action(
    persona_client, sales_rep, other_rep
):
    Team.objects.create(name="Warsaw").members.add(sales_rep)
    mine = CustomerFactory(owner=sales_rep)
    theirs = CustomerFactory(owner=other_rep, display_name="Not Yours Ltd")
    client = persona_client(sales_rep)

    response = _post(client, action="assign", owner=sales_rep.pk, ids=[mine.pk, theirs.pk])

    theirs.refresh_from_db()
    assert theirs.owner == other_rep
    page = client.get(response["Location"]).content.decode()
    assert "Nothing was changed: you may not change 1 of the selected rows (Not Yours Ltd)." in page
    assert not AuditEvent.objects.filter(action=AuditEvent.Action.BULK).exists()


def test_the_service_changes_nothing_when_one_row_is_refused(sales_rep, other_rep):
    segment = SegmentFactory(name="VIP")
    mine = CustomerFactory(owner=sales_rep)
    theirs = CustomerFactory(owner=other_rep)
    with pytest.raises(ValidationError, match="Nothing was changed"):
        services.customer_bulk_segment(
            customers=Customer.objects.filter(pk__in=[mine.pk, theirs.pk]),
            segment=segment,
            add=True,
            by=sales_rep,
        )
    assert not segment.customers.exists()


def test_more_rows_than_the_limit_are_refused_with_a_message(persona_client, sales_rep, settings):
    settings.BULK_ACTION_MAX_ROWS = 2
    customers = CustomerFactory.create_batch(3, owner=sales_rep)
    client = persona_client(sales_rep)
    response = _post(client, action="assign", owner=sales_rep.pk, ids=[c.pk for c in customers])
    page = client.get(response["Location"]).content.decode()
    assert "A bulk action changes at most 2 rows at a time: select fewer." in page
    with pytest.raises(ValidationError, match="at most 2 rows"):
        services.customer_bulk_assign(
            customers=Customer.objects.all(), owner=sales_rep, by=sales_rep
        )


def test_adding_to_and_removing_from_a_segment(persona_client, sales_rep):
    segment = SegmentFactory(name="VIP")
    already, new = CustomerFactory(owner=sales_rep), CustomerFactory(owner=sales_rep)
    already.segments.add(segment)
    client = persona_client(sales_rep)

    _post(client, action="segment_add", segment=segment.pk, ids=[already.pk, new.pk])
    assert set(segment.customers.all()) == {already, new}
    _post(client, action="segment_remove", segment=segment.pk, ids=[already.pk])
    assert set(segment.customers.all()) == {new}

    added, removed = AuditEvent.objects.filter(action=AuditEvent.Action.BULK).order_by("id")
    assert added.details["action"] == "customer_bulk_segment_add"
    assert (added.details["segment"], added.details["changed"]) == ("VIP", 1)
    assert removed.details["action"] == "customer_bulk_segment_remove"
    assert removed.details["ids"] == [already.pk]


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"action": "assign"}, "Choose the new owner."),
        ({"action": "segment_add"}, "Choose the segment."),
        ({"action": "explode"}, "Select a valid choice."),
        ({"action": "assign", "ids": ["x"]}, "The selection is not valid"),
    ],
)
def test_incomplete_bulk_forms_are_refused_with_a_message(persona_client, sales_rep, data, message):
    customer = CustomerFactory(owner=sales_rep)
    client = persona_client(sales_rep)
    response = _post(client, **{"ids": [customer.pk], **data})
    assert message in client.get(response["Location"]).content.decode()
    customer.refresh_from_db()
    assert customer.owner == sales_rep


def test_a_customer_the_user_does_not_see_refuses_the_action(
    persona_client, settings, sales_rep, other_rep
):
    settings.CRM_VISIBILITY = "team"
    hidden = CustomerFactory(owner=other_rep)
    client = persona_client(sales_rep)
    response = _post(client, action="assign", owner=sales_rep.pk, ids=[hidden.pk])
    assert "gone or not yours to see" in client.get(response["Location"]).content.decode()
    hidden.refresh_from_db()
    assert hidden.owner == other_rep


def test_bulk_actions_need_the_edit_permission_and_a_post(
    persona_client, service_agent, sales_rep, client
):
    customer = CustomerFactory()
    assert _post(client, action="assign", owner=sales_rep.pk, ids=[customer.pk]).status_code == 302
    assert (
        _post(
            persona_client(service_agent), action="assign", owner=sales_rep.pk, ids=[customer.pk]
        ).status_code
        == 403
    )
    assert persona_client(sales_rep).get(reverse("customers:bulk")).status_code == 405
    customer.refresh_from_db()
    assert customer.owner is None


def test_the_list_offers_checkboxes_only_to_who_may_act(persona_client, sales_rep, service_agent):
    CustomerFactory(owner=sales_rep)
    page = persona_client(sales_rep).get(reverse("customers:list")).content.decode()
    assert 'data-select-all="customer-bulk"' in page and 'form="customer-bulk"' in page
    page = persona_client(service_agent).get(reverse("customers:list")).content.decode()
    assert "customer-bulk" not in page


def test_an_empty_selection_changes_nothing_and_says_so(persona_client, sales_rep, other_rep):
    customer = CustomerFactory(owner=sales_rep)
    client = persona_client(sales_rep)
    response = _post(client, action="assign", owner=other_rep.pk)
    assert (
        "No rows were selected: nothing was changed."
        in client.get(response["Location"]).content.decode()
    )
    customer.refresh_from_db()
    assert customer.owner == sales_rep
    assert not AuditEvent.objects.filter(action=AuditEvent.Action.BULK).exists()
