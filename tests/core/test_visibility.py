"""Teams and record-level visibility (core.visibility), on every view that shows or changes a
record of a customer.

The matrix walks tests/hostile/targets.URLS, the table of every URL of the apps with the world
object that fills it (tests/hostile/test_coverage.py fails when a URL is missing from it), so a
new view cannot escape: the world's customer belongs to team North (its owner sales_rep, and
service_agent), and users of team South ask for each of its records by id, on GET and POST, in
both modes: never the data, never a changed row.
"""

from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied
from django.test import Client
from django.urls import reverse

from analytics.permissions import VIEW_REPORTS
from core import visibility
from core.models import Team
from core.permissions import MANAGER, SALES, SERVICE
from customers.models import ContactPerson, Customer
from processes.models import ProcessInstance, Task
from relationships import services as relationship_services
from relationships.models import Contract, Invoice, Payout
from tests.factories import (
    ContactPersonFactory,
    ContractFactory,
    CustomerFactory,
    InvoiceFactory,
    PayoutFactory,
    UserFactory,
)
from tests.hostile.probe import changes, snapshot
from tests.hostile.targets import URLS, url_for
from tests.hostile.world import build_world

pytestmark = pytest.mark.django_db

TARGET = "Hostile Target Ltd"
# Objects that are no customer's record: definitions, rules, the manager's notification.
# Not a customer's record: definitions, rules, targets, a user's own notifications and saved
# views (another user's saved view is simply not found: tests/core/test_saved_views.py).
NOT_A_CUSTOMERS_RECORD = {
    None,
    "sales_process",
    "rule",
    "inactive_rule",
    "kpi_target",
    "notification",
    "saved_view",
    # A user's own: their API token, background exports, imports, private addresses (another
    # user gets 404: tests/api, tests/core/test_export_jobs.py, tests/imports, tests/mail).
    "api_token",
    "export_job",
    "failed_export",
    "import_preview",
    "import_batch",
    "import_done",
    "private_address",
    # The team's mail: a shared mailbox (managers'), a mailing (to a segment, not a customer),
    # a message from an unknown sender waiting in triage (no customer yet).
    "mailbox",
    "mailing",
    "triage_message",
}
# Pages that only show a record; every other URL of a record changes it (or its customer).
READS = {
    "customers:detail",
    "customers:history",
    "customers:contact_consents",
    "relationships:contract_detail",
    "relationships:invoice_detail",
    "relationships:document_download",
    "processes:instance_detail",
}
RECORD_URLS = sorted(
    name
    for name, entry in URLS.items()
    if entry.obj not in NOT_A_CUSTOMERS_RECORD and entry.obj != "ended_customer"
)


@pytest.fixture
def teams(sales_rep, service_agent, finance_clerk):
    north = Team.objects.create(name="North")
    north.members.add(sales_rep, service_agent)
    south = Team.objects.create(name="South")
    south_sales = UserFactory(username="stan_south", roles=[SALES])
    south_service = UserFactory(username="sue_south", roles=[SERVICE])
    south.members.add(south_sales, south_service)
    Team.objects.create(name="Finance").members.add(finance_clerk)
    return {
        "north": north,
        "south": south,
        "south_sales": south_sales,
        "south_service": south_service,
    }


