"""A token acts with its user's roles and record access, exactly as the screens do: ids of
another team's records are swapped in (CRM_VISIBILITY=team) and must answer 404, never the
data, never a change; a record the user sees but may not change answers 403."""

import pytest
from django.utils import timezone

from core.models import Team
from core.permissions import SALES
from processes.models import ProcessInstance
from processes.services import instance_open, task_create
from tests.factories import (
    AssetFactory,
    ContactPersonFactory,
    ContractFactory,
    CustomerFactory,
    InteractionFactory,
    InvoiceFactory,
    PaymentFactory,
    PayoutFactory,
    ProcessDefinitionFactory,
    UserFactory,
)

from .conftest import problem_of


@pytest.fixture
def north(db, sales_rep, service_agent, manager):
    """Team North's customer (owned by sales_rep) with one record of every kind."""
    Team.objects.create(name="North").members.add(sales_rep, service_agent)
    customer = CustomerFactory(owner=sales_rep, display_name="North Star Ltd")
    invoice = InvoiceFactory(customer=customer)
    definition = ProcessDefinitionFactory(kind="sales")
    instance = instance_open(definition=definition, customer=customer, title="Deal", by=sales_rep)
    return {
        "customers": customer,
        "contacts": ContactPersonFactory(customer=customer),
        "relationships": customer.relationships.get(),
        "interactions": InteractionFactory(customer=customer),
        "contracts": ContractFactory(customer=customer),
        "invoices": invoice,
        "payments": PaymentFactory(invoice=invoice, amount=1),
        "payouts": PayoutFactory(customer=customer, requested_by=sales_rep),
        "assets": AssetFactory(customer=customer),
        "processes": instance,
        "tasks": task_create(
            customer=customer,
            title="Call back",
            assignee=sales_rep,
            due_on=timezone.localdate(),
            by=sales_rep,
        ),
    }


@pytest.fixture
def south_sales(db):
    user = UserFactory(username="stan_south", roles=[SALES])
    Team.objects.create(name="South").members.add(user)
    return user


@pytest.mark.parametrize(
    "resource",
    [
        "customers",
        "contacts",
        "relationships",
        "interactions",
        "contracts",
        "invoices",
        "assets",
        "processes",
        "tasks",
    ],
)
def test_another_teams_record_is_a_404_in_team_mode(settings, north, south_sales, api_as, resource):
    settings.CRM_VISIBILITY = "team"
    api = api_as(south_sales)
    response = api.get(f"/api/v1/{resource}/{north[resource].pk}/")
    assert response.status_code == 404
    body = problem_of(response)
    assert "North" not in response.content.decode()
    assert body["type"] == "/api/v1/problems/not-found"


@pytest.mark.parametrize("resource", ["customers", "contacts", "interactions", "assets", "tasks"])
def test_another_teams_records_are_not_in_the_lists(settings, north, south_sales, api_as, resource):
    settings.CRM_VISIBILITY = "team"
    mine = CustomerFactory(owner=south_sales)
    response = api_as(south_sales).get(f"/api/v1/{resource}/")
    assert response.status_code == 200
    ids = {row["id"] for row in response.json()["results"]}
    assert north[resource].pk not in ids
    if resource == "customers":
        assert ids == {mine.pk}


def test_swapped_ids_in_writes_change_nothing_in_team_mode(settings, north, south_sales, api_as):
    settings.CRM_VISIBILITY = "team"
    api = api_as(south_sales)
    customer = north["customers"]
    answers = [
        api.patch(
            f"/api/v1/customers/{customer.pk}/", {"city": "X"}, format="json", HTTP_IF_MATCH="*"
        ),
        api.post(
            "/api/v1/contacts/",
            {"customer": customer.pk, "first_name": "Eve", "last_name": "Spy"},
            format="json",
        ),
        api.post(
            "/api/v1/interactions/",
            {"customer": customer.pk, "channel": "call", "direction": "outbound", "subject": "Hi"},
            format="json",
        ),
        api.post(
            f"/api/v1/relationships/{north['relationships'].pk}/end/",
            {"reason": "competitor"},
            format="json",
            HTTP_IF_MATCH="*",
        ),
        api.post(
            f"/api/v1/processes/{north['processes'].pk}/move/",
            {"stage": north["processes"].stage_id},
            format="json",
            HTTP_IF_MATCH="*",
        ),
        api.post(f"/api/v1/tasks/{north['tasks'].pk}/complete/", HTTP_IF_MATCH="*"),
    ]
    # Ending a relationship is a manager's (who sees every team): the role answers first.
    assert [response.status_code for response in answers] == [404, 404, 404, 403, 404, 404]
    customer.refresh_from_db()
    assert customer.city != "X"
    assert customer.contacts.count() == 1
    assert customer.relationships.get().is_open


