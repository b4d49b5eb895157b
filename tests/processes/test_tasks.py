"""Tasks: assigned, due, done; on customers and on their processes; each user's "my tasks"."""

from datetime import timedelta

import pytest
from django.urls import reverse

from processes import services
from processes.models import Task
from tests.dates import clock_today
from tests.factories import CustomerFactory

pytestmark = pytest.mark.django_db
TODAY = clock_today()


def test_my_tasks_shows_my_open_tasks_most_urgent_first(
    persona_client, sales_rep, service_agent, customer
):
    for title, days, who in [
        ("Later", 5, sales_rep),
        ("Soon", 1, sales_rep),
        ("Not mine", 0, service_agent),
    ]:
        services.task_create(
            customer=customer,
            title=title,
            assignee=who,
            due_on=TODAY + timedelta(days=days),
            by=sales_rep,
        )
    done = services.task_create(
        customer=customer, title="Old", assignee=sales_rep, due_on=TODAY, by=sales_rep
    )
    services.task_complete(task=done, by=sales_rep)
    page = persona_client(sales_rep).get(reverse("processes:task_list")).context["page"]
    assert [t.title for t in page] == ["Soon", "Later"]


@pytest.mark.parametrize("rows", [3, 30])
def test_my_tasks_query_count_does_not_grow(
    persona_client, sales_rep, opportunity, django_assert_max_num_queries, rows
):
    for i in range(rows):
        services.task_create(
            customer=CustomerFactory() if i % 2 else opportunity.customer,
            instance=None if i % 2 else opportunity,
            title=f"Task {i}",
            assignee=sales_rep,
            due_on=TODAY,
            by=sales_rep,
        )
    client = persona_client(sales_rep)
    # +2: the saved views and the user's teams (core.lists, the list's tools)
    with django_assert_max_num_queries(10):
        response = client.get(reverse("processes:task_list"))
    assert len(response.context["page"]) == min(rows, 25)


def test_a_task_on_a_process_keeps_it_active(opportunity, sales_rep):
    before = opportunity.last_activity_at
    task = services.task_create(
        customer=opportunity.customer,
        instance=opportunity,
        title="Send offer",
        assignee=sales_rep,
        due_on=TODAY,
        by=sales_rep,
    )
    services.task_complete(task=task, by=sales_rep)
    opportunity.refresh_from_db()
    assert opportunity.last_activity_at > before
    task.refresh_from_db()
    assert task.is_done and task.done_by == sales_rep


def test_a_task_cannot_point_at_another_customers_process(opportunity, sales_rep):
    with pytest.raises(Exception, match="another customer"):
        services.task_create(
            customer=CustomerFactory(),
            instance=opportunity,
            title="x",
            assignee=sales_rep,
            due_on=TODAY,
            by=sales_rep,
        )


def test_adding_a_task_with_bad_input_shows_errors(persona_client, sales_rep, customer):
    client = persona_client(sales_rep)
    url = reverse("processes:task_create", args=[customer.pk])
    response = client.post(url, {"title": "", "assignee": "", "due_on": "not a date"})
    assert {"title", "assignee", "due_on"} <= set(response.context["form"].errors)
    assert not Task.objects.exists()
    response = client.post(
        url, {"title": "Call back", "assignee": sales_rep.pk, "due_on": TODAY.isoformat()}
    )
    assert response.url == customer.get_absolute_url()
    assert Task.objects.get().title == "Call back"


def test_the_assignee_ticks_a_task_off_and_strangers_cannot(
    persona_client, client, sales_rep, service_agent, customer
):
    task = services.task_create(
        customer=customer, title="Visit", assignee=sales_rep, due_on=TODAY, by=sales_rep
    )
    url = reverse("processes:task_done", args=[task.pk])
    client.force_login(service_agent)
    assert client.post(url).status_code == 403
    client.force_login(sales_rep)
    assert client.post(url).status_code == 302
    task.refresh_from_db()
    assert task.is_done