@pytest.fixture
def world(db, teams, manager, sales_rep, service_agent, finance_clerk, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return build_world(
        manager=manager,
        sales_rep=sales_rep,
        service_agent=service_agent,
        finance_clerk=finance_clerk,
    )


def _client(user):
    client = Client()
    client.force_login(user)
    return client


def _mode(settings, mode):
    settings.CRM_VISIBILITY = mode


# --- The setting ----------------------------------------------------------------------------


def test_an_unknown_visibility_mode_stops_start_up(settings):
    settings.CRM_VISIBILITY = "teams"
    errors = visibility.check_visibility_setting()
    assert [error.id for error in errors] == ["core.E003"]
    for mode in ("all", "team"):
        settings.CRM_VISIBILITY = mode
        assert visibility.check_visibility_setting() == []


# --- The matrix: another team's users, every URL of a record, both modes ----------------------


@pytest.mark.parametrize("mode", ["all", "team"])
def test_another_teams_users_never_get_or_change_a_record(settings, world, teams, mode):
    _mode(settings, mode)
    failures = []
    for user in (teams["south_sales"], teams["south_service"]):
        client = _client(user)
        for name in RECORD_URLS:
            url = url_for(name, world)
            response = client.get(url)
            if name in READS and mode == "all":
                if response.status_code != 200:
                    failures.append(f"{user} GET {name}: {response.status_code}, expected 200")
            elif name in READS:
                if response.status_code != 404:
                    failures.append(f"{user} GET {name}: {response.status_code}, expected 404")
            elif response.status_code not in (403, 404, 405):
                failures.append(f"{user} GET {name}: {response.status_code}")
            if response.status_code != 200 and TARGET.encode() in b"".join(response):
                failures.append(f"{user} GET {name}: the customer's name in a refusal")
            if name in READS:
                continue
            before = snapshot()
            response = client.post(url, {})
            # 405: a page that only shows (a person's data export) takes no POST at all.
            expected = (403, 405) if mode == "all" else (403, 404, 405)
            if response.status_code not in expected:
                failures.append(f"{user} POST {name}: {response.status_code}, expected {expected}")
            changed = changes(before, snapshot())
            if changed:
                failures.append(f"{user} POST {name} changed {changed}")
    assert failures == []


def test_team_mode_hides_the_record_but_all_mode_only_refuses_changing_it(settings, world, teams):
    client = _client(teams["south_sales"])
    edit = reverse("customers:edit", args=[world.pk("customer")])
    detail = reverse("customers:detail", args=[world.pk("customer")])
    _mode(settings, "all")
    assert client.get(detail).status_code == 200
    assert client.get(edit).status_code == 403
    _mode(settings, "team")
    assert client.get(detail).status_code == 404
    assert client.get(edit).status_code == 404


@pytest.mark.parametrize("mode", ["all", "team"])
def test_the_owners_team_mate_works_on_the_record_as_the_role_allows(
    settings, world, service_agent, mode
):
    """The world's service URLs (hostile table: the service persona uses them) open for the
    owner's team-mate in both modes."""
    _mode(settings, mode)
    client = _client(service_agent)
    for name in RECORD_URLS:
        if "service" in URLS[name].personas:
            assert client.get(url_for(name, world)).status_code in (200, 405), name
    response = client.post(
        reverse("relationships:interaction_create", args=[world.pk("customer")]),
        {"channel": "call", "direction": "outbound", "subject": "Toner", "occurred_at": ""},
    )
    assert response.status_code in (200, 302)


@pytest.mark.parametrize("mode", ["all", "team"])
def test_managers_see_and_open_every_record(settings, world, manager, mode):
    _mode(settings, mode)
    client = _client(manager)
    for name in RECORD_URLS:
        if name in READS:
            assert client.get(url_for(name, world)).status_code == 200, name
    assert client.get(reverse("customers:edit", args=[world.pk("customer")])).status_code == 200


# --- Finance ---------------------------------------------------------------------------------


def test_finance_sees_the_whole_ledger_and_its_customers_in_team_mode(
    settings, world, finance_clerk, teams
):
    _mode(settings, "team")
    prospect = CustomerFactory(display_name="South Prospect", owner=teams["south_sales"])
    billed = CustomerFactory(display_name="South Billed", owner=teams["south_sales"])
    invoice = InvoiceFactory(customer=billed)
    client = _client(finance_clerk)

    assert client.get(reverse("customers:detail", args=[billed.pk])).status_code == 200
    assert client.get(reverse("customers:detail", args=[prospect.pk])).status_code == 404
    assert client.get(invoice.get_absolute_url()).status_code == 200
    listed = client.get(reverse("relationships:invoice_list")).context["page"].object_list
    assert invoice in listed and world["invoice"] in listed
    customers = client.get(reverse("customers:list")).context["page"].object_list
    names = {customer.display_name for customer in customers}
    assert {"South Billed", TARGET} <= names and "South Prospect" not in names
    # A finance action follows the finance permission, not the owner rule...
    response = client.post(
        reverse("relationships:payment_create", args=[invoice.pk]),
        {"amount": "1.00", "paid_on": "", "method": "bank_transfer"},
    )
    assert response.status_code in (200, 302)
    # ...but the customer file itself stays the owner's side's.
    assert (
        client.get(reverse("relationships:interaction_create", args=[billed.pk])).status_code == 403
    )


# --- Lists, search, boards -------------------------------------------------------------------


@pytest.mark.parametrize("mode", ["all", "team"])
def test_lists_and_search_hold_only_visible_records(settings, world, teams, fast_path, mode):
    _mode(settings, mode)
    client = _client(teams["south_sales"])
    own = CustomerFactory(display_name="Hostile South Own", owner=teams["south_sales"])
    unowned = world["other_customer"]  # nobody owns it: the pool every team may pick up

    names = {
        c.display_name for c in client.get(reverse("customers:list")).context["page"].object_list
    }
    hits = client.get(reverse("customers:search"), {"q": "Hostile"}).context["found"]
    found, contacts = hits["customers"], hits["contacts"]
    searched = {c.display_name for c in found}
    contracts = client.get(reverse("relationships:contract_list")).context["page"].object_list
    processes = client.get(reverse("processes:instance_list")).context["page"].object_list
    tickets = client.get(reverse("processes:ticket_list")).context["page"].object_list
    board = client.get(reverse("processes:board", args=[world.pk("sales_process")]))
    cards = [pk for column in board.context["columns"] for pk in column["card_ids"]]
    detail = client.get(reverse("customers:detail", args=[world.pk("customer")]))

    assert {own.display_name, unowned.display_name} <= names
    assert {own.display_name, unowned.display_name} <= searched
    if mode == "all":
        assert TARGET in names and TARGET in searched
        assert world["contract"] in contracts and world["opportunity"].pk in cards
        assert detail.status_code == 200
    else:
        assert TARGET not in names and TARGET not in searched
        assert all(contact.customer.display_name != TARGET for contact in contacts)
        assert world["contract"] not in contracts and world["other_contract"] in contracts
        assert world["opportunity"] not in processes and world["ticket"] not in tickets
        assert world["opportunity"].pk not in cards and world["other_opportunity"].pk in cards
        assert detail.status_code == 404


def test_the_process_overview_counts_only_visible_processes_in_team_mode(settings, world, teams):
    _mode(settings, "team")
    overview = _client(teams["south_sales"]).get(reverse("processes:overview"))
    counts = {d.pk: d.open_count for d in overview.context["definitions"]}
    # The world's sales process has the target's deal (North) and the unowned customer's deal.
    assert counts[world.pk("sales_process")] == 1


def test_whoever_is_given_a_ticket_or_task_sees_and_works_it_in_team_mode(settings, world, teams):
    """A ticket owned by (a task assigned to) a user of another team: the work was given to
    them, so they see it and do it, without seeing the rest of the customer's file."""
    _mode(settings, "team")
    south_service = teams["south_service"]
    ticket = world["ticket"]
    ProcessInstance.objects.filter(pk=ticket.pk).update(owner=south_service)
    Task.objects.filter(pk=world.pk("task")).update(assignee=south_service)
    client = _client(south_service)

    assert client.get(ticket.get_absolute_url()).status_code == 200
    tickets = client.get(reverse("processes:ticket_list")).context["page"].object_list
    assert ticket in tickets
    response = client.post(reverse("processes:ticket_respond", args=[ticket.pk]))
    assert response.status_code == 302
    ticket.ticket.refresh_from_db()
    assert ticket.ticket.first_response_by == south_service
    assert client.post(reverse("processes:task_done", args=[world.pk("task")])).status_code == 302
    assert Task.objects.get(pk=world.pk("task")).done_by == south_service
    # The customer's file itself stays hidden.
    assert client.get(reverse("customers:detail", args=[world.pk("customer")])).status_code == 404


def test_the_unassigned_pool_is_seen_and_worked_by_every_team(settings, world, teams):
    _mode(settings, "team")
    pool = CustomerFactory(display_name="Walk-in lead")
    client = _client(teams["south_sales"])
    assert client.get(reverse("customers:detail", args=[pool.pk])).status_code == 200
    assert client.get(reverse("customers:edit", args=[pool.pk])).status_code == 200


def test_the_new_customer_guard_names_another_teams_twin_without_showing_it(settings, world, teams):
    _mode(settings, "team")
    response = _client(teams["south_sales"]).post(
        reverse("relationships:customer_create"),
        {
            "kind": "organisation",
            "display_name": TARGET,
            "source": "web_form",
            "first_contact_on": "2026-01-05",
            "channel": "call",
            "direction": "inbound",
            "subject": "Hello",
            "relationship_kind": "lasting",
        },
    )
    assert response.status_code == 200
    assert Customer.objects.filter(display_name=TARGET).count() == 1
    body = response.content.decode()
    assert "another team" in body
    assert reverse("customers:detail", args=[world.pk("customer")]) not in body


# --- Payouts: their requester edits them, before approval -------------------------------------


def test_nobody_but_the_requester_rewrites_a_payout_request(
    world, sales_rep, service_agent, manager
):
    """The probe's finding: a service user lowered another's 4,387 PLN request to 999, under
    the approval threshold. Team-mate or manager, nobody but the requester changes it."""
    payout = PayoutFactory(
        customer=world["customer"],
        amount=Decimal("4387.00"),
        currency="PLN",
        requested_by=sales_rep,
    )
    assert payout.needs_approval
    url = reverse("relationships:payout_edit", args=[payout.pk])
    lowered = {"kind": payout.kind, "amount": "999.00", "currency": "PLN", "reason": "less"}
    for user in (service_agent, manager):
        client = _client(user)
        assert client.get(url).status_code == 403
        assert client.post(url, lowered).status_code == 403
        payout.refresh_from_db()
        assert payout.amount == Decimal("4387.00")
    with pytest.raises(PermissionDenied):
        relationship_services.payout_update(
            payout=payout, data={"amount": Decimal("999")}, by=service_agent
        )

    client = _client(sales_rep)
    assert client.post(url, {**lowered, "amount": "4000.00"}).status_code == 302
    payout.refresh_from_db()
    assert payout.amount == Decimal("4000.00")
    # Once a manager approved it, not even its requester changes it.
    relationship_services.payout_approve(payout=payout, by=manager)
    client.post(url, lowered)
    payout.refresh_from_db()
    assert (payout.status, payout.amount) == (Payout.Status.APPROVED, Decimal("4000.00"))


# --- Query counts ----------------------------------------------------------------------------


def _count_queries(client, url, django_assert_max_num_queries, budget):
    with django_assert_max_num_queries(budget) as captured:
        assert client.get(url).status_code == 200
    return len(captured)


@pytest.mark.parametrize("page", ["customers:list", "customers:detail"])
def test_team_mode_costs_one_query_on_the_customer_list_and_page(
    settings, world, teams, fast_path, page, django_assert_max_num_queries
):
    for n in range(30):
        CustomerFactory(display_name=f"South {n}", owner=teams["south_sales"])
    client = _client(teams["south_sales"])
    args = [world.pk("other_customer")] if page == "customers:detail" else []
    url = reverse(page, args=args)
    client.get(url)  # the first request of the day records the user's activity
    _mode(settings, "all")
    plain = _count_queries(client, url, django_assert_max_num_queries, 40)
    _mode(settings, "team")
    teamed = _count_queries(client, url, django_assert_max_num_queries, 40)
    assert teamed <= plain + 1


def test_all_mode_adds_no_filter_and_no_query(settings, sales_rep, django_assert_num_queries):
    _mode(settings, "all")
    with django_assert_num_queries(0):
        queryset = Customer.objects.visible_to(sales_rep)
        assert "WHERE" not in str(queryset.query)
        assert ContactPerson.objects.visible_to(sales_rep).query.where.children == []
        assert Invoice.objects.visible_to(sales_rep).query.where.children == []


def test_every_customer_record_model_answers_visible_to_and_editable_by(settings, world, teams):
    _mode(settings, "team")
    south = teams["south_sales"]
    for model in (ContactPerson, Contract, Invoice, Payout, ProcessInstance, Task):
        visible = model.objects.visible_to(south)
        assert not visible.filter(customer=world["customer"]).exists(), model
        assert not model.objects.editable_by(south).filter(customer=world["customer"]).exists()
    ContactPersonFactory(customer=world["other_customer"])
    ContractFactory(customer=world["other_customer"])
    assert ContactPerson.objects.visible_to(south).filter(customer=world["other_customer"]).exists()


def test_reports_are_for_roles_that_see_every_customer():
    """The aggregated reports, their CSV exports and drill-downs are not filtered: they are for
    managers, who see all in both modes. Granting them to another role needs filtering first."""
    assert VIEW_REPORTS.roles == {MANAGER}
