"""The home page: each role's blocks, their counts and links, what each persona may see, and a
fixed number of queries per page whatever the data."""

from datetime import timedelta
from decimal import Decimal
from urllib.parse import parse_qs, urlsplit

import pytest
from django.urls import reverse
from django.utils import timezone

from core.permissions import MANAGER, SALES, SERVICE
from processes import services
from processes.models import KpiTarget, Notification, ProcessInstance
from relationships import services as relationship_services
from tests.factories import (
    ContactPersonFactory,
    CustomerFactory,
    InvoiceFactory,
    PayoutFactory,
    UserFactory,
)
from tests.processes.conftest import collections_process  # noqa: F401 (a fixture)

pytestmark = pytest.mark.django_db


def blocks(response):
    return {
        block.key: block for section in response.context["sections"] for block in section.blocks
    }


def follow(client, block):
    """The full list a block links to, fetched: its page and the query it was given."""
    response = client.get(block.url)
    assert response.status_code == 200
    return response


def query_of(url):
    return {k: v[0] for k, v in parse_qs(urlsplit(url).query).items()}


def _age(instance, *, days):
    ProcessInstance.objects.filter(pk=instance.pk).update(
        last_activity_at=timezone.now() - timedelta(days=days)
    )


# --- Who sees what ------------------------------------------------------------------------


def test_anonymous_is_sent_to_log_in(client):
    response = client.get(reverse("home"))
    assert response.status_code == 302
    assert response.url.startswith(reverse("login"))


def test_each_role_sees_its_own_blocks(
    persona_client, sales_rep, service_agent, finance_clerk, manager, outsider, admin_user
):
    expected = {
        sales_rep: ["tasks", "stalled", "uncontacted", "closing"],
        service_agent: ["tickets", "tasks"],
        finance_clerk: ["overdue", "payouts", "collections", "payments"],
        manager: ["approvals", "escalations", "kpis", "usage"],
        admin_user: ["approvals", "escalations", "kpis", "usage"],  # a superuser is a manager
        outsider: [],
    }
    for user, keys in expected.items():
        response = persona_client(user).get(reverse("home"))
        assert response.status_code == 200
        assert list(blocks(response)) == keys, user.username


def test_a_user_with_several_roles_sees_each_roles_blocks_once(persona_client):
    user = UserFactory(roles=[SALES, SERVICE, MANAGER])

    response = persona_client(user).get(reverse("home"))

    assert [s.role for s in response.context["sections"]] == [SALES, SERVICE, MANAGER]
    keys = [b.key for s in response.context["sections"] for b in s.blocks]
    assert keys.count("tasks") == 1
    assert {"stalled", "tickets", "approvals"} <= set(keys)


def test_an_outsider_is_told_to_ask_for_a_role(persona_client, outsider):
    response = persona_client(outsider).get(reverse("home"))
    assert "Your account has no role yet" in response.content.decode()


# --- Sales --------------------------------------------------------------------------------


def test_sales_home_lists_tasks_due_and_overdue_not_later_ones_nor_others(
    persona_client, sales_rep, customer
):
    today = timezone.localdate()
    for title, due in [("Overdue", -3), ("Today", 0), ("Next week", 7)]:
        services.task_create(
            customer=customer,
            title=title,
            assignee=sales_rep,
            due_on=today + timedelta(days=due),
            by=sales_rep,
        )
    services.task_create(
        customer=customer,
        title="Someone else's",
        assignee=UserFactory(),
        due_on=today,
        by=sales_rep,
    )
    client = persona_client(sales_rep)

    block = blocks(client.get(reverse("home")))["tasks"]

    assert block.count == 2
    assert [task.title for task in block.rows] == ["Overdue", "Today"]
    listed = follow(client, block)
    assert [task.title for task in listed.context["page"]] == ["Overdue", "Today"]


def test_sales_home_lists_my_stalled_deals_and_the_list_link_shows_the_same(
    persona_client, sales_rep, sales_process, settings
):
    settings.PROCESS_STALL_DAYS = 7
    stalled = services.instance_open(
        definition=sales_process,
        customer=CustomerFactory(owner=sales_rep),
        title="Quiet deal",
        by=sales_rep,
    )
    services.instance_open(
        definition=sales_process,
        customer=CustomerFactory(owner=sales_rep),
        title="Busy deal",
        by=sales_rep,
    )
    others = services.instance_open(
        definition=sales_process, customer=CustomerFactory(), title="Not mine", by=UserFactory()
    )
    _age(stalled, days=10)
    _age(others, days=10)
    client = persona_client(sales_rep)

    block = blocks(client.get(reverse("home")))["stalled"]

    assert block.count == 1
    assert [deal.title for deal in block.rows] == ["Quiet deal"]
    assert [deal.title for deal in follow(client, block).context["page"]] == ["Quiet deal"]


