"""Bulk actions on the process list (processes.services.bulk): assign an owner, close the open
tasks; all or nothing, audited."""

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from core.models import AuditEvent, Team
from core.permissions import SALES
from processes import services
from processes.models import ProcessInstance, Task
from tests.factories import CustomerFactory, UserFactory

pytestmark = pytest.mark.django_db


def _open(definition, customer, by, title):
    return services.instance_open(definition=definition, customer=customer, title=title, by=by)


def _post(client, **data):
    return client.post(
        reverse("processes:instance_bulk"), {"next": "/processes/instances/", **data}
    )


def test_assigning_an_owner_to_many_processes(persona_client, sales_process, customer, sales_rep):
    colleague = UserFactory(username="colin", roles=[SALES])
    deals = [_open(sales_process, customer, sales_rep, f"Deal {n}") for n in range(3)]
    client = persona_client(sales_rep)

    response = _post(client, action="assign", owner=colleague.pk, ids=[d.pk for d in deals])

    assert set(
        ProcessInstance.objects.filter(pk__in=[d.pk for d in deals]).values_list("owner", flat=True)
    ) == {colleague.pk}
    assert "3 processes now belong to colin." in client.get(response["Location"]).content.decode()
    bulk = AuditEvent.objects.get(action=AuditEvent.Action.BULK)
    assert (bulk.details["action"], bulk.details["ids"]) == (
        "instance_bulk_assign",
        sorted(d.pk for d in deals),
    )
    assert AuditEvent.objects.filter(
        model="processes.processinstance", action="update", object_id=deals[0].pk
    ).exists()


def test_closing_the_open_tasks_of_the_selected_processes(
    persona_client, sales_process, customer, sales_rep
):
    deal, other = (_open(sales_process, customer, sales_rep, t) for t in ("Deal", "Other"))
    today = timezone.localdate()
    for title in ("Call", "Offer"):
        services.task_create(
            customer=customer,
            instance=deal,
            title=title,
            assignee=sales_rep,
            due_on=today,
            by=sales_rep,
        )
    elsewhere = services.task_create(
        customer=customer,
        instance=other,
        title="Keep",
        assignee=sales_rep,
        due_on=today,
        by=sales_rep,
    )
    client = persona_client(sales_rep)

    response = _post(client, action="close_tasks", ids=[deal.pk])

    assert "2 open tasks closed." in client.get(response["Location"]).content.decode()
    assert set(Task.objects.filter(instance=deal).values_list("done_by", flat=True)) == {
        sales_rep.pk
    }
    elsewhere.refresh_from_db()
    assert elsewhere.done_at is None
    bulk = AuditEvent.objects.get(action=AuditEvent.Action.BULK)
    assert (bulk.details["action"], bulk.details["tasks"]) == ("instance_bulk_close_tasks", 2)


def test_a_process_the_user_may_not_work_on_refuses_the_whole_action(
    sales_process, sales_rep, service_agent
):
    rival = UserFactory(username="rita_rival", roles=[SALES])
    Team.objects.create(name="Warsaw").members.add(sales_rep)
    mine = _open(sales_process, CustomerFactory(owner=sales_rep), sales_rep, "Mine")
    theirs = _open(sales_process, CustomerFactory(owner=rival), rival, "Their deal")
    with pytest.raises(ValidationError, match=r"1 of the selected rows \(Their deal\)"):
        services.instance_bulk_assign(
            instances=ProcessInstance.objects.filter(pk__in=[mine.pk, theirs.pk]),
            owner=service_agent,
            by=sales_rep,
        )
    assert ProcessInstance.objects.get(pk=mine.pk).owner == sales_rep
    assert not AuditEvent.objects.filter(action=AuditEvent.Action.BULK).exists()


def test_a_service_agent_may_not_close_a_sales_processes_tasks(
    persona_client, sales_process, customer, sales_rep, service_agent, personas_in_one_team
):
    deal = _open(sales_process, customer, sales_rep, "Deal")
    task = services.task_create(
        customer=customer,
        instance=deal,
        title="Call",
        assignee=sales_rep,
        due_on=timezone.localdate(),
        by=sales_rep,
    )
    client = persona_client(service_agent)
    response = _post(client, action="close_tasks", ids=[deal.pk])
    assert "Nothing was changed" in client.get(response["Location"]).content.decode()
    task.refresh_from_db()
    assert task.done_at is None


def test_too_many_processes_are_refused(
    persona_client, sales_process, customer, sales_rep, settings
):
    settings.BULK_ACTION_MAX_ROWS = 1
    deals = [_open(sales_process, customer, sales_rep, f"Deal {n}") for n in range(2)]
    client = persona_client(sales_rep)
    response = _post(client, action="assign", owner=sales_rep.pk, ids=[d.pk for d in deals])
    assert "at most 1 row at a time" in client.get(response["Location"]).content.decode()


def test_the_process_list_has_checkboxes_and_exports(
    persona_client, sales_process, customer, sales_rep
):
    _open(sales_process, customer, sales_rep, "Deal =1+1")
    client = persona_client(sales_rep)
    page = client.get(reverse("processes:instance_list")).content.decode()
    assert 'form="instance-bulk"' in page and 'data-select-all="instance-bulk"' in page
    response = client.get(reverse("processes:instance_list"), {"format": "csv"})
    body = b"".join(response.streaming_content).decode()
    assert "'Deal =1+1" not in body and "Deal =1+1" in body  # starts with D: not a formula
    assert "SMB sales" in body
