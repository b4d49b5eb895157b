from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from customers.models import Customer
from relationships import services
from relationships.models import Interaction, Relationship
from tests.factories import ContactPersonFactory

pytestmark = pytest.mark.django_db


def _new_customer(**overrides):
    data = {
        "display_name": "Nowak sp. z o.o.",
        "tax_id": "PL 527-000-00-01",
        "email": "Biuro@Nowak.pl",
        "source": Customer.Source.MAILING,
        "first_contact_on": timezone.localdate() - timedelta(days=3),
        **overrides,
    }
    return Customer(**data)


def test_registering_a_customer_starts_a_relationship_and_records_the_first_contact(sales_rep):
    customer = services.customer_register(
        customer=_new_customer(),
        first_contact={"channel": "mailing", "direction": "outbound", "subject": "Spring mailing"},
        by=sales_rep,
    )
    relationship = customer.relationships.get()
    assert relationship.status == Relationship.Status.PROSPECT
    assert relationship.started_on == customer.first_contact_on
    first = customer.interactions.get()
    assert (first.subject, first.created_by, first.relationship) == (
        "Spring mailing",
        sales_rep,
        relationship,
    )
    customer.refresh_from_db()
    assert customer.tax_id == "PL5270000001"
    assert customer.owner == sales_rep
    assert customer.status == Customer.Status.PROSPECT
    assert customer.last_contact_at == first.occurred_at


def test_registering_an_invalid_customer_saves_nothing(sales_rep):
    with pytest.raises(ValidationError):
        services.customer_register(
            customer=_new_customer(display_name=""),
            first_contact={"channel": "call", "direction": "inbound", "subject": "Hello"},
            by=sales_rep,
        )
    assert Customer.objects.count() == 0
    assert Relationship.objects.count() == 0


def test_an_invalid_first_contact_rolls_back_the_customer(sales_rep):
    with pytest.raises(ValidationError):
        services.customer_register(
            customer=_new_customer(),
            first_contact={"channel": "pigeon", "direction": "inbound", "subject": "Hello"},
            by=sales_rep,
        )
    assert not Customer.objects.exists()


def test_a_customer_has_at_most_one_open_relationship_in_the_database(customer):
    with pytest.raises(IntegrityError), transaction.atomic():
        Relationship.objects.create(customer=customer)


def test_starting_a_second_open_relationship_is_refused(customer, sales_rep):
    with pytest.raises(ValidationError, match="already has an open relationship"):
        services.relationship_start(customer=customer, by=sales_rep)
    assert customer.relationships.count() == 1


def test_ending_a_relationship_requires_a_reason(customer, manager):
    relationship = customer.relationships.get()
    with pytest.raises(ValidationError):
        services.relationship_end(relationship=relationship, reason="", by=manager)
    relationship.refresh_from_db()
    assert relationship.is_open


def test_other_as_end_reason_requires_a_note(customer, manager):
    relationship = customer.relationships.get()
    with pytest.raises(ValidationError):
        services.relationship_end(relationship=relationship, reason="other", note="  ", by=manager)
    relationship.refresh_from_db()
    assert relationship.is_open


def test_the_database_refuses_an_ended_relationship_without_a_reason(customer):
    relationship = customer.relationships.get()
    with pytest.raises(IntegrityError), transaction.atomic():
        Relationship.objects.filter(pk=relationship.pk).update(
            status="ended", ended_at=timezone.now()
        )


def test_ending_records_who_when_and_why_and_marks_the_customer(customer, manager):
    relationship = services.relationship_end(
        relationship=customer.relationships.get(),
        reason=Relationship.EndReason.MOVED_TO_COMPETITOR,
        note="Cheaper offer",
        by=manager,
    )
    assert relationship.status == Relationship.Status.ENDED
    assert relationship.ended_by == manager
    assert relationship.ended_at is not None
    customer.refresh_from_db()
    assert customer.status == Customer.Status.ENDED


def test_an_ended_relationship_cannot_be_ended_twice(customer, manager):
    relationship = customer.relationships.get()
    services.relationship_end(relationship=relationship, reason="closed", by=manager)
    with pytest.raises(ValidationError, match="already ended"):
        services.relationship_end(relationship=relationship, reason="closed", by=manager)


def test_a_returning_customer_starts_a_new_relationship_and_keeps_its_history(
    customer, manager, sales_rep
):
    services.interaction_log(
        customer=customer, by=sales_rep, channel="call", direction="outbound", subject="Old call"
    )
    services.relationship_end(
        relationship=customer.relationships.get(), reason="competitor", by=manager
    )
    new = services.relationship_start(
        customer=customer, kind=Relationship.Kind.CASUAL, by=sales_rep
    )
    assert customer.relationships.count() == 2
    assert new.is_open and new.kind == Relationship.Kind.CASUAL
    assert customer.interactions.filter(subject="Old call").exists()
    customer.refresh_from_db()
    assert (customer.status, customer.relationship_kind) == ("prospect", "casual")


def test_activating_a_prospect(customer, sales_rep):
    relationship = services.relationship_activate(
        relationship=customer.relationships.get(), by=sales_rep
    )
    assert relationship.status == Relationship.Status.ACTIVE
    customer.refresh_from_db()
    assert customer.status == Customer.Status.ACTIVE
    with pytest.raises(ValidationError):
        services.relationship_activate(relationship=relationship, by=sales_rep)


def test_logging_an_interaction_attaches_it_to_the_open_relationship_and_moves_last_contact(
    customer, sales_rep
):
    contact = ContactPersonFactory(customer=customer)
    now = timezone.now()
    interaction = services.interaction_log(
        customer=customer,
        by=sales_rep,
        channel="call",
        direction="outbound",
        subject="Offer",
        contact_person=contact,
        occurred_at=now,
    )
    assert interaction.relationship == customer.relationships.get()
    services.interaction_log(
        customer=customer,
        by=sales_rep,
        channel="email",
        direction="inbound",
        subject="Older",
        occurred_at=now - timedelta(days=30),
    )
    customer.refresh_from_db()
    assert customer.last_contact_at == now


def test_an_interaction_with_another_customers_contact_is_refused(customer, sales_rep):
    stranger = ContactPersonFactory()
    with pytest.raises(ValidationError):
        services.interaction_log(
            customer=customer,
            by=sales_rep,
            channel="call",
            direction="outbound",
            subject="x",
            contact_person=stranger,
        )
    assert not Interaction.objects.exists()


def test_no_scheduled_job_ends_a_relationship(customer, sales_rep, settings):
    # Years of silence, then every job on the beat schedule runs: the relationship stays open
    # until a person ends it.
    from crm.celery import app

    app.loader.import_default_modules()
    services.interaction_log(
        customer=customer,
        by=sales_rep,
        channel="call",
        direction="outbound",
        subject="Long ago",
        occurred_at=timezone.now() - timedelta(days=3 * 365),
    )
    assert settings.CELERY_BEAT_SCHEDULE
    for entry in settings.CELERY_BEAT_SCHEDULE.values():
        app.tasks[entry["task"]].apply().get()
    assert customer.relationships.get().is_open