def test_sales_home_lists_my_customers_not_contacted_for_the_set_number_of_days(
    persona_client, sales_rep, settings
):
    settings.HOME_UNCONTACTED_DAYS = 30
    now = timezone.now()
    CustomerFactory(
        owner=sales_rep, display_name="Forgotten", last_contact_at=now - timedelta(days=45)
    )
    CustomerFactory(owner=sales_rep, display_name="Never called", last_contact_at=None)
    CustomerFactory(owner=sales_rep, display_name="Called", last_contact_at=now - timedelta(days=3))
    CustomerFactory(owner=sales_rep, display_name="Ended", status="ended", last_contact_at=None)
    CustomerFactory(display_name="Not mine", last_contact_at=None)
    client = persona_client(sales_rep)

    block = blocks(client.get(reverse("home")))["uncontacted"]

    assert block.count == 2
    assert {c.display_name for c in block.rows} == {"Forgotten", "Never called"}
    assert query_of(block.url)["uncontacted_days"] == "30"
    listed = follow(client, block)
    assert {c.display_name for c in listed.context["page"]} == {"Forgotten", "Never called"}


def test_sales_home_lists_my_deals_expected_to_close_this_month(
    persona_client, sales_rep, sales_process
):
    today = timezone.localdate()
    this_month = services.instance_open(
        definition=sales_process,
        customer=CustomerFactory(owner=sales_rep),
        title="This month",
        by=sales_rep,
    )
    next_month = services.instance_open(
        definition=sales_process,
        customer=CustomerFactory(owner=sales_rep),
        title="Later",
        by=sales_rep,
    )
    ProcessInstance.objects.filter(pk=this_month.pk).update(expected_close_on=today)
    ProcessInstance.objects.filter(pk=next_month.pk).update(
        expected_close_on=today + timedelta(days=40)
    )
    client = persona_client(sales_rep)

    block = blocks(client.get(reverse("home")))["closing"]

    assert [deal.title for deal in block.rows] == ["This month"]
    assert block.count == 1
    assert [deal.title for deal in follow(client, block).context["page"]] == ["This month"]


# --- Service ------------------------------------------------------------------------------


def test_service_home_queues_tickets_by_sla_deadline_breaches_first(
    persona_client, service_agent, standard_support
):
    def ticket(subject, priority, at=None):
        customer = CustomerFactory()
        return services.ticket_open(
            definition=standard_support,
            customer=customer,
            subject=subject,
            description="…",
            priority=priority,
            contact_person=ContactPersonFactory(customer=customer),
            by=service_agent,
            at=at,
        )

    low = ticket("Low, due in a day", "low")
    urgent = ticket("Urgent, due in 2 hours", "urgent")
    # Low: a response within 24 hours, so opened 25 hours ago it is an hour late.
    late = ticket("Breached", "low", at=timezone.now() - timedelta(hours=25))
    client = persona_client(service_agent)

    block = blocks(client.get(reverse("home")))["tickets"]

    assert [t.pk for t in block.rows] == [late.pk, urgent.pk, low.pk]  # a ticket's pk: its process
    assert block.count == 3
    assert "1 past an SLA deadline" in block.note
    listed = follow(client, block)
    assert [t.pk for t in listed.context["page"]] == [late.pk, urgent.pk, low.pk]


def test_in_team_mode_the_queue_holds_only_the_tickets_the_agent_may_see(
    persona_client, service_agent, standard_support, settings
):
    settings.CRM_VISIBILITY = "team"
    stranger = UserFactory(roles=[SERVICE])  # in no team of the agent's

    def ticket(subject, owner):
        customer = CustomerFactory(owner=owner)
        return services.ticket_open(
            definition=standard_support,
            customer=customer,
            subject=subject,
            description="…",
            priority="normal",
            contact_person=ContactPersonFactory(customer=customer),
            by=stranger,
        )

    seen = ticket("Unowned customer's", None)
    ticket("Another team's", stranger)

    block = blocks(persona_client(service_agent).get(reverse("home")))["tickets"]

    assert [t.pk for t in block.rows] == [seen.pk]
    assert block.count == 1


# --- Finance ------------------------------------------------------------------------------


