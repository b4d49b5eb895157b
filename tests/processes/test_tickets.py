"""Support tickets: the priority sets response and resolution deadlines per definition, so the
standard and 24/7 variants differ; first response and resolution are recorded; breaches show."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from processes import services
from processes.models import ProcessInstance, Ticket
from tests.factories import AssetFactory, ContactPersonFactory, CustomerFactory

from .conftest import stage

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("personas_in_one_team")]


@pytest.mark.parametrize(
    ("variant", "priority", "response", "resolution"),
    [
        ("standard_support", "low", 24, 120),
        ("standard_support", "urgent", 2, 8),
        ("support_24_7", "low", 8, 48),
        ("support_24_7", "urgent", 1, 4),
    ],
)
def test_deadlines_follow_priority_and_variant(
    request, customer, service_agent, variant, priority, response, resolution
):
    definition = request.getfixturevalue(variant)
    opened = timezone.now().replace(microsecond=0)
    ticket = services.ticket_open(
        definition=definition,
        customer=customer,
        subject="Down",
        description="Nothing prints",
        priority=priority,
        by=service_agent,
        at=opened,
    )
    assert ticket.response_due_at == opened + timedelta(hours=response)
    assert ticket.resolution_due_at == opened + timedelta(hours=resolution)


def test_first_response_is_recorded_once(ticket, service_agent, manager):
    services.ticket_record_first_response(ticket=ticket, by=service_agent)
    ticket.refresh_from_db()
    assert ticket.first_response_by == service_agent
    with pytest.raises(Exception, match="already"):
        services.ticket_record_first_response(ticket=ticket, by=manager)


def test_resolving_records_the_resolution_time(ticket, standard_support, service_agent):
    services.instance_move(
        instance=ticket.instance,
        to_stage=stage(standard_support, "Resolved"),
        by=service_agent,
        reason="Replaced the roller",
    )
    ticket.refresh_from_db()
    assert ticket.resolved_at == ticket.instance.closed_at
    assert ticket.instance.outcome == "resolved"


def test_a_late_response_is_a_breach_even_after_it_is_given(ticket, service_agent):
    late = ticket.response_due_at + timedelta(minutes=5)
    assert ticket.response_breached(now=late)
    services.ticket_record_first_response(ticket=ticket, by=service_agent, at=late)
    ticket.refresh_from_db()
    assert ticket.response_breached()
    assert not ticket.resolution_breached(now=ticket.resolution_due_at - timedelta(minutes=1))


def test_breaches_show_in_the_list_and_on_the_ticket(
    persona_client, service_agent, standard_support, customer
):
    long_ago = timezone.now() - timedelta(days=3)
    late = services.ticket_open(
        definition=standard_support,
        customer=customer,
        subject="Late one",
        description="x",
        priority="urgent",
        by=service_agent,
        at=long_ago,
    )
    services.ticket_open(
        definition=standard_support,
        customer=customer,
        subject="Fresh one",
        description="x",
        priority="low",
        by=service_agent,
    )
    client = persona_client(service_agent)
    response = client.get(reverse("processes:ticket_list"), {"breached": "on"})
    assert [i.title for i in response.context["page"]] == ["Late one"]
    assert "breached" in response.content.decode()
    body = client.get(late.instance.get_absolute_url()).content.decode()
    assert "response SLA breached" in body
    assert "resolution SLA breached" in body


@pytest.mark.parametrize("rows", [3, 30])
def test_ticket_list_query_count_does_not_grow(
    persona_client, service_agent, standard_support, django_assert_max_num_queries, rows
):
    for i in range(rows):
        services.ticket_open(
            definition=standard_support,
            customer=CustomerFactory(),
            subject=f"T{i}",
            description="x",
            priority="normal",
            by=service_agent,
        )
    client = persona_client(service_agent)
    # +2: the saved views and the user's teams (core.lists, the list's tools)
    with django_assert_max_num_queries(10):
        response = client.get(reverse("processes:ticket_list"))
    assert len(response.context["page"]) == min(rows, 25)


def test_a_service_agent_opens_a_ticket_from_the_customer(
    persona_client, service_agent, standard_support, customer
):
    contact = ContactPersonFactory(customer=customer)
    asset = AssetFactory(customer=customer)
    response = persona_client(service_agent).post(
        reverse("processes:ticket_create", args=[customer.pk]),
        {
            "definition": standard_support.pk,
            "subject": "Toner smears",
            "description": "Every page",
            "priority": "high",
            "contact_person": contact.pk,
            "asset": asset.pk,
            "owner": service_agent.pk,
        },
    )
    ticket = Ticket.objects.get()
    assert response.url == ticket.instance.get_absolute_url()
    assert (ticket.contact_person, ticket.asset, ticket.priority) == (contact, asset, "high")
    assert ticket.response_due_at is not None


def test_a_ticket_form_refuses_another_customers_people_and_bad_input(
    persona_client, service_agent, standard_support, customer
):
    stranger = ContactPersonFactory(customer=CustomerFactory())
    response = persona_client(service_agent).post(
        reverse("processes:ticket_create", args=[customer.pk]),
        {
            "definition": standard_support.pk,
            "subject": "",
            "description": "x",
            "priority": "whenever",
            "contact_person": stranger.pk,
        },
    )
    assert {"subject", "priority", "contact_person"} <= set(response.context["form"].errors)
    assert not Ticket.objects.exists()


def test_recording_the_first_response_from_the_ticket_page(persona_client, service_agent, ticket):
    response = persona_client(service_agent).post(
        reverse("processes:ticket_respond", args=[ticket.pk])
    )
    assert response.status_code == 302
    ticket.refresh_from_db()
    assert ticket.first_response_at is not None


def test_a_ticket_closed_before_its_deadlines_has_not_breached_them(
    persona_client, service_agent, standard_support, customer
):
    long_ago = timezone.now() - timedelta(days=3)
    cancelled = services.ticket_open(
        definition=standard_support,
        customer=customer,
        subject="Cancelled in time",
        description="x",
        priority="urgent",
        by=service_agent,
        at=long_ago,
    )
    services.instance_move(
        instance=cancelled.instance,
        to_stage=stage(standard_support, "Cancelled"),
        reason="Customer withdrew it",
        by=service_agent,
        at=long_ago + timedelta(hours=1),
    )
    cancelled.refresh_from_db()
    assert cancelled.response_due_at < timezone.now()  # both deadlines are gone by now
    assert not cancelled.response_breached()
    assert not cancelled.resolution_breached()
    assert not ProcessInstance.objects.sla_breached(now=timezone.now()).exists()
    client = persona_client(service_agent)
    response = client.get(reverse("processes:ticket_list"), {"breached": "on"})
    assert list(response.context["page"]) == []
    body = client.get(cancelled.instance.get_absolute_url()).content.decode()
    assert "SLA breached" not in body


def test_a_ticket_closed_after_a_deadline_it_missed_has_breached_it(
    ticket, standard_support, service_agent
):
    closing = ticket.resolution_due_at + timedelta(minutes=5)
    services.instance_move(
        instance=ticket.instance,
        to_stage=stage(standard_support, "Cancelled"),
        reason="Customer withdrew it",
        by=service_agent,
        at=closing,
    )
    ticket.refresh_from_db()
    assert ticket.response_breached()
    assert ticket.resolution_breached()
    assert ProcessInstance.objects.sla_breached(now=closing).get() == ticket.instance
