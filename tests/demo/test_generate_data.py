"""The data generator: the same seed gives the same data, and every history hangs together."""

import hashlib
import itertools
from datetime import date, timedelta
from decimal import Decimal
from io import StringIO

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db.models import Count, F, Max, Min, Q, Sum
from django.utils import timezone

from core.permissions import MANAGER, SALES
from customers.models import ContactPerson, Customer
from demo import datagen
from demo.datagen.billing import MAX_PERIODS
from demo.datagen.definitions import SEGMENTS
from demo.datagen.generator import DataGenerator
from demo.datagen.tables import INTERACTIONS, RELATIONSHIPS, TABLES
from processes.models import (
    Approval,
    CollectionCase,
    ProcessDefinition,
    ProcessInstance,
    RetentionCampaign,
    StageTransition,
    Task,
    Ticket,
    WorkLog,
)
from processes.services import sla_deadlines
from relationships.models import (
    Asset,
    Contract,
    Interaction,
    Invoice,
    Payment,
    Payout,
    Relationship,
)
from relationships.permissions import WRITE_OFF
from relationships.services import billing_periods

pytestmark = pytest.mark.django_db

TODAY = "2025-06-30"


def generate(*, customers=40, seed=7, batch=5000):
    out = StringIO()
    call_command(
        "generate_data",
        f"--customers={customers}",
        f"--seed={seed}",
        f"--batch={batch}",
        f"--today={TODAY}",
        stdout=out,
    )
    return out.getvalue()


def digest():
    """A fingerprint of everything generated, independent of primary keys and user ids."""
    fingerprint = hashlib.sha256()
    querysets = [
        Customer.objects.values_list(
            "kind",
            "display_name",
            "legal_name",
            "tax_id",
            "email",
            "phone",
            "street",
            "postal_code",
            "city",
            "country",
            "owner__username",
            "source",
            "first_contact_on",
            "status",
            "relationship_kind",
            "last_contact_at",
        ),
        Customer.segments.through.objects.values_list("customer__display_name", "segment__name"),
        ContactPerson.objects.values_list(
            "customer__display_name", "first_name", "last_name", "email", "phone", "is_primary"
        ),
        Relationship.objects.values_list(
            "customer__display_name", "status", "kind", "started_on", "ended_at", "end_reason"
        ),
        Interaction.objects.values_list(
            "customer__display_name",
            "relationship__started_on",
            "contact_person__last_name",
            "channel",
            "direction",
            "subject",
            "occurred_at",
            "created_by__username",
        ),
        Contract.objects.values_list(
            "customer__display_name",
            "number",
            "title",
            "value",
            "currency",
            "billing_period",
            "start_date",
            "end_date",
            "status",
            "signed_on",
            "terminated_at",
        ),
        Invoice.objects.values_list(
            "contract__number",
            "number",
            "issue_date",
            "amount",
            "paid_amount",
            "period_start",
            "written_off_at",
            "written_off_by__username",
        ),
        Payment.objects.values_list("invoice__number", "amount", "paid_on", "method", "reference"),
        Payout.objects.values_list(
            "customer__display_name", "kind", "amount", "status", "requested_at", "approved_at"
        ),
        Asset.objects.values_list("customer__display_name", "contract__number", "model", "status"),
        # Without the instances the services add at the end of a run (their times are "now").
        ProcessInstance.objects.exclude(approvals__isnull=False).values_list(
            "definition__name",
            "customer__display_name",
            "title",
            "stage__name",
            "amount",
            "accrued_cost",
            "opened_at",
            "closed_at",
            "stage_due_at",
            "last_activity_at",
            "owner__username",
        ),
        StageTransition.objects.exclude(instance__approvals__isnull=False).values_list(
            "instance__title", "from_stage__name", "to_stage__name", "at", "by__username"
        ),
        WorkLog.objects.values_list("instance__title", "minutes", "cost", "logged_at"),
        Ticket.objects.values_list(
            "instance__title", "priority", "response_due_at", "first_response_at", "resolved_at"
        ),
        CollectionCase.objects.values_list(
            "invoice__number", "balance_at_open", "reminders_sent", "instance__stage__name"
        ),
        Task.objects.values_list("customer__display_name", "title", "due_on"),
    ]
    for queryset in querysets:
        for row in queryset.order_by("pk"):
            fingerprint.update(repr(row).encode())
    return fingerprint.hexdigest()


