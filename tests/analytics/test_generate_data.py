"""The data generator: the same seed gives the same data, and every history hangs together."""

import hashlib
import itertools
from datetime import date
from io import StringIO

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db.models import Count, Max, Min, Q
from django.utils import timezone

from analytics import datagen
from customers import roles
from customers.models import ContactPerson, Customer
from relationships.models import Interaction, Relationship

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
    ]
    for queryset in querysets:
        for row in queryset.order_by("pk"):
            fingerprint.update(repr(row).encode())
    return fingerprint.hexdigest()


def wipe():
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
        assert relationship.ended_by.groups.filter(name=roles.MANAGER).exists()
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
    rep.groups.add(Group.objects.get_or_create(name=roles.SALES)[0])
    boss = get_user_model().objects.create(username="max")
    boss.groups.add(Group.objects.get_or_create(name=roles.MANAGER)[0])

    generate(customers=20)

    assert set(Customer.objects.values_list("owner__username", flat=True)) <= {"rita", "max"}
    assert set(Interaction.objects.values_list("created_by__username", flat=True)) <= {
        "rita",
        "max",
    }
    assert not get_user_model().objects.filter(username__startswith="gen_").exists()


def test_without_staff_it_creates_a_generated_team_that_cannot_log_in(generated):
    team = get_user_model().objects.filter(username__startswith="gen_")
    assert team.filter(groups__name=roles.SALES).exists()
    assert team.filter(groups__name=roles.MANAGER).exists()
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
    generator = datagen.DataGenerator(
        seed=3,
        staff=datagen.Staff(owners=(1,), creators=(2,), authors=(3,), managers=(4,)),
        segments=dict.fromkeys(datagen.SEGMENTS, 1),
        today=date(2025, 6, 30),
        tz=tz,
        ids={table: itertools.count(1).__next__ for table in datagen.TABLES},
    )
    batch = generator.batch(range(3000))

    relationships = {}
    for row in batch.rows[datagen.RELATIONSHIPS]:
        fields = dict(zip(datagen.RELATIONSHIPS.columns, row, strict=True))
        relationships.setdefault(fields["customer_id"], []).append(fields)
    interactions = batch.rows[datagen.INTERACTIONS]
    assert len(interactions) > 30_000
    for row in interactions:
        interaction = dict(zip(datagen.INTERACTIONS.columns, row, strict=True))
        at = interaction["occurred_at"]
        open_then = [
            relationship["id"]
            for relationship in relationships[interaction["customer_id"]]
            if relationship["started_on"] <= at.astimezone(tz).date()
            and (relationship["ended_at"] is None or at < relationship["ended_at"])
        ]
        expected = [interaction["relationship_id"]] if interaction["relationship_id"] else []
        assert open_then == expected
