"""The resources: writes go through the apps' services (their rules, the audit), lists page by
cursor with the list screens' filters, and a page of rows costs a fixed number of queries."""

from datetime import timedelta

from django.utils import timezone

from core.models import AuditEvent
from customers.models import Customer
from processes.models import ProcessInstance, Task
from relationships.models import Interaction
from tests.factories import (
    ContactPersonFactory,
    CustomerFactory,
    ProcessDefinitionFactory,
    SegmentFactory,
)


def test_registering_a_customer_starts_its_relationship_and_logs_the_first_contact(
    api_as, sales_rep
):
    segment = SegmentFactory()
    response = api_as(sales_rep).post(
        "/api/v1/customers/",
        {
            "display_name": "Nowak Sp. z o.o.",
            "email": "biuro@nowak.example",
            "source": "web_form",
            "first_contact_on": timezone.localdate().isoformat(),
            "segments": [segment.pk],
            "first_contact": {"channel": "email", "subject": "Asked for an offer"},
        },
        format="json",
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["segments"] == [segment.pk]
    assert body["owner"] == sales_rep.pk
    customer = Customer.objects.get(pk=body["id"])
    assert customer.relationships.open().count() == 1
    assert Interaction.objects.get(customer=customer).subject == "Asked for an offer"
    created = AuditEvent.objects.get(
        model="customers.customer", object_id=customer.pk, action=AuditEvent.Action.CREATE
    )
    assert created.user_id == sales_rep.pk  # the audit names the token's user


def test_a_contact_person_is_added_and_edited(api_as, sales_rep):
    customer = CustomerFactory(owner=sales_rep)
    api = api_as(sales_rep)
    created = api.post(
        "/api/v1/contacts/",
        {"customer": customer.pk, "first_name": "Jan", "last_name": "Kowalski", "is_primary": True},
        format="json",
    )
    assert created.status_code == 201, created.json()
    url = f"/api/v1/contacts/{created.json()['id']}/"
    changed = api.patch(url, {"title": "CFO"}, format="json", HTTP_IF_MATCH=created["ETag"])
    assert changed.status_code == 200, changed.json()
    assert changed.json()["title"] == "CFO"
    assert changed.json()["is_primary"] is True


def test_an_interaction_is_logged_with_a_contact_of_the_customer_only(api_as, sales_rep):
    customer = CustomerFactory(owner=sales_rep)
    strangers_contact = ContactPersonFactory(customer=CustomerFactory(owner=sales_rep))
    api = api_as(sales_rep)
    body = {"customer": customer.pk, "channel": "call", "direction": "outbound", "subject": "Hi"}
    wrong = api.post(
        "/api/v1/interactions/", {**body, "contact_person": strangers_contact.pk}, format="json"
    )
    assert wrong.status_code == 422
    assert "contact_person" in wrong.json()["errors"]
    right = api.post("/api/v1/interactions/", body, format="json")
    assert right.status_code == 201
    customer.refresh_from_db()
    assert customer.last_contact_at is not None


def test_a_returning_customer_starts_a_new_relationship(api_as, manager):
    customer = CustomerFactory(owner=manager)
    api = api_as(manager)
    relationship = customer.relationships.get()
    etag = api.get(f"/api/v1/relationships/{relationship.pk}/")["ETag"]
    ended = api.post(
        f"/api/v1/relationships/{relationship.pk}/end/",
        {"reason": "other"},
        format="json",
        HTTP_IF_MATCH=etag,
    )
    assert ended.status_code == 422  # "other" needs a note
    assert "end_note" in ended.json()["errors"]
    api.post(
        f"/api/v1/relationships/{relationship.pk}/end/",
        {"reason": "other", "note": "Moved abroad"},
        format="json",
        HTTP_IF_MATCH=etag,
    )
    started = api.post("/api/v1/relationships/start/", {"customer": customer.pk}, format="json")
    assert started.status_code == 201, started.json()
    assert customer.relationships.open().count() == 1
    assert customer.relationships.count() == 2


def test_a_payout_is_requested_and_an_asset_recorded(api_as, manager):
    customer = CustomerFactory(owner=manager)
    api = api_as(manager)
    payout = api.post(
        "/api/v1/payouts/",
        {
            "customer": customer.pk,
            "kind": "refund",
            "amount": "50.00",
            "currency": "PLN",
            "reason": "Double charge",
        },
        format="json",
    )
    assert payout.status_code == 201, payout.json()
    assert payout.json()["status"] == "requested"
    asset = api.post(
        "/api/v1/assets/",
        {
            "customer": customer.pk,
            "name": "Router",
            "model": "RX-1",
            "serial_number": "S1",
            "installed_on": timezone.localdate().isoformat(),
        },
        format="json",
    )
    assert asset.status_code == 201, asset.json()
    moved = api.patch(
        f"/api/v1/assets/{asset.json()['id']}/",
        {"status": "under_repair"},
        format="json",
        HTTP_IF_MATCH=asset["ETag"],
    )
    assert moved.json()["status"] == "under_repair"


def test_a_deal_is_opened_and_moved_through_its_stages(api_as, sales_rep):
    customer = CustomerFactory(owner=sales_rep)
    definition = ProcessDefinitionFactory(kind="sales")
    api = api_as(sales_rep)
    opened = api.post(
        "/api/v1/processes/",
        {
            "definition": definition.pk,
            "customer": customer.pk,
            "title": "Fleet deal",
            "amount": "10000.00",
        },
        format="json",
    )
    assert opened.status_code == 201, opened.json()
    stages = {
        s["name"]: s["id"]
        for s in api.get(f"/api/v1/process-definitions/{definition.pk}/").json()["stages"]
    }
    url = f"/api/v1/processes/{opened.json()['id']}/move/"
    moved = api.post(
        url, {"stage": stages["Qualified"]}, format="json", HTTP_IF_MATCH=opened["ETag"]
    )
    assert moved.status_code == 200, moved.json()
    assert moved.json()["stage"] == stages["Qualified"]
    other = ProcessDefinitionFactory(kind="sales").stages.first()
    wrong = api.post(url, {"stage": other.pk}, format="json", HTTP_IF_MATCH=moved["ETag"])
    assert wrong.status_code == 400
    won = api.post(url, {"stage": stages["Won"]}, format="json", HTTP_IF_MATCH=moved["ETag"])
    assert won.status_code == 422  # a final stage needs a reason
    assert ProcessInstance.objects.get().stage_id == stages["Qualified"]


def test_a_task_is_set_and_ticked_off(api_as, sales_rep, service_agent, personas_in_one_team):
    customer = CustomerFactory(owner=sales_rep)
    api = api_as(sales_rep)
    created = api.post(
        "/api/v1/tasks/",
        {
            "customer": customer.pk,
            "title": "Send the offer",
            "assignee": service_agent.pk,
            "due_on": (timezone.localdate() + timedelta(days=2)).isoformat(),
        },
        format="json",
    )
    assert created.status_code == 201, created.json()
    done = api_as(service_agent).post(
        f"/api/v1/tasks/{created.json()['id']}/complete/", HTTP_IF_MATCH=created["ETag"]
    )
    assert done.status_code == 200, done.json()
    assert Task.objects.get().done_at is not None


def test_the_customers_value_is_read_only(api_as, sales_rep):
    customer = CustomerFactory(owner=sales_rep, grade="A", ltv="12000.00", ltv_currency="PLN")
    response = api_as(sales_rep).get(f"/api/v1/customers/{customer.pk}/value/")
    assert response.json()["grade"] == "A"
    assert response.json()["ltv"] == "12000.00"


def test_the_customer_list_pages_by_cursor_without_repeating_rows(api_as, sales_rep):
    for _ in range(5):
        CustomerFactory(owner=sales_rep, display_name="Same name")
    api = api_as(sales_rep)
    seen, url = [], "/api/v1/customers/?ordering=display_name&page_size=2"
    while url:
        page = api.get(url).json()
        seen += [row["id"] for row in page["results"]]
        url = page["next"]
    assert len(seen) == 5 == len(set(seen))


def test_the_list_screens_filters_apply(api_as, sales_rep):
    CustomerFactory(owner=sales_rep, display_name="Alpha", city="Gdańsk")
    beta = CustomerFactory(owner=sales_rep, display_name="Beta", grade="A")
    api = api_as(sales_rep)
    rows = api.get("/api/v1/customers/?grade=A").json()["results"]
    assert [row["id"] for row in rows] == [beta.pk]
    rows = api.get("/api/v1/customers/?q=Alpha").json()["results"]
    assert [row["display_name"] for row in rows] == ["Alpha"]
    bad = api.get("/api/v1/customers/?grade=Z")
    assert bad.status_code == 400


def test_a_page_of_customers_costs_the_same_queries_for_more_rows(
    api_as, sales_rep, django_assert_max_num_queries
):
    api = api_as(sales_rep)
    api.get("/api/v1/customers/")  # the token's last use is stamped on the first request
    for _ in range(30):
        CustomerFactory(owner=sales_rep).segments.add(SegmentFactory())
    # The token, the user's roles, the page, its segments.
    with django_assert_max_num_queries(5):
        assert len(api.get("/api/v1/customers/").json()["results"]) == 30


def test_lists_without_a_filterset_take_a_customer_id(api_as, sales_rep):
    mine, other = CustomerFactory(owner=sales_rep), CustomerFactory(owner=sales_rep)
    ContactPersonFactory(customer=mine)
    ContactPersonFactory(customer=other)
    api = api_as(sales_rep)
    rows = api.get(f"/api/v1/contacts/?customer={mine.pk}").json()["results"]
    assert [row["customer"] for row in rows] == [mine.pk]
    assert api.get("/api/v1/contacts/?customer=abc").status_code == 400