def test_a_visible_record_of_another_team_is_a_403_to_change(north, south_sales, api_as):
    """In "all" mode everyone sees every customer; changing is the owner side's."""
    api = api_as(south_sales)
    customer = north["customers"]
    read = api.get(f"/api/v1/customers/{customer.pk}/")
    assert read.status_code == 200
    response = api.patch(
        f"/api/v1/customers/{customer.pk}/",
        {"city": "Elsewhere"},
        format="json",
        HTTP_IF_MATCH=read["ETag"],
    )
    assert response.status_code == 403
    problem_of(response)
    customer.refresh_from_db()
    assert customer.city != "Elsewhere"


def test_finance_sees_every_invoice_in_team_mode_but_edits_no_customer(
    settings, north, finance_clerk, api_as
):
    settings.CRM_VISIBILITY = "team"
    api = api_as(finance_clerk)
    invoices = api.get("/api/v1/invoices/").json()["results"]
    assert [row["id"] for row in invoices] == [north["invoices"].pk]
    customer = north["customers"]
    assert api.get(f"/api/v1/customers/{customer.pk}/").status_code == 200
    response = api.patch(
        f"/api/v1/customers/{customer.pk}/", {"city": "X"}, format="json", HTTP_IF_MATCH="*"
    )
    assert response.status_code == 403


@pytest.mark.parametrize(
    ("persona", "method", "path", "body"),
    [
        ("outsider", "get", "/api/v1/customers/", None),
        ("outsider", "get", "/api/v1/processes/", None),
        ("sales_rep", "get", "/api/v1/invoices/", None),
        ("sales_rep", "get", "/api/v1/payments/", None),
        ("service_agent", "post", "/api/v1/customers/", "customer"),
        ("service_agent", "post", "/api/v1/invoices/", "invoice"),
        ("sales_rep", "post", "/api/v1/payments/", "payment"),
        ("finance_clerk", "post", "/api/v1/tickets/", "ticket"),
    ],
)
def test_a_missing_role_is_a_403(request, north, persona, method, path, body, api_as):
    user = request.getfixturevalue(persona)
    bodies = {
        "customer": {"display_name": "X"},
        "invoice": {
            "customer": north["customers"].pk,
            "number": "FV/X/1",
            "issue_date": "2026-01-01",
            "due_date": "2026-01-15",
            "amount": "10.00",
            "currency": "PLN",
        },
        "payment": {
            "invoice": north["invoices"].pk,
            "amount": "1.00",
            "currency": north["invoices"].currency,
            "paid_on": "2026-01-02",
            "method": "bank_transfer",
        },
        "ticket": {
            "definition": ProcessDefinitionFactory(kind="support").pk,
            "customer": north["customers"].pk,
            "subject": "Broken",
            "description": "It broke.",
            "priority": "normal",
        },
    }
    before = ProcessInstance.objects.count()
    response = getattr(api_as(user), method)(path, bodies.get(body), format="json")
    assert response.status_code == 403
    problem_of(response)
    assert ProcessInstance.objects.count() == before


def test_service_role_may_open_a_ticket_for_a_team_customer(north, service_agent, api_as):
    definition = ProcessDefinitionFactory(kind="support")
    response = api_as(service_agent).post(
        "/api/v1/tickets/",
        {
            "definition": definition.pk,
            "customer": north["customers"].pk,
            "subject": "Printer jammed",
            "description": "Paper everywhere.",
            "priority": "high",
        },
        format="json",
    )
    assert response.status_code == 201, response.json()
    assert response.json()["priority"] == "high"


def test_an_unknown_user_role_is_not_granted_by_the_token_kind(outsider, api_as):
    """A read-write token does not add permissions: the user's roles decide."""
    assert api_as(outsider).get("/api/v1/segments/").status_code == 403


def test_personas_are_the_same_people_with_a_session(north, service_agent, client):
    """The docs page's session reaches the same rules (no token needed)."""
    client.force_login(service_agent)
    assert client.get("/api/v1/invoices/").status_code == 403
    assert client.get(f"/api/v1/customers/{north['customers'].pk}/").status_code == 200
