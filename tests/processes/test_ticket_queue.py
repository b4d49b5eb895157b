"""The service queue's stored next deadline (ProcessInstance.sla_due_at): right after every
write that sets a ticket's deadlines or meets one, empty once closed, filled for existing rows
by the migration, and the order the home and the ticket list read from it."""

import importlib
from datetime import timedelta

import pytest
from django.apps import apps
from django.contrib.admin.sites import site
from django.db import IntegrityError, connection, transaction
from django.urls import reverse
from django.utils import timezone

from processes import services
from processes.models import ProcessInstance, Ticket
from tests.factories import ContactPersonFactory, CustomerFactory, ProcessDefinitionFactory

from .conftest import stage

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("personas_in_one_team")]

NOW = timezone.now().replace(microsecond=0)


def open_ticket(definition, by, *, priority="normal", at=None, subject="Printer jams"):
    customer = CustomerFactory()
    return services.ticket_open(
        definition=definition,
        customer=customer,
        subject=subject,
        description="…",
        priority=priority,
        contact_person=ContactPersonFactory(customer=customer),
        by=by,
        at=at,
    )


def stored(ticket):
    return ProcessInstance.objects.values_list("sla_due_at", flat=True).get(pk=ticket.pk)


# --- Every write path ---------------------------------------------------------------------


def test_opening_a_ticket_stores_its_response_deadline(standard_support, service_agent):
    ticket = open_ticket(standard_support, service_agent, priority="high", at=NOW)

    # High: a response within 4 hours; the New stage's own 4-hour deadline is not an SLA one.
    assert stored(ticket) == ticket.response_due_at == NOW + timedelta(hours=4)
    assert ticket.instance.sla_due_at == stored(ticket)


def test_the_first_response_moves_it_to_the_resolution_deadline(standard_support, service_agent):
    ticket = open_ticket(standard_support, service_agent, priority="high", at=NOW)

    services.ticket_record_first_response(
        ticket=ticket, by=service_agent, at=NOW + timedelta(hours=1)
    )

    assert stored(ticket) == ticket.resolution_due_at == NOW + timedelta(hours=16)


def test_a_late_first_response_still_leaves_only_the_resolution_deadline(
    standard_support, service_agent
):
    ticket = open_ticket(standard_support, service_agent, priority="urgent", at=NOW)
    late = NOW + timedelta(hours=3)  # urgent: response within 2 hours

    services.ticket_record_first_response(ticket=ticket, by=service_agent, at=late)

    ticket.refresh_from_db()
    assert ticket.response_breached()  # a breach on record for good...
    assert stored(ticket) == ticket.resolution_due_at  # ...but the next deadline is this one


def test_moving_between_working_stages_keeps_it(standard_support, service_agent):
    ticket = open_ticket(standard_support, service_agent, at=NOW)
    before = stored(ticket)

    services.instance_move(
        instance=ticket.instance, to_stage=stage(standard_support, "In progress"), by=service_agent
    )
    services.instance_move(
        instance=ticket.instance, to_stage=stage(standard_support, "New"), by=service_agent
    )

    assert stored(ticket) == before == ticket.response_due_at


@pytest.mark.parametrize("ending", ["Resolved", "Cancelled"])
def test_closing_a_ticket_clears_it_for_good(standard_support, service_agent, ending):
    ticket = open_ticket(standard_support, service_agent)

    services.instance_move(
        instance=ticket.instance,
        to_stage=stage(standard_support, ending),
        by=service_agent,
        reason="Done",
    )

    assert stored(ticket) is None
    # No path reopens a closed process, so nothing can give it a deadline again.
    with pytest.raises(Exception, match="closed"):
        services.instance_move(
            instance=ticket.instance, to_stage=stage(standard_support, "New"), by=service_agent
        )
    with pytest.raises(Exception, match="closed"):
        services.ticket_record_first_response(ticket=ticket, by=service_agent)
    assert stored(ticket) is None


def test_a_ticket_without_an_sla_and_other_processes_have_none(
    service_agent, sales_rep, opportunity
):
    no_sla = ProcessDefinitionFactory(name="Internal support", kind="support")

    ticket = open_ticket(no_sla, service_agent)

    assert (ticket.response_due_at, ticket.resolution_due_at) == (None, None)
    assert stored(ticket) is None
    assert ProcessInstance.objects.get(pk=opportunity.pk).sla_due_at is None


def test_a_changed_definition_sla_leaves_open_tickets_as_they_were(
    standard_support, service_agent, manager
):
    """Deadlines are copied when a ticket opens (processes.services.definitions), so the
    stored next deadline of an open ticket stays with them."""
    from tests.processes.test_definition_service import update

    ticket = open_ticket(standard_support, service_agent, priority="high", at=NOW)
    before = stored(ticket)

    update(standard_support, manager, slas={"high": (1, 2), "normal": (8, 40)})

    assert stored(ticket) == before
    later = open_ticket(standard_support, service_agent, priority="high", at=NOW)
    assert stored(later) == NOW + timedelta(hours=1)


def test_editing_a_ticket_process_keeps_it(standard_support, service_agent):
    ticket = open_ticket(standard_support, service_agent)
    before = stored(ticket)

    services.instance_update(instance=ticket.instance, data={"title": "Printer still jams"})

    assert stored(ticket) == before


def test_the_admin_editing_a_deadline_moves_the_ticket(
    rf, admin_user, standard_support, service_agent
):
    ticket = open_ticket(standard_support, service_agent, at=NOW)
    ticket.response_due_at = NOW - timedelta(hours=1)
    request = rf.post("/admin/")
    request.user = admin_user

    site._registry[Ticket].save_model(request, ticket, form=None, change=True)

    assert stored(ticket) == NOW - timedelta(hours=1)