def wipe():
    Task.objects.all().delete()
    ProcessInstance.objects.all().delete()
    RetentionCampaign.objects.all().delete()
    Asset.objects.all().delete()
    Payment.objects.all().delete()
    Invoice.objects.all().delete()
    Payout.objects.all().delete()
    Contract.objects.all().delete()
    Interaction.objects.all().delete()
    Relationship.objects.all().delete()
    ContactPerson.objects.all().delete()
    Customer.segments.through.objects.all().delete()
    Customer.objects.all().delete()


def local_day(moment):
    return timezone.localtime(moment).date()


@pytest.fixture
def generated():
    generate()
    return Customer.objects.all()


def test_the_same_seed_generates_the_same_data_whatever_the_batch_size():
    generate(seed=7)
    first = digest()
    wipe()
    generate(seed=7, batch=6)
    assert digest() == first


def test_different_seeds_generate_different_data():
    generate(seed=7)
    first = digest()
    wipe()
    generate(seed=8)
    assert digest() != first


def test_it_writes_the_asked_number_of_customers_with_their_history(generated):
    assert generated.count() == 40
    assert ContactPerson.objects.exists()
    assert Interaction.objects.count() > 40
    assert set(generated.values_list("kind", flat=True)) == {"person", "organisation"}
    assert set(generated.values_list("country", flat=True)) <= {"PL", "CZ", "GB"}
    assert len(set(generated.values_list("country", flat=True))) > 1


def test_every_customer_has_one_open_relationship_or_only_ended_ones(generated):
    counts = generated.annotate(
        total=Count("relationships"),
        open=Count("relationships", filter=~Q(relationships__status="ended")),
    )
    for customer in counts:
        assert customer.total >= 1
        assert customer.open <= 1


def test_some_customers_return_after_an_ended_relationship(generated):
    returning = generated.filter(relationships__status="ended").filter(
        pk__in=Relationship.objects.open().values("customer")
    )
    assert returning.exists()
    for customer in returning:
        ended = customer.relationships.filter(status="ended").latest("started_on")
        current = customer.relationships.open().get()
        assert local_day(ended.ended_at) < current.started_on


def test_the_customer_shows_its_latest_relationship_and_last_contact(generated):
    for customer in generated.annotate(last=Max("interactions__occurred_at")):
        latest = customer.relationships.order_by("-started_on", "-id").first()
        assert customer.status == latest.status
        assert customer.relationship_kind == latest.kind
        assert customer.last_contact_at == customer.last


def test_the_first_interaction_is_the_first_contact(generated):
    for customer in generated.annotate(first=Min("interactions__occurred_at")):
        assert local_day(customer.first) == customer.first_contact_on
        first = customer.interactions.order_by("occurred_at").first()
        assert first.relationship.started_on == customer.first_contact_on


def test_interactions_belong_to_the_relationship_open_at_the_time(generated):
    interactions = Interaction.objects.select_related(
        "customer", "contact_person"
    ).prefetch_related("customer__relationships")
    for interaction in interactions:
        assert local_day(interaction.occurred_at) >= interaction.customer.first_contact_on
        assert interaction.occurred_at <= timezone.now()
        open_then = [
            relationship.pk
            for relationship in interaction.customer.relationships.all()
            if relationship.started_on <= local_day(interaction.occurred_at)
            and (relationship.ended_at is None or interaction.occurred_at < relationship.ended_at)
        ]
        assert open_then == ([interaction.relationship_id] if interaction.relationship_id else [])
        if interaction.contact_person:
            assert interaction.contact_person.customer_id == interaction.customer_id


def test_ended_relationships_say_when_who_and_why(generated):
    ended = Relationship.objects.filter(status="ended")
    assert ended.exists()
    for relationship in ended:
        assert relationship.ended_at and relationship.ended_by
        assert relationship.end_reason in Relationship.EndReason.values
        if relationship.end_reason == Relationship.EndReason.OTHER:
            assert relationship.end_note
        assert relationship.ended_by.groups.filter(name=MANAGER).exists()
    assert not Relationship.objects.open().exclude(ended_at=None).exists()


