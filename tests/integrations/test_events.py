"""Each domain event is published by the service where it happens, inside its transaction,
with a small JSON-safe payload."""

import json
from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import transaction
from django.utils import timezone

from core import events
from customers.models import Customer
from integrations.models import WebhookDelivery, WebhookSubscription
from processes import services as process_services
from processes.models import Approval
from relationships import services as relationship_services
from relationships.models import Interaction, Relationship
from tests.factories import InvoiceFactory


def only(published, name):
    [event] = [event for event in published if event.name == name]
    json.dumps(event.data)  # JSON-safe as it is
    return event


def test_registering_a_customer_publishes_customer_created(published, sales_rep):
    customer = relationship_services.customer_register(
        customer=Customer(
            display_name="Nowak Sp. z o.o.",
            email="biuro@nowak.example",
            source=Customer.Source.REFERRAL,
            first_contact_on=timezone.localdate(),
        ),
        first_contact={
            "channel": Interaction.Channel.CALL,
            "direction": Interaction.Direction.INBOUND,
            "subject": "Asked for an offer",
        },
        by=sales_rep,
    )
    event = only(published, events.CUSTOMER_CREATED)
    assert event.key == f"customer:{customer.pk}"
    assert event.data["customer_id"] == customer.pk
    assert event.data["display_name"] == "Nowak Sp. z o.o."
    assert event.data["owner_id"] == sales_rep.pk
    assert event.data["source"] == "referral"
    assert event.data["first_contact_on"] == timezone.localdate().isoformat()


def test_ending_a_relationship_publishes_relationship_ended(published, customer, manager):
    relationship = Relationship.objects.get(customer=customer)
    relationship_services.relationship_end(
        relationship=relationship, reason=Relationship.EndReason.values[0], by=manager
    )
    event = only(published, events.RELATIONSHIP_ENDED)
    assert event.data["relationship_id"] == relationship.pk
    assert event.data["customer_id"] == customer.pk
    assert event.data["ended_by_id"] == manager.pk
    assert event.data["end_reason"] == Relationship.EndReason.values[0]


def test_registering_a_payment_publishes_payment_received_with_amounts_as_strings(
    published, customer, finance_clerk
):
    invoice = InvoiceFactory(customer=customer, amount=Decimal("300.00"))
    payment = relationship_services.payment_register(
        invoice=invoice,
        amount=Decimal("120.50"),
        currency="PLN",
        paid_on=timezone.localdate(),
        method="bank_transfer",
        by=finance_clerk,
    )
    event = only(published, events.PAYMENT_RECEIVED)
    assert event.data["payment_id"] == payment.pk
    assert event.data["amount"] == "120.50"
    assert event.data["invoice_balance"] == "179.50"
    assert event.data["currency"] == "PLN"


def test_a_refused_payment_publishes_nothing(published, customer, finance_clerk):
    invoice = InvoiceFactory(customer=customer, amount=Decimal("100.00"))
    with pytest.raises(Exception):  # noqa: B017 (the overpayment's ValidationError)
        relationship_services.payment_register(
            invoice=invoice,
            amount=Decimal("500.00"),
            currency="PLN",
            paid_on=timezone.localdate(),
            method="bank_transfer",
            by=finance_clerk,
        )
    assert published == []


def test_moving_a_process_publishes_stage_changed(published, opportunity, sales_rep):
    to_stage = opportunity.definition.stages.get(name="Qualified")
    process_services.instance_move(instance=opportunity, to_stage=to_stage, by=sales_rep)
    event = only(published, events.PROCESS_STAGE_CHANGED)
    assert event.data["process_id"] == opportunity.pk
    assert event.data["from_stage"]["name"] == "Lead"
    assert event.data["to_stage"] == {"id": to_stage.pk, "name": "Qualified", "code": ""}
    assert event.data["closed"] is False
    assert event.data["moved_by_id"] == sales_rep.pk


def test_deciding_an_approval_publishes_approval_decided(
    published, opportunity, sales_rep, manager
):
    approval = process_services.opportunity_set_discount(
        instance=opportunity, percent=25, reason="Big order", by=sales_rep
    )
    process_services.approval_reject(approval=approval, by=manager, comment="Too much")
    event = only(published, events.APPROVAL_DECIDED)
    assert event.data["approval_id"] == approval.pk
    assert event.data["decision"] == Approval.Decision.REJECTED
    assert event.data["decided_by_id"] == manager.pk
    assert event.data["value"] == "25.00"


def test_an_invoice_going_to_collections_publishes_invoice_overdue(
    published, collections_process, overdue_invoice
):
    [case] = process_services.collection_cases_open_overdue(today=timezone.localdate())
    event = only(published, events.INVOICE_OVERDUE)
    assert event.key == f"invoice:{overdue_invoice.pk}:overdue"
    assert event.data["invoice_id"] == overdue_invoice.pk
    assert event.data["balance"] == "500.00"
    assert event.data["due_date"] == overdue_invoice.due_date.isoformat()
    assert event.data["collection_case_id"] == case.pk


def test_the_watch_publishes_each_ticket_breach_once(published, ticket):
    now = ticket.resolution_due_at + timedelta(minutes=1)
    process_services.processes_watch(now=now)
    process_services.processes_watch(now=now)
    breaches = [event for event in published if event.name == events.TICKET_SLA_BREACHED]
    assert sorted(event.data["breached"] for event in breaches) == ["resolution", "response"]
    assert {event.data["ticket_id"] for event in breaches} == {ticket.pk}


def test_a_registered_customer_reaches_a_subscription_after_the_commit(
    manager, receiver, sales_rep, django_capture_on_commit_callbacks
):
    WebhookSubscription.objects.create(
        name="Website", owner=manager, target_url=receiver.url, events=["customer.created"]
    )
    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        customer = relationship_services.customer_register(
            customer=Customer(
                display_name="Kowalski",
                source=Customer.Source.EVENT,
                first_contact_on=timezone.localdate(),
            ),
            first_contact={
                "channel": Interaction.Channel.MEETING,
                "direction": Interaction.Direction.INBOUND,
                "subject": "Fair",
            },
            by=sales_rep,
        )
        assert receiver.requests == []  # not before the commit
    [request] = receiver.requests
    body = json.loads(request["body"])
    assert body["event"] == "customer.created"
    assert body["data"]["customer_id"] == customer.pk
    assert WebhookDelivery.objects.get().state == WebhookDelivery.State.DELIVERED