def test_finance_home_shows_overdue_invoices_payouts_to_pay_cases_and_todays_payments(
    persona_client,
    finance_clerk,
    manager,
    customer,
    collections_process,  # noqa: F811
):
    today = timezone.localdate()
    overdue = InvoiceFactory(
        customer=customer,
        issue_date=today - timedelta(days=60),
        due_date=today - timedelta(days=30),
    )
    InvoiceFactory(customer=customer)  # not due yet
    paid = InvoiceFactory(customer=customer, amount=Decimal("80.00"))
    relationship_services.payment_register(
        invoice=paid,
        amount=Decimal("80.00"),
        currency="PLN",
        paid_on=today,
        method="card",
        by=finance_clerk,
    )
    small = PayoutFactory(customer=customer, amount=Decimal("50.00"))
    PayoutFactory(customer=customer, amount=Decimal("50000.00"))  # waits for a manager
    case = services.collection_case_open(invoice=overdue, by=finance_clerk)
    client = persona_client(finance_clerk)

    found = blocks(client.get(reverse("home")))

    assert [i.pk for i in found["overdue"].rows] == [overdue.pk]
    assert [p.pk for p in found["payouts"].rows] == [small.pk]
    assert found["collections"].count == 1
    (stage_row,) = found["collections"].rows
    assert stage_row["stage"] == case.instance.stage
    cases = client.get(stage_row["url"])
    assert [i.pk for i in cases.context["page"]] == [case.instance.pk]
    assert [p.invoice_id for p in found["payments"].rows] == [paid.pk]
    assert [i.pk for i in follow(client, found["overdue"]).context["page"]] == [overdue.pk]
    assert [i.pk for i in follow(client, found["payments"]).context["page"]] == [paid.pk]


def _collection_cases_in_stages(definition, customer, finance_clerk, per_stage):
    """Open collection cases, `per_stage[i]` of them in the definition's i-th working stage."""
    today = timezone.localdate()
    stages = list(definition.stages.filter(outcome="").order_by("position"))
    for stage, count in zip(stages, per_stage, strict=False):
        for _n in range(count):
            invoice = InvoiceFactory(
                customer=customer,
                issue_date=today - timedelta(days=60),
                due_date=today - timedelta(days=30),
            )
            case = services.collection_case_open(invoice=invoice, by=finance_clerk)
            ProcessInstance.objects.filter(pk=case.instance.pk).update(stage=stage)
    return stages


def test_collections_block_says_and_more_only_of_stages_it_does_not_list(
    persona_client,
    finance_clerk,
    customer,
    collections_process,  # noqa: F811
):
    stages = _collection_cases_in_stages(
        collections_process, customer, finance_clerk, per_stage=[2, 1, 3, 4]
    )
    response = persona_client(finance_clerk).get(reverse("home"))

    block = blocks(response)["collections"]
    assert block.count == 10
    assert [row["stage"] for row in block.rows] == stages
    assert [row["count"] for row in block.rows] == [2, 1, 3, 4]
    assert block.more == 0
    card = response.content.decode().split('id="block-collections"')[1].split("</section>")[0]
    assert "more ·" not in card and "Open the full list" in card


def test_collections_block_counts_the_stages_beyond_its_rows(
    persona_client,
    finance_clerk,
    customer,
    settings,
    collections_process,  # noqa: F811
):
    settings.HOME_BLOCK_ROWS = 3
    stages = _collection_cases_in_stages(
        collections_process, customer, finance_clerk, per_stage=[2, 1, 3, 4]
    )
    response = persona_client(finance_clerk).get(reverse("home"))

    block = blocks(response)["collections"]
    assert block.count == 10
    assert [row["stage"] for row in block.rows] == stages[:3]
    assert block.more == 1
    assert "and 1 more" in response.content.decode()


# --- Managers -----------------------------------------------------------------------------


def test_manager_home_shows_approvals_of_every_kind_and_escalations(
    persona_client, manager, sales_rep, sales_process, customer
):
    deal = services.instance_open(
        definition=sales_process, customer=customer, title="Big deal", by=sales_rep
    )
    services.opportunity_set_discount(instance=deal, percent=30, reason="Key account", by=sales_rep)
    PayoutFactory(customer=customer, amount=Decimal("50000.00"), requested_by=sales_rep)
    services.notification_send(
        recipient=manager,
        kind=Notification.Kind.STALL_ESCALATION,
        instance=deal,
        occurrence="activity:1",
        message="Escalated: Big deal has had no activity.",
    )
    services.notification_send(
        recipient=manager,
        kind=Notification.Kind.TASK_ASSIGNED,
        occurrence="task:1",
        message="Not an escalation",
    )
    client = persona_client(manager)

    found = blocks(client.get(reverse("home")))

    assert found["approvals"].count == 2
    assert sorted(kind for kind, _item in found["approvals"].rows) == ["approval", "payout"]
    assert [n.message for n in found["escalations"].rows] == [
        "Escalated: Big deal has had no activity."
    ]
    listed = follow(client, found["escalations"])
    assert [n.message for n in listed.context["page"]] == [
        "Escalated: Big deal has had no activity."
    ]