def test_contacts_have_at_most_one_primary_and_consent_has_a_date(generated):
    assert not generated.filter(
        pk__in=ContactPerson.objects.filter(is_primary=True)
        .values("customer")
        .annotate(n=Count("pk"))
        .filter(n__gt=1)
        .values("customer")
    ).exists()
    assert not ContactPerson.objects.filter(marketing_consent=True, marketing_consent_at=None)
    for person in generated.filter(kind="person").annotate(n=Count("contacts")):
        assert person.n <= 1


def test_contacts_write_in_their_customers_countrys_language(generated):
    by_country = dict(
        ContactPerson.objects.values_list("customer__country")
        .annotate(languages=Count("language", distinct=True))
        .order_by()
    )
    assert set(by_country) == {"PL", "CZ", "GB"}
    assert set(by_country.values()) == {1}
    for country, language in (("PL", "pl"), ("CZ", "cs"), ("GB", "en")):
        contacts = ContactPerson.objects.filter(customer__country=country)
        assert set(contacts.values_list("language", flat=True)) == {language}


def test_identity_data_is_stored_normalised(generated):
    organisations = generated.filter(kind="organisation")
    assert not organisations.filter(tax_id="").exists()
    tax_ids = [tax_id for tax_id in generated.values_list("tax_id", flat=True) if tax_id]
    assert len(tax_ids) == len(set(tax_ids))
    for email in [
        *generated.values_list("email", flat=True),
        *ContactPerson.objects.values_list("email", flat=True),
    ]:
        assert email == email.lower()
    assert generated.exclude(phone="").exclude(phone_digits="").exists()


def test_owners_and_authors_are_the_users_holding_roles():
    rep = get_user_model().objects.create(username="rita")
    rep.groups.add(Group.objects.get_or_create(name=SALES)[0])
    boss = get_user_model().objects.create(username="max")
    boss.groups.add(Group.objects.get_or_create(name=MANAGER)[0])

    generate(customers=20)

    assert set(Customer.objects.values_list("owner__username", flat=True)) <= {"rita", "max"}
    assert set(Interaction.objects.values_list("created_by__username", flat=True)) <= {
        "rita",
        "max",
    }
    assert not get_user_model().objects.filter(username__startswith="gen_").exists()


def test_without_staff_it_creates_a_generated_team_that_cannot_log_in(generated):
    team = get_user_model().objects.filter(username__startswith="gen_")
    assert team.filter(groups__name=SALES).exists()
    assert team.filter(groups__name=MANAGER).exists()
    assert not any(user.has_usable_password() for user in team)
    assert set(generated.values_list("owner", flat=True)) <= set(team.values_list("pk", flat=True))


def test_a_second_run_adds_customers_and_the_app_can_insert_after_it(generated):
    generate(seed=8)

    assert generated.count() == 80
    tax_ids = [tax_id for tax_id in generated.values_list("tax_id", flat=True) if tax_id]
    assert len(tax_ids) == len(set(tax_ids))
    # The sequences were moved past the generated ids, so ordinary inserts do not collide.
    customer = Customer.objects.create(
        display_name="Walk-in", source="other", first_contact_on=date(2025, 6, 30)
    )
    Relationship.objects.create(customer=customer)
    Interaction.objects.create(customer=customer, channel="call", direction="inbound", subject="Hi")


def test_a_tax_id_already_taken_by_a_hand_entered_customer_is_left_out():
    generate(customers=5)
    taken = list(Customer.objects.exclude(tax_id="").values_list("tax_id", flat=True))
    wipe()
    Customer.objects.create(
        display_name="Typed in by hand",
        tax_id=taken[0],
        source="other",
        first_contact_on=date(2025, 1, 1),
    )

    generate(customers=5)

    assert Customer.objects.filter(tax_id=taken[0]).count() == 1


def test_it_reports_progress_per_batch():
    output = generate(customers=10, batch=4)

    assert "3/3" in output
    assert "rows/s" in output