def test_the_database_refuses_a_closed_process_with_a_deadline(standard_support, service_agent):
    ticket = open_ticket(standard_support, service_agent)
    services.instance_move(
        instance=ticket.instance,
        to_stage=stage(standard_support, "Resolved"),
        by=service_agent,
        reason="Done",
    )

    with pytest.raises(IntegrityError), transaction.atomic():
        ProcessInstance.objects.filter(pk=ticket.pk).update(sla_due_at=NOW)


# --- The order ----------------------------------------------------------------------------


@pytest.fixture
def queue(standard_support, service_agent):
    """Tickets in every state the queue orders, by name."""
    made = {
        # Normal: response 8 h, resolution 40 h.
        "unanswered, 2 h late": open_ticket(
            standard_support, service_agent, at=NOW - timedelta(hours=10)
        ),
        "answered, resolution 1 h late": open_ticket(
            standard_support, service_agent, at=NOW - timedelta(hours=41)
        ),
        "answered late, resolution in 30 h": open_ticket(
            standard_support, service_agent, at=NOW - timedelta(hours=10)
        ),
        "unanswered, due in 1 h": open_ticket(
            standard_support, service_agent, at=NOW - timedelta(hours=7)
        ),
        "answered, resolution in 20 h": open_ticket(
            standard_support, service_agent, at=NOW - timedelta(hours=20)
        ),
        "no SLA": open_ticket(
            ProcessDefinitionFactory(name="Internal support", kind="support"), service_agent
        ),
    }
    for name, at in [
        ("answered, resolution 1 h late", NOW - timedelta(hours=40)),
        ("answered late, resolution in 30 h", NOW - timedelta(hours=1)),
        ("answered, resolution in 20 h", NOW - timedelta(hours=19)),
    ]:
        services.ticket_record_first_response(ticket=made[name], by=service_agent, at=at)
    closed = open_ticket(standard_support, service_agent, at=NOW - timedelta(hours=50))
    services.instance_move(
        instance=closed.instance,
        to_stage=stage(standard_support, "Resolved"),
        by=service_agent,
        reason="Done",
    )
    made["closed"] = closed
    return {ticket.pk: name for name, ticket in made.items()}


def test_the_queue_puts_breaches_first_then_the_next_deadlines_then_tickets_without_one(queue):
    ordered = ProcessInstance.objects.open().by_sla_deadline(now=NOW)

    assert [(queue[row.pk], row.sla_breached) for row in ordered] == [
        ("unanswered, 2 h late", True),  # the longest past first
        ("answered, resolution 1 h late", True),
        ("unanswered, due in 1 h", False),
        ("answered, resolution in 20 h", False),
        # Past a deadline for good (sla_breach_q), but what is left is in time: by that.
        ("answered late, resolution in 30 h", False),
        ("no SLA", False),
    ]


def test_it_differs_from_the_old_breach_rule_only_for_a_late_answer_with_time_left(queue):
    """The old queue sorted every ticket sla_breach_q calls breached first; the stored
    deadline drops a first response given late once it is given."""
    old = set(ProcessInstance.objects.open().sla_breached(now=NOW).values_list("pk", flat=True))
    new = set(
        ProcessInstance.objects.open().filter(sla_due_at__lt=NOW).values_list("pk", flat=True)
    )

    assert {queue[pk] for pk in old - new} == {"answered late, resolution in 30 h"}
    assert new <= old


def test_the_service_home_counts_and_lists_the_queue_from_the_stored_deadline(
    persona_client, service_agent, queue
):
    client = persona_client(service_agent)

    response = client.get(reverse("home"))

    block = next(
        b for section in response.context["sections"] for b in section.blocks if b.key == "tickets"
    )
    assert block.count == 6  # the closed one is not in the queue
    assert "2 past an SLA deadline" in block.note
    shown = [row.pk for row in block.rows]
    assert [queue[pk] for pk in shown[:2]] == [
        "unanswered, 2 h late",
        "answered, resolution 1 h late",
    ]
    listed = client.get(block.url).context["page"]
    assert [row.pk for row in listed][: len(shown)] == shown


def test_the_ticket_list_sorted_by_sla_ends_with_closed_tickets(
    persona_client, service_agent, queue
):
    response = persona_client(service_agent).get(
        reverse("processes:ticket_list"), {"ordering": "sla"}
    )

    names = [queue[row.pk] for row in response.context["page"]]
    assert names[0] == "unanswered, 2 h late"
    assert set(names[-2:]) == {"no SLA", "closed"}


# --- Existing rows ------------------------------------------------------------------------


def test_the_migration_fills_every_open_ticket_and_only_those(queue, opportunity):
    migration = importlib.import_module("processes.migrations.0015_ticket_sla_due")
    expected = {
        instance.pk: instance.sla_due_at for instance in ProcessInstance.objects.only("sla_due_at")
    }
    assert any(expected.values())
    ProcessInstance.objects.filter(closed_at__isnull=True).update(sla_due_at=None)

    migration.fill_sla_due(apps, connection.schema_editor())  # the editor is not used

    filled = dict(ProcessInstance.objects.values_list("pk", "sla_due_at"))
    assert filled == expected
    for ticket in Ticket.objects.select_related("instance"):
        assert filled[ticket.pk] == (ticket.next_deadline() if ticket.instance.is_open else None)