def test_manager_home_shows_kpis_off_target(persona_client, manager, sales_process):
    KpiTarget.objects.create(
        definition=sales_process,
        metric=KpiTarget.Metric.AVG_COST,
        period=KpiTarget.Period.MONTH,
        target=Decimal("10.00"),
    )
    customer = CustomerFactory()
    deal = services.instance_open(
        definition=sales_process, customer=customer, title="Costly", by=manager
    )
    services.instance_move(
        instance=deal, to_stage=sales_process.stages.get(name="Proposal"), by=manager
    )
    services.instance_move(
        instance=deal,
        to_stage=sales_process.stages.get(name="Lost"),
        by=manager,
        reason="Too expensive",
    )

    block = blocks(persona_client(manager).get(reverse("home")))["kpis"]

    assert block.count == 1
    (row,) = block.rows
    assert row["definition"] == sales_process.name
    assert row["metric"] == KpiTarget.Metric.AVG_COST
    assert row["status"] == "red"


def test_the_kpis_are_computed_once_for_every_managers_home(
    persona_client, manager, sales_process, monkeypatch
):
    from analytics import home

    KpiTarget.objects.create(
        definition=sales_process,
        metric=KpiTarget.Metric.WIN_RATE,
        period=KpiTarget.Period.MONTH,
        target=Decimal("40"),
    )
    calls = []
    computed = home.process_kpis
    monkeypatch.setattr(home, "process_kpis", lambda **kw: calls.append(kw) or computed(**kw))

    persona_client(manager).get(reverse("home"))
    persona_client(UserFactory(roles=[MANAGER])).get(reverse("home"))

    assert len(calls) == 1


def test_manager_home_without_targets_says_so(persona_client, manager):
    block = blocks(persona_client(manager).get(reverse("home")))["kpis"]
    assert block.count == 0
    assert "No KPI has a target yet." in str(block.empty)


# --- Speed --------------------------------------------------------------------------------


@pytest.mark.parametrize("role", ["sales", "service", "finance", "manager"])
def test_home_costs_a_fixed_number_of_queries_whatever_the_data(
    role,
    persona_client,
    sales_rep,
    service_agent,
    finance_clerk,
    manager,
    sales_process,
    standard_support,
    collections_process,  # noqa: F811
    django_assert_max_num_queries,
):
    user = {
        "sales": sales_rep,
        "service": service_agent,
        "finance": finance_clerk,
        "manager": manager,
    }[role]
    today = timezone.localdate()
    for n in range(8):
        customer = CustomerFactory(owner=sales_rep, last_contact_at=None)
        deal = services.instance_open(
            definition=sales_process, customer=customer, title=f"Deal {n}", by=sales_rep
        )
        _age(deal, days=30)
        ProcessInstance.objects.filter(pk=deal.pk).update(expected_close_on=today)
        services.task_create(
            customer=customer, title=f"Task {n}", assignee=user, due_on=today, by=sales_rep
        )
        services.ticket_open(
            definition=standard_support,
            customer=customer,
            subject=f"Ticket {n}",
            description="…",
            priority="normal",
            contact_person=ContactPersonFactory(customer=customer),
            by=service_agent,
        )
        invoice = InvoiceFactory(
            customer=customer,
            issue_date=today - timedelta(days=60),
            due_date=today - timedelta(days=30),
        )
        services.collection_case_open(invoice=invoice, by=finance_clerk)
        PayoutFactory(customer=customer, amount=Decimal("50.00"))
        PayoutFactory(customer=customer, amount=Decimal("50000.00"), requested_by=sales_rep)
        services.opportunity_set_discount(instance=deal, percent=30, reason="x", by=sales_rep)
    KpiTarget.objects.create(
        definition=sales_process,
        metric=KpiTarget.Metric.WIN_RATE,
        period=KpiTarget.Period.MONTH,
        target=Decimal("40"),
    )
    client = persona_client(user)
    client.get(reverse("home"))  # fills the per-process caches (content types, rates)

    # Each includes the session, the user, their roles and the bell's count.
    budget = {"sales": 13, "service": 8, "finance": 12, "manager": 30}[role]
    with django_assert_max_num_queries(budget):
        response = client.get(reverse("home"))
    assert all(len(block.rows) <= 5 for block in blocks(response).values())
    assert any(block.count > 5 for block in blocks(response).values())