def test_it_refuses_a_negative_seed():
    with pytest.raises(CommandError):
        call_command("generate_data", "--seed=-1", stdout=StringIO())


@pytest.mark.parametrize(
    ("text", "size"), [("1000", 1000), ("100k", 100_000), ("1M", 1_000_000), ("2.5k", 2500)]
)
def test_sizes_can_be_written_short(text, size):
    assert datagen.parse_size(text) == size


def test_in_a_large_sample_every_interaction_belongs_to_the_relationship_open_at_the_time():
    # Timings that are rare per customer need more customers than a database test can afford,
    # so this checks the generator's rows in memory.
    tz = timezone.get_current_timezone()
    generator = DataGenerator(
        seed=3,
        staff=datagen.Staff(owners=(1,), creators=(2,), authors=(3,), managers=(4,)),
        segments=dict.fromkeys(SEGMENTS, 1),
        today=date(2025, 6, 30),
        tz=tz,
        ids={table: itertools.count(1).__next__ for table in TABLES},
    )
    batch = generator.batch(range(3000))

    relationships = {}
    for row in batch.rows[RELATIONSHIPS]:
        fields = dict(zip(RELATIONSHIPS.columns, row, strict=True))
        relationships.setdefault(fields["customer_id"], []).append(fields)
    interactions = batch.rows[INTERACTIONS]
    assert len(interactions) > 30_000
    for row in interactions:
        interaction = dict(zip(INTERACTIONS.columns, row, strict=True))
        at = interaction["occurred_at"]
        open_then = [
            relationship["id"]
            for relationship in relationships[interaction["customer_id"]]
            if relationship["started_on"] <= at.astimezone(tz).date()
            and (relationship["ended_at"] is None or at < relationship["ended_at"])
        ]
        expected = [interaction["relationship_id"]] if interaction["relationship_id"] else []
        assert open_then == expected


# --- Billing ------------------------------------------------------------------------------------


def test_an_invoice_has_paid_exactly_the_sum_of_its_payments_and_never_more(generated):
    invoices = Invoice.objects.annotate(paid=Sum("payments__amount"))
    assert invoices.filter(paid_amount__gt=0).exists()
    for invoice in invoices:
        assert invoice.paid_amount == (invoice.paid or 0)
        assert 0 <= invoice.paid_amount <= invoice.amount
    for payment in Payment.objects.select_related("invoice"):
        assert payment.currency == payment.invoice.currency
        assert payment.invoice.issue_date <= payment.paid_on <= date.fromisoformat(TODAY)


def test_invoices_are_paid_late_unpaid_and_written_off_too():
    generate(customers=60)
    today = date.fromisoformat(TODAY)
    statuses = {invoice.status_on(today) for invoice in Invoice.objects.all()}
    assert {"paid", "overdue", "written_off"} <= statuses
    late = Invoice.objects.filter(payments__paid_on__gt=F("due_date"))
    assert late.exists()
    for invoice in Invoice.objects.exclude(written_off_at=None):
        assert invoice.written_off_by.groups.filter(name__in=WRITE_OFF.roles).exists()
        assert invoice.write_off_reason and invoice.paid_amount < invoice.amount


def test_a_signed_contract_belongs_to_an_active_customer_in_its_open_relationship(generated):
    signed = Contract.objects.exclude(status="draft").select_related("customer", "relationship")
    assert signed.exists()
    for contract in signed:
        assert contract.relationship.started_on <= contract.signed_on
        assert contract.relationship.status == "active"
        assert contract.customer.status == "active"
        if contract.status == "active" and contract.end_date:
            assert contract.end_date >= date.fromisoformat(TODAY)
    assert not Contract.objects.filter(customer__status="prospect").exclude(status="draft")
    assert not Contract.objects.filter(status="draft").exclude(signed_on=None)


