"""Merging duplicate customers and contact persons: the service (customers.merging)."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from analytics.models import CustomerScore
from core.models import AuditEvent
from customers.merging import contact_merge, customer_merge, merge_questions
from customers.models import (
    ContactPerson,
    Customer,
    CustomerMerge,
    CustomerValue,
    DuplicateSuggestion,
)
from processes import services as process_services
from processes.models import ProcessInstance, Task
from relationships.models import (
    Asset,
    Contract,
    Document,
    Interaction,
    Invoice,
    Payment,
    Payout,
    Relationship,
)
from tests.factories import (
    AssetFactory,
    ContactPersonFactory,
    ContractFactory,
    CustomerFactory,
    DocumentFactory,
    InteractionFactory,
    InvoiceFactory,
    PaymentFactory,
    PayoutFactory,
    ProcessDefinitionFactory,
    SegmentFactory,
)

pytestmark = pytest.mark.django_db

# The customer's own value row stays with it (test_customer_value.py).
SKIPPED = {CustomerMerge, CustomerValue, DuplicateSuggestion, Customer}


def _with_one_of_everything(customer, user):
    """One record of every kind attached to `customer`, built with the factories."""
    contact = ContactPersonFactory(customer=customer, is_primary=True)
    InteractionFactory(customer=customer, contact_person=contact)
    ContractFactory(customer=customer)
    invoice = InvoiceFactory(customer=customer)
    PaymentFactory(invoice=invoice)
    PayoutFactory(customer=customer)
    AssetFactory(customer=customer)
    DocumentFactory(customer=customer)
    instance = process_services.instance_open(
        definition=ProcessDefinitionFactory(kind="sales"),
        customer=customer,
        title="Printers",
        by=user,
        amount=1000,
        currency="PLN",
    )
    Task.objects.create(
        customer=customer,
        instance=instance,
        title="Call back",
        assignee=user,
        due_on=timezone.localdate(),
        created_by=user,
    )
    CustomerScore.objects.create(
        customer=customer,
        computed_at=timezone.now(),
        as_of=timezone.localdate(),
        parameters=_parameters(),
        currency="PLN",
        ltv=Decimal("10"),
        net_revenue_12m=Decimal("10"),
        overdue_amount=Decimal("0"),
        interactions_90d=1,
        open_tickets=0,
    )
    customer.segments.add(SegmentFactory(name=f"Segment of {customer.pk}"))
    _with_emails(customer, contact, user)
    return contact


def _with_emails(customer, contact, user):
    """An e-mail written to the customer and a mailing it received (the mail app)."""
    from customers.models import ConsentPurpose
    from mail.models import EmailMessage, Mailing, MailingRecipient, MailTemplate

    EmailMessage.objects.create(
        direction=EmailMessage.Direction.OUTBOUND,
        status=EmailMessage.Status.SENT,
        customer=customer,
        contact_person=contact,
        message_id=f"<merge-{customer.pk}@crm.test>",
        thread_id=f"<merge-{customer.pk}@crm.test>",
        from_address="crm@crm.test",
        to_addresses=[contact.email or "someone@example.test"],
        subject="Offer",
    )
    template, _ = MailTemplate.objects.get_or_create(
        name="Spring offer",
        language="en",
        defaults={"purpose": "mailing", "subject": "Offer", "body": "Hello"},
    )
    mailing = Mailing.objects.create(
        name=f"Mailing for {customer.pk}",
        purpose=ConsentPurpose.objects.first(),
        template=template,
        segment=customer.segments.first(),
        created_by=user,
    )
    MailingRecipient.objects.create(
        mailing=mailing,
        contact=contact,
        customer=customer,
        address=contact.email or "someone@example.test",
        language="en",
        message_id=f"<mailing-{customer.pk}@crm.test>",
    )


def _parameters():
    from analytics.models import ScoringParameters

    return ScoringParameters.objects.first() or ScoringParameters.objects.create()


def _related_counts(customer):
    counts = {}
    for relation in Customer._meta.related_objects:
        if relation.related_model in SKIPPED or relation.many_to_many:
            continue
        counts[relation.related_model._meta.label_lower] = (
            relation.related_model._base_manager.filter(**{relation.field.name: customer}).count()
        )
    counts["segments"] = customer.segments.count()
    return counts


def _merge(survivor, merged, by, **kwargs):
    kwargs.setdefault("values", {})
    return customer_merge(survivor=survivor, merged=merged, by=by, **kwargs)


def test_every_related_record_moves_to_the_survivor(manager):
    survivor = CustomerFactory(display_name="Acme Ltd", relationship=False)
    merged = CustomerFactory(display_name="ACME Limited")
    _with_one_of_everything(survivor, manager)
    _with_one_of_everything(merged, manager)
    before = _related_counts(merged)
    # CustomerQuality (analytics) is computed per customer at night, not moved.
    assert all(count for label, count in before.items() if label != "analytics.customerquality")

    _merge(survivor, merged, manager)

    left = _related_counts(merged)
    assert not any(left.values()), left
    after = _related_counts(survivor)
    assert after[Interaction._meta.label_lower] == 2
    assert after[Contract._meta.label_lower] == 2
    assert after[Invoice._meta.label_lower] == 2
    assert after[Payment._meta.label_lower] == 2
    assert after[Payout._meta.label_lower] == 2
    assert after[Asset._meta.label_lower] == 2
    assert after[Document._meta.label_lower] == 2
    assert after[ProcessInstance._meta.label_lower] == 2
    assert after[Task._meta.label_lower] == 2
    assert after[ContactPerson._meta.label_lower] == 2
    assert after["mail.emailmessage"] == 2
    assert after["mail.mailingrecipient"] == 2
    assert after[Relationship._meta.label_lower] == 1
    assert after[CustomerScore._meta.label_lower] == 2
    assert after["segments"] == 2
    # One primary contact and one current score per customer: the survivor's stay.
    assert survivor.contacts.filter(is_primary=True).count() == 1
    assert CustomerScore.objects.filter(customer=survivor, is_current=True).count() == 1


def test_the_merged_customer_stays_marked_merged_into_the_survivor(manager):
    survivor, merged = CustomerFactory(), CustomerFactory(relationship=False)
    record = _merge(survivor, merged, manager)
    merged.refresh_from_db()
    assert merged.status == Customer.Status.MERGED
    assert merged.merged_into == survivor
    assert record.merged == merged and record.survivor == survivor
    assert record.merged_by == manager
    assert Customer.objects.current().filter(pk=merged.pk).count() == 0


def test_the_survivor_takes_the_chosen_values_and_the_merge_records_them(manager):
    survivor = CustomerFactory(display_name="Acme", tax_id="", city="Warsaw")
    merged = CustomerFactory(
        display_name="Acme Sp. z o.o.", tax_id="PL5260250274", city="Kraków", relationship=False
    )
    record = _merge(
        survivor,
        merged,
        manager,
        values={"display_name": "Acme Sp. z o.o.", "tax_id": "PL5260250274", "city": "Warsaw"},
    )
    survivor.refresh_from_db()
    assert survivor.display_name == "Acme Sp. z o.o."
    assert survivor.tax_id == "PL5260250274"  # the merged one keeps its own, for the record
    assert survivor.city == "Warsaw"
    assert record.values["display_name"] == ["Acme", "Acme Sp. z o.o.", "Acme Sp. z o.o."]
    assert record.values["city"] == ["Warsaw", "Kraków", "Warsaw"]


def test_a_chosen_date_is_merged_and_recorded(manager):
    """The merge record's values hold a date (first contact): written to the audit on SQLite as on
    PostgreSQL, not refused by the JSON encoder (QA: every merge of customers first met on
    different days answered 500 under `make run`)."""
    survivor = CustomerFactory(first_contact_on=date(2021, 3, 1))
    merged = CustomerFactory(first_contact_on=date(2019, 10, 15), relationship=False)
    record = _merge(survivor, merged, manager, values={"first_contact_on": date(2019, 10, 15)})
    survivor.refresh_from_db()
    assert survivor.first_contact_on == date(2019, 10, 15)
    record.refresh_from_db()
    assert record.values["first_contact_on"] == ["2021-03-01", "2019-10-15", "2019-10-15"]
    assert AuditEvent.objects.filter(model="customers.customermerge").exists()


def test_two_open_relationships_need_the_users_choice(manager):
    survivor, merged = CustomerFactory(), CustomerFactory()
    assert "keep_relationship" in merge_questions(survivor, merged)
    with pytest.raises(ValidationError) as error:
        _merge(survivor, merged, manager)
    assert "keep_relationship" in error.value.message_dict
    merged.refresh_from_db()
    assert merged.status != Customer.Status.MERGED  # nothing happened


def test_the_relationship_not_chosen_ends_with_the_reason_merged(manager):
    survivor, merged = CustomerFactory(), CustomerFactory()
    kept = merged.relationships.get()
    ended = survivor.relationships.get()
    record = _merge(survivor, merged, manager, options={"keep_relationship": kept.pk})
    ended.refresh_from_db()
    kept.refresh_from_db()
    assert ended.status == Relationship.Status.ENDED
    assert ended.end_reason == Relationship.EndReason.MERGED
    assert ended.ended_by == manager
    assert kept.is_open and kept.customer == survivor
    assert record.notes == [{"ended_relationship": ended.pk, "kept_relationship": kept.pk}]
    survivor.refresh_from_db()
    assert survivor.status == kept.status


def test_the_survivor_keeps_the_latest_contact_of_both(manager):
    recent = timezone.now() - timedelta(days=1)
    survivor = CustomerFactory(last_contact_at=recent - timedelta(days=30))
    merged = CustomerFactory(last_contact_at=recent, relationship=False)
    _merge(survivor, merged, manager)
    survivor.refresh_from_db()
    assert survivor.last_contact_at == recent


def test_a_customer_already_merged_cannot_be_merged_again(manager):
    survivor, merged, third = (
        CustomerFactory(),
        CustomerFactory(relationship=False),
        CustomerFactory(relationship=False),
    )
    _merge(survivor, merged, manager)
    with pytest.raises(ValidationError, match="already been merged"):
        _merge(third, merged, manager)
    with pytest.raises(ValidationError, match="already been merged"):
        _merge(merged, third, manager)


def test_a_customer_changed_since_the_screen_was_opened_is_refused(manager):
    survivor, merged = CustomerFactory(), CustomerFactory(relationship=False)
    seen = {survivor.pk: survivor.updated_at, merged.pk: merged.updated_at}
    Customer.objects.filter(pk=merged.pk).update(
        city="Gdańsk", updated_at=timezone.now() + timedelta(seconds=1)
    )
    with pytest.raises(ValidationError, match="changed by someone else"):
        _merge(survivor, merged, manager, versions=seen)


def test_merging_into_a_customer_carries_its_earlier_merges_along(manager):
    first, second, third = (
        CustomerFactory(),
        CustomerFactory(relationship=False),
        CustomerFactory(relationship=False),
    )
    _merge(second, third, manager)
    _merge(first, second, manager)
    third.refresh_from_db()
    assert third.merged_into == first  # its pages lead straight to the final survivor


def test_only_users_who_may_change_both_customers_merge_them(sales_rep, manager):
    own = CustomerFactory(owner=sales_rep)
    others = CustomerFactory(owner=manager, relationship=False)
    with pytest.raises(ValidationError, match="both of them"):
        _merge(own, others, sales_rep)


def test_pending_suggestions_about_the_merged_customer_go(manager):
    survivor, merged = CustomerFactory(), CustomerFactory(relationship=False)
    first, second = sorted((survivor, merged), key=lambda c: c.pk)
    DuplicateSuggestion.objects.create(first=first, second=second, reasons=["email"])
    _merge(survivor, merged, manager)
    assert not DuplicateSuggestion.objects.exists()


def test_contact_persons_merge_with_their_references(manager):
    customer = CustomerFactory()
    keep = ContactPersonFactory(customer=customer, first_name="Anna", phone="")
    twin = ContactPersonFactory(customer=customer, first_name="Ania", phone="+48 600 100 200")
    call = InteractionFactory(customer=customer, contact_person=twin)
    contact_merge(survivor=keep, merged=twin, values={"phone": "+48 600 100 200"}, by=manager)
    keep.refresh_from_db()
    twin.refresh_from_db()
    call.refresh_from_db()
    assert call.contact_person == keep
    assert keep.phone == "+48 600 100 200" and keep.first_name == "Anna"
    assert twin.merged_into == keep and not twin.is_active


def test_contact_persons_of_different_customers_are_not_merged(manager):
    one, two = ContactPersonFactory(), ContactPersonFactory()
    with pytest.raises(ValidationError, match="same customer"):
        contact_merge(survivor=one, merged=two, values={}, by=manager)
