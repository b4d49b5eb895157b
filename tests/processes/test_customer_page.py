"""The customer page shows open processes, tickets and tasks, and the timeline shows processes
opened, moved and closed; without N+1 queries."""

import pytest
from django.utils import timezone

from core.permissions import user_roles
from processes import customer_page, services
from tests.factories import CustomerFactory

from .conftest import stage

# The customer page runs both ways: compiled statements (core.fastpath) and plain querysets.
pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("fast_path")]


def test_open_processes_tickets_and_tasks_appear_on_the_customer_page(
    persona_client, sales_rep, customer, opportunity, ticket
):
    services.task_create(
        customer=customer,
        title="Send the price list",
        assignee=sales_rep,
        due_on=timezone.localdate(),
        by=sales_rep,
    )
    response = persona_client(sales_rep).get(customer.get_absolute_url())
    body = response.content.decode()
    assert 'id="processes"' in body
    assert "Printers for the new office" in body
    assert "Printer jams" in body
    assert "Send the price list" in body


def test_the_timeline_shows_opened_moved_and_closed(
    persona_client, sales_rep, sales_process, customer, opportunity
):
    services.instance_move(
        instance=opportunity, to_stage=stage(sales_process, "Proposal"), by=sales_rep
    )
    services.instance_move(
        instance=opportunity, to_stage=stage(sales_process, "Won"), by=sales_rep, reason="Yes!"
    )
    response = persona_client(sales_rep).get(customer.get_absolute_url())
    kinds = [e.kind for e in response.context["timeline"] if e.kind.startswith("process_")]
    assert kinds == ["process_closed", "process_moved", "process_opened"]
    body = response.content.decode()
    assert "Process closed" in body and "Stage moved" in body and "Process opened" in body


@pytest.mark.parametrize("n", [1, 15])
def test_customer_page_query_count_does_not_grow_with_processes(
    persona_client,
    sales_rep,
    sales_process,
    standard_support,
    service_agent,
    django_assert_max_num_queries,
    n,
):
    customer = CustomerFactory(owner=sales_rep)
    for i in range(n):
        instance = services.instance_open(
            definition=sales_process, customer=customer, title=f"Deal {i}", by=sales_rep
        )
        services.instance_move(
            instance=instance, to_stage=stage(sales_process, "Qualified"), by=sales_rep
        )
        services.ticket_open(
            definition=standard_support,
            customer=customer,
            subject=f"T{i}",
            description="x",
            priority="low",
            by=service_agent,
        )
        services.task_create(
            customer=customer,
            instance=instance,
            title=f"Task {i}",
            assignee=sales_rep,
            due_on=timezone.localdate(),
            by=sales_rep,
        )
    client = persona_client(sales_rep)
    client.get(customer.get_absolute_url())
    # The customer page without processes, plus: one count, open instances, tasks, transitions.
    with django_assert_max_num_queries(16):  # + the possible duplicates hint
        response = client.get(customer.get_absolute_url())
    assert response.status_code == 200


def test_a_customer_without_processes_costs_one_query(
    rf, sales_rep, customer, django_assert_num_queries
):
    request = rf.get("/")
    request.user = sales_rep
    user_roles(sales_rep)  # the view's role check has cached them already
    with django_assert_num_queries(1):
        context = customer_page.processes_context(request, customer)
        entries = customer_page.transition_entries(customer, limit=50)
    assert (context["instances"], context["tasks"], entries) == ([], [], [])


def test_transitions_older_than_a_full_timeline_are_left_out_and_newer_ones_shown(
    persona_client, sales_rep, sales_process, customer, opportunity
):
    from datetime import timedelta

    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from processes.models import StageTransition
    from tests.factories import InteractionFactory

    opened = StageTransition.objects.get(instance=opportunity)
    now = timezone.now()
    StageTransition.objects.filter(pk=opened.pk).update(at=now - timedelta(days=30))
    InteractionFactory.create_batch(50, customer=customer, occurred_at=now, created_by=sales_rep)
    client = persona_client(sales_rep)
    with CaptureQueriesContext(connection) as queries:
        timeline = client.get(customer.get_absolute_url()).context["timeline"]
    assert [e.kind for e in timeline] == ["interaction"] * 50
    transitions = [q for q in queries if 'FROM "processes_stagetransition"' in q["sql"]]
    assert all('"at" >=' in q["sql"] for q in transitions)
    services.instance_move(
        instance=opportunity, to_stage=stage(sales_process, "Proposal"), by=sales_rep
    )
    timeline = client.get(customer.get_absolute_url()).context["timeline"]
    assert timeline[0].kind == "process_moved"
    assert [e.kind for e in timeline].count("interaction") == 49