def test_a_recurring_contract_has_one_invoice_per_started_period(generated):
    recurring = Contract.objects.exclude(status="draft").exclude(billing_period="one_off")
    assert recurring.exists()
    for contract in recurring:
        until = date.fromisoformat(TODAY)
        if contract.terminated_at:
            until = local_day(contract.terminated_at)
        periods = list(billing_periods(contract, until=until))
        invoiced = list(contract.invoices.order_by("period_start"))
        assert [(i.period_start, i.period_end) for i in invoiced] == periods
        assert len(periods) <= MAX_PERIODS
        for invoice in invoiced:
            assert invoice.number == f"{contract.number}/{invoice.period_start:%Y-%m-%d}"
            assert invoice.currency == contract.currency
            assert (invoice.due_date - invoice.issue_date).days == 14


def test_payouts_above_the_threshold_are_approved_by_another_manager(settings):
    generate(customers=60, seed=3)
    payouts = Payout.objects.filter(amount__gt=settings.PAYOUT_APPROVAL_THRESHOLD)
    assert payouts.exists()
    for payout in payouts.filter(status__in=["approved", "paid"]):
        assert payout.approved_by.groups.filter(name=MANAGER).exists()
        assert payout.approved_by_id != payout.requested_by_id


# --- Processes ----------------------------------------------------------------------------------


def test_process_definitions_are_created_once():
    generate(customers=5)
    generate(customers=5, seed=8)
    names = list(ProcessDefinition.objects.values_list("name", flat=True))
    assert len(names) == len(set(names)) == 6
    enterprise = ProcessDefinition.objects.get(name="Enterprise sales")
    assert enterprise.stages.count() == 8


def test_every_stage_of_both_sales_processes_has_cards():
    generate(customers=300, seed=1)
    for name in ("SMB sales", "Enterprise sales"):
        definition = ProcessDefinition.objects.get(name=name)
        for stage in definition.stages.all():
            assert stage.instances.exists(), (name, stage.name)


def test_the_transition_log_of_an_instance_ends_in_its_current_stage(generated):
    instances = ProcessInstance.objects.prefetch_related("transitions", "work")
    assert instances.exists()
    for instance in instances.select_related("stage", "definition"):
        log = sorted(instance.transitions.all(), key=lambda t: (t.at, t.pk))
        assert log[0].from_stage_id is None and log[0].at == instance.opened_at
        for before, after in itertools.pairwise(log):
            assert after.from_stage_id == before.to_stage_id
        assert log[-1].to_stage_id == instance.stage_id
        assert log[-1].at == instance.stage_entered_at
        assert instance.closed_at == (log[-1].at if instance.stage.outcome else None)
        assert instance.outcome == instance.stage.outcome
        entered = sum((t.to_stage.fixed_cost for t in log), Decimal(0))
        assert instance.accrued_cost == entered + sum((w.cost for w in instance.work.all()), 0)
        if instance.is_open and instance.stage.sla_hours:
            assert instance.stage_due_at == instance.stage_entered_at + timedelta(
                hours=instance.stage.sla_hours
            )


def test_tickets_follow_their_sla_and_some_breach_it():
    generate(customers=60)
    tickets = Ticket.objects.select_related("instance__definition")
    assert tickets.exists()
    for ticket in tickets:
        instance = ticket.instance
        due = sla_deadlines(
            definition=instance.definition, priority=ticket.priority, opened_at=instance.opened_at
        )
        assert (ticket.response_due_at, ticket.resolution_due_at) == due
        # The service queue's stored next deadline, as ticket_store_sla_due writes it.
        assert instance.sla_due_at == (ticket.next_deadline() if instance.is_open else None)
    assert any(ticket.response_breached() or ticket.resolution_breached() for ticket in tickets)
    assert any(ticket.instance.sla_due_at for ticket in tickets)


def test_collection_cases_chase_overdue_invoices_once():
    generate(customers=60)
    cases = CollectionCase.objects.select_related("invoice", "instance")
    assert cases.exists()
    for case in cases:
        assert case.instance.customer_id == case.invoice.customer_id
        assert case.invoice.due_date < local_day(case.instance.opened_at)
        assert 0 < case.balance_at_open <= case.invoice.amount
    assert not Approval.objects.exclude(action="discount").exists()


def test_payments_carry_their_invoices_customer(generated):
    assert Payment.objects.filter(invoice__customer__in=generated).exists()
    assert not Payment.objects.exclude(customer=F("invoice__customer")).exists()
