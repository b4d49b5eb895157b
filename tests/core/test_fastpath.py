"""core.fastpath: compiled statements give what the plain ORM gives, shape by shape, both ways.

After a Django upgrade these tests are the first to run (see core/fastpath.py's docstring).
"""

from datetime import date, datetime, timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.db.models import Count, F, Sum, Value
from django.db.models.functions import Length, Upper
from django.utils import timezone

from core import fastpath, lists
from core.auth import ProfileModelBackend
from core.models import Team, UserProfile
from core.permissions import ROLES_CACHE_ATTRIBUTE, user_roles
from customers.models import ContactPerson, Customer, Segment
from processes import services as process_services
from processes.context_processors import unread_count
from processes.models import Notification, StageTransition
from relationships import services
from relationships.models import Asset, Interaction, Invoice
from tests.factories import (
    AssetFactory,
    ContactPersonFactory,
    CustomerFactory,
    InteractionFactory,
    InvoiceFactory,
    PaymentFactory,
    ProcessDefinitionFactory,
    SegmentFactory,
)

pytestmark = pytest.mark.django_db


class Rows(fastpath.CompiledRows):
    model = Customer


class Counts(fastpath.CompiledCounts):
    model = Customer


def _contacts(customer):
    return (
        ContactPerson.objects.filter(customer=customer)
        # The customer's value row: a reverse one-to-one, as the customer page reads it.
        .select_related("customer__owner", "customer__value")
        .order_by("last_name", "id")
    )


def _transitions(customer):
    return StageTransition.objects.filter(instance__customer=customer).select_related(
        "instance__definition", "from_stage", "to_stage", "by"
    )


# Every shape the callers use, and the neighbouring ones a caller could write next:
# (queryset(customer, **moments), {moment: type}). Each is compared with the plain ORM.
SHAPES = {
    "model": (lambda c: ContactPerson.objects.filter(customer=c).order_by("id"), {}),
    "meta ordering": (lambda c: ContactPerson.objects.filter(customer=c), {}),
    "many-to-many join": (lambda c: Segment.objects.filter(customers=c).order_by("name"), {}),
    "nullable select_related": (
        lambda c: Customer.objects.filter(pk=c).select_related("owner", "created_by"),
        {},
    ),
    "select_related chain": (_contacts, {}),
    "select_related chains through a joined filter, sliced": (
        lambda c: _transitions(c).order_by("-at", "-id")[:50],
        {},
    ),
    "nulls-last order, sliced": (
        lambda c: (
            Asset.objects.filter(customer=c)
            .select_related("contract")
            .order_by(F("installed_on").desc(nulls_last=True), "-id")[:50]
        ),
        {},
    ),
    "only()": (lambda c: ContactPerson.objects.filter(customer=c).only("last_name"), {}),
    "only() across select_related": (
        lambda c: (
            ContactPerson.objects.filter(customer=c)
            .select_related("customer__owner")
            .only("last_name", "customer__display_name", "customer__owner__username")
            .order_by("id")
        ),
        {},
    ),
    "defer() with select_related": (
        lambda c: (
            Interaction.objects.filter(customer=c)
            .select_related("created_by", "contact_person")
            .defer("notes", "contact_person__email")
            .order_by("-occurred_at", "-id")
        ),
        {},
    ),
    "annotated instances": (
        lambda c: (
            ContactPerson.objects.filter(customer=c)
            .select_related("customer")
            .annotate(shout=Upper("last_name"), one=Value(1))
            .order_by("id")
        ),
        {},
    ),
    "values(), annotation named first": (
        lambda c: (
            ContactPerson.objects.filter(customer=c)
            .annotate(n=Length("last_name"))
            .values("n", "last_name")
            .order_by("id")
        ),
        {},
    ),
    "values(), annotation named last": (
        lambda c: (
            ContactPerson.objects.filter(customer=c)
            .annotate(n=Length("last_name"))
            .values("last_name", "n")
            .order_by("id")
        ),
        {},
    ),
    "values() then annotate()": (
        lambda c: (
            ContactPerson.objects.filter(customer=c)
            .values("last_name", "customer__display_name")
            .annotate(n=Length("last_name"))
            .order_by("last_name")
        ),
        {},
    ),
    "values() grouped, aggregate named first": (
        lambda c: (
            Invoice.objects.filter(customer=c)
            .values("currency")
            .annotate(total=Sum("amount"), invoices=Count("id"))
            .values("total", "currency", "invoices")
            .order_by("currency")
        ),
        {},
    ),
    "values() grouped with a date moment (the money summary)": (
        lambda c, today: Invoice.objects.filter(customer=c).currency_sums(today=today),
        {"today": date},
    ),
    "a datetime moment in a filter": (
        lambda c, since: _transitions(c).filter(at__gte=since).order_by("-at", "-id")[:50],
        {"since": datetime},
    ),
}


def _shape(rows):
    """Everything a caller can see of the rows: types, loaded and deferred fields, annotations,
    select_related objects (recursively), the keys of dicts in their order."""

    def one(obj, seen=()):
        if obj is None:
            return None
        if isinstance(obj, dict):
            return [(key, type(value), value) for key, value in obj.items()]
        if any(obj is other for other in seen):
            # A one-to-one's object points back at the one it was read with (customer.value
            # and value.customer): the same object, not another copy.
            return ("back to", type(obj))
        seen = (*seen, obj)
        return {
            "type": type(obj),
            "db": obj._state.db,
            "adding": obj._state.adding,
            "deferred": obj.get_deferred_fields(),
            "values": [
                (name, type(value), value)
                for name, value in obj.__dict__.items()
                if not name.startswith("_")
            ],
            "related": {
                name: one(related, seen)
                for name, related in sorted(obj._state.fields_cache.items())
            },
        }

    assert isinstance(rows, list)
    return [one(row) for row in rows]


@pytest.fixture
def rich_customer(sales_rep, manager):
    """A customer with something for every shape: nulls and values, two currencies, an ended
    relationship, a process moved twice."""
    now = timezone.now()
    today = timezone.localdate()
    customer = CustomerFactory(owner=sales_rep, ltv=Decimal("1234.50"), ltv_currency="PLN")
    customer.segments.add(SegmentFactory(name="VIP"), SegmentFactory(name="Retail"))
    first = ContactPersonFactory(customer=customer, last_name="Zeta", phone="+48 600 100 200")
    ContactPersonFactory(customer=customer, last_name="Alpha", marketing_consent_at=now)
    ContactPersonFactory(customer=customer, last_name="Mu", is_primary=True, is_active=False)
    InteractionFactory(customer=customer, created_by=sales_rep, contact_person=first, notes="x")
    InteractionFactory(customer=customer, created_by=None, occurred_at=now - timedelta(days=3))
    AssetFactory(customer=customer, installed_on=None)
    AssetFactory(customer=customer, installed_on=today - timedelta(days=5))
    overdue = InvoiceFactory(
        customer=customer,
        amount=Decimal("300.00"),
        issue_date=today - timedelta(days=20),
        due_date=today - timedelta(days=6),
    )
    PaymentFactory(invoice=overdue, amount=Decimal("100.00"))
    InvoiceFactory(customer=customer, currency="EUR", amount=Decimal("99.99"))
    services.relationship_end(
        relationship=customer.relationships.get(), reason="closed", by=manager
    )
    definition = ProcessDefinitionFactory(kind="sales")
    instance = process_services.instance_open(
        definition=definition, customer=customer, title="Printers", by=sales_rep
    )
    for name in ("Qualified", "Won"):
        process_services.instance_move(
            instance=instance, to_stage=definition.stages.get(name=name), by=manager, reason="ok"
        )
    return customer


def _moments(kinds):
    values = {date: timezone.localdate(), datetime: timezone.now() - timedelta(days=1)}
    return {name: values[kind] for name, kind in kinds.items()}


@pytest.mark.parametrize("shape", SHAPES, ids=list(SHAPES))
def test_each_shape_gives_what_the_plain_orm_gives_both_ways(shape, rich_customer, settings):
    queryset, kinds = SHAPES[shape]
    moments = _moments(kinds)
    expected = list(queryset(rich_customer.pk, **moments))
    assert expected, "a shape compared over no rows proves nothing"
    rows = Rows(queryset, **kinds)

    settings.CRM_FAST_PATH = True
    fast = rows(rich_customer, **moments)
    again = rows(rich_customer.pk, **moments)  # compiled by now; by primary key
    settings.CRM_FAST_PATH = False
    plain = rows(rich_customer, **moments)

    assert _shape(fast) == _shape(expected)
    assert _shape(again) == _shape(expected)
    assert _shape(plain) == _shape(expected)


def test_values_keep_the_order_values_names_them_on_the_fast_path(rich_customer):
    rows = Rows(
        lambda c: (
            ContactPerson.objects.filter(customer=c)
            .annotate(n=Length("last_name"))
            .values("n", "last_name")
            .order_by("last_name")
        )
    )
    assert [list(row.items()) for row in rows(rich_customer)] == [
        [("n", 5), ("last_name", "Alpha")],
        [("n", 2), ("last_name", "Mu")],
        [("n", 4), ("last_name", "Zeta")],
    ]


def test_rows_are_the_instances_the_orm_builds_with_their_related_objects(sales_rep):
    customer = CustomerFactory(owner=sales_rep, ltv=Decimal("1234.50"))
    ContactPersonFactory(customer=customer, last_name="B", marketing_consent_at=timezone.now())
    ContactPersonFactory(customer=customer, last_name="A")

    rows = Rows(_contacts)(customer)

    assert [row.last_name for row in rows] == ["A", "B"]
    assert rows[0].marketing_consent_at is None
    assert not rows[0]._state.adding
    # select_related objects are there, converted as the ORM converts them.
    assert rows[0].customer.ltv == Decimal("1234.50")
    assert rows[0].customer.owner == sales_rep


@pytest.mark.usefixtures("fast_path")
def test_rows_are_fetched_again_for_each_customer_in_one_query(django_assert_num_queries):
    fetch = Rows(_contacts)
    first = CustomerFactory(owner=None)
    second = CustomerFactory(owner=None)
    ContactPersonFactory(customer=first, last_name="First")
    ContactPersonFactory(customer=second, last_name="Second")
    fetch(first)  # compiled here, for whichever customer asks first

    with django_assert_num_queries(1):
        rows = fetch(second)
        assert rows[0].customer.owner is None  # a missing select_related object
    assert [row.last_name for row in rows] == ["Second"]

    ContactPersonFactory(customer=first, last_name="Later")
    assert [row.last_name for row in fetch(first)] == ["First", "Later"]


@pytest.mark.usefixtures("fast_path")
def test_a_customer_without_rows_gets_an_empty_list():
    assert Rows(_contacts)(CustomerFactory()) == []


@pytest.mark.usefixtures("fast_path")
def test_a_moment_varies_between_calls_while_the_statement_stays_compiled():
    customer = CustomerFactory()
    now = timezone.now()
    ContactPersonFactory(
        customer=customer, last_name="Old", marketing_consent_at=now - timedelta(days=9)
    )
    ContactPersonFactory(customer=customer, last_name="New", marketing_consent_at=now)
    since = Rows(
        lambda customer, since: _contacts(customer).filter(marketing_consent_at__gte=since),
        since=datetime,
    )
    assert [c.last_name for c in since(customer, since=now - timedelta(days=1))] == ["New"]
    assert [c.last_name for c in since(customer, since=now - timedelta(days=10))] == ["New", "Old"]

    first_contact = Rows(
        lambda customer, day: (
            Customer.objects.filter(pk=customer, first_contact_on__lte=day)
            .values("display_name")
            .annotate(contacts=Count("contacts"))
        ),
        day=date,
    )
    day = customer.first_contact_on
    assert first_contact(customer, day=day) == [
        {"display_name": customer.display_name, "contacts": 2}
    ]
    assert first_contact(customer, day=day - timedelta(days=1)) == []


@pytest.mark.parametrize(
    "queryset, moments",
    [
        (lambda c: _contacts(c).prefetch_related("customer__segments"), {}),
        (lambda c: _contacts(c).values_list("last_name"), {}),
        (lambda c, since: _contacts(c), {"since": datetime}),  # a moment it does not use
    ],
    ids=["prefetch", "values_list", "unused moment"],
)
def test_what_the_fast_path_cannot_do_is_refused(queryset, moments):
    rows = Rows(queryset, **moments)
    with pytest.raises(ValueError):
        rows(CustomerFactory(), **_moments(moments))


def test_a_related_managers_queryset_is_refused_on_the_fast_path():
    customer = CustomerFactory()
    # The customer's own related manager would hand each row its customer without a query;
    # the compiled statement could not, so it refuses rather than give other objects.
    rows = Rows(lambda pk: customer.contacts.all())
    with pytest.raises(ValueError):
        rows(customer)


@pytest.mark.parametrize("fast", [True, False], ids=["fast", "plain"])
def test_counts_are_one_statement_both_ways(
    fast, rich_customer, settings, django_assert_num_queries
):
    settings.CRM_FAST_PATH = fast
    counts = Counts(
        lambda customer: {
            "contacts": ContactPerson.objects.filter(customer=customer),
            "active_contacts": ContactPerson.objects.filter(customer=customer, is_active=True),
            "assets": Asset.objects.filter(customer=customer),
            "invoices": Invoice.objects.filter(customer=customer),
            "payments": Invoice.objects.filter(customer=customer, payments__isnull=False),
        }
    )
    counts(CustomerFactory())  # compiled (on the fast path) for another customer

    with django_assert_num_queries(1):
        found = counts(rich_customer)

    assert list(found.items()) == [
        ("contacts", 3),
        ("active_contacts", 2),
        ("assets", 2),
        ("invoices", 2),
        ("payments", 1),
    ]
    assert counts(Customer(pk=-1)) == dict.fromkeys(found, 0)


def test_the_plain_way_needs_none_of_the_internals(settings, monkeypatch):
    customer = CustomerFactory()
    ContactPersonFactory(customer=customer, last_name="Only")
    rows = Rows(_contacts)

    def broken(*args, **kwargs):
        raise TypeError("as a Django upgrade could break it")

    # As if an upgrade had changed what the fast path calls: switching it off still works.
    monkeypatch.setattr(fastpath, "get_related_populators", broken)
    monkeypatch.setattr(fastpath, "statement_cursor", broken)
    with pytest.raises(TypeError):
        rows(customer)
    settings.CRM_FAST_PATH = False
    assert [row.last_name for row in rows(customer)] == ["Only"]
    assert Counts(lambda c: {"contacts": ContactPerson.objects.filter(customer=c)})(customer) == {
        "contacts": 1
    }


def test_a_changed_internal_signature_is_reported_by_the_system_check(settings, monkeypatch):
    assert fastpath.check_internals() == []

    def get_related_populators(klass_info, select, db, fetch_mode):  # as in Django 6.1
        raise AssertionError("only its signature is read")

    monkeypatch.setitem(
        fastpath._SIGNATURES,
        "django.db.models.query.get_related_populators",
        (get_related_populators, ["klass_info", "select", "db"]),
    )
    errors = fastpath.check_internals()
    assert [error.id for error in errors] == ["core.E002"]
    assert "get_related_populators(klass_info, select, db)" in errors[0].msg
    assert "(klass_info, select, db, fetch_mode)" in errors[0].msg

    settings.CRM_FAST_PATH = False  # the plain way needs none of them
    assert fastpath.check_internals() == []


def test_a_compiled_statement_is_prepared_on_the_server_after_its_fifth_run(sales_rep):
    if connection.vendor != "postgresql":
        pytest.skip("prepared statements are PostgreSQL's")
    customers = [CustomerFactory(owner=sales_rep) for _ in range(6)]
    ContactPersonFactory(customer=customers[-1], last_name="Last")
    fetch = Rows(lambda customer: ContactPerson.objects.filter(customer=customer).order_by("id"))

    def prepared():
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT count(*) FROM pg_prepared_statements WHERE statement LIKE %s",
                ["%customers_contactperson%"],
            )
            return cursor.fetchone()[0]

    rows = [fetch(customer) for customer in customers]

    assert prepared() == 1
    # Prepared or not, each call still reads its own customer's rows.
    assert [len(r) for r in rows] == [0, 0, 0, 0, 0, 1]
    assert rows[-1][0].last_name == "Last"
    # Django's own queries keep binding on the client: never prepared.
    for customer in customers:
        list(ContactPerson.objects.filter(customer=customer))
    assert prepared() == 1


# --- ModelCheck: full_clean() for many rows ---------------------------------------------------

CHECKED_CUSTOMERS = [
    {"display_name": "Omicron", "source": "other", "kind": "organisation", "city": "Kraków"},
    {"display_name": "", "source": "other", "kind": "organisation"},
    {"display_name": "x" * 201, "source": "nowhere", "kind": "organisation", "city": "Kraków"},
    {"display_name": "Pi", "source": "other", "kind": "organisation", "email": "not an e-mail"},
    {"display_name": "Rho", "source": "other", "kind": "organisation", "email": "rho@example.com"},
    {
        "display_name": "Rho",
        "source": "other",
        "kind": "robot",
        "first_contact_on": date(1900, 1, 1),
    },
    {
        "display_name": "Sigma",
        "source": "other",
        "kind": "person",
        "tax_id": "pl 123",
        "city": "Kraków",
    },
]


def _full_clean(model, values, exclude):
    from django.core.exceptions import ValidationError

    instance = model(**values)
    try:
        instance.full_clean(exclude=exclude, validate_unique=False, validate_constraints=False)
    except ValidationError as error:
        return {name: [e.messages for e in errors] for name, errors in error.error_dict.items()}
    return {}


@pytest.mark.usefixtures("fast_path")
def test_a_model_check_finds_what_full_clean_finds_again_and_again():
    check = fastpath.ModelCheck(Customer, exclude=["owner", "created_by"])
    rows = [{"first_contact_on": date(2020, 5, 6), **values} for values in CHECKED_CUSTOMERS]
    # Twice: the second round answers the repeated valid values from memory.
    for values in rows + rows:
        found = {name: [e.messages for e in errors] for name, errors in check(values).items()}
        assert found == _full_clean(Customer, values, ["owner", "created_by"]), values
    assert _full_clean(Customer, rows[0], ["owner", "created_by"]) == {}
    assert set(check(rows[2])) == {"display_name", "source"}


@pytest.mark.usefixtures("fast_path")
def test_a_model_check_runs_the_models_own_clean(monkeypatch):
    from django.core.exceptions import ValidationError

    def refuse(self):
        if self.last_name == "Nobody":
            raise ValidationError({"last_name": "No such person."})

    monkeypatch.setattr(ContactPerson, "clean", refuse)
    check = fastpath.ModelCheck(ContactPerson, exclude=["customer"])

    assert check({"first_name": "Ada", "last_name": "Lovelace"}) == {}
    assert [
        e.messages for e in check({"first_name": "Ada", "last_name": "Nobody"})["last_name"]
    ] == [["No such person."]]


def _per_user(user):
    """What a page reads of the user asking for it (core.fastpath.UserRows, UserCounts)."""
    backend = ProfileModelBackend()
    loaded = backend.get_user(str(user.pk))  # as the session holds it
    if hasattr(loaded, ROLES_CACHE_ATTRIBUTE):
        delattr(loaded, ROLES_CACHE_ATTRIBUTE)
    return {
        "user": (loaded.pk, loaded.username, getattr(loaded, "crm_profile", None)),
        "roles": user_roles(loaded),
        "views": [(v.name, v.owner.username, v.team and v.team.name) for v in views_for(loaded)],
        "teams": [team.name for team in lists.teams_of(loaded)],
        "unread": unread_count(loaded),
    }


def views_for(user):
    return lists.views_for(user, "customers")


def test_what_every_page_reads_of_its_user_is_the_same_both_ways(
    settings, sales_rep, service_agent, manager
):
    UserProfile.objects.update_or_create(user=sales_rep, defaults={"language": "pl"})
    team = Team.objects.create(name="Warsaw")
    team.members.add(sales_rep, service_agent)
    lists.saved_view_create(
        owner=sales_rep, list_key="customers", name="Warsaw A", query="grade=A", team=team
    )
    lists.saved_view_create(owner=sales_rep, list_key="customers", name="Mine", query="grade=B")
    lists.saved_view_create(owner=manager, list_key="invoices", name="Other list", query="")
    for n in range(3):
        Notification.objects.create(
            recipient=sales_rep, kind=Notification.Kind.STALL_WARNING, occurrence=f"e:{n}"
        )

    expected = {
        sales_rep: {
            "user": (sales_rep.pk, "sally_sales", "pl"),
            "roles": frozenset({"sales"}),
            "views": [("Mine", "sally_sales", None), ("Warsaw A", "sally_sales", "Warsaw")],
            "teams": ["Warsaw"],
            "unread": 3,
        },
        service_agent: {
            "user": (service_agent.pk, "sam_service", ""),
            "roles": frozenset({"service"}),
            "views": [("Warsaw A", "sally_sales", "Warsaw")],
            "teams": ["Warsaw"],
            "unread": 0,
        },
        manager: {
            "user": (manager.pk, "mike_manager", ""),
            "roles": frozenset({"manager"}),
            "views": [],
            "teams": [],
            "unread": 0,
        },
    }
    for fast in (True, False, True):  # compiled for the first user, reused for the others
        settings.CRM_FAST_PATH = fast
        for user, figures in expected.items():
            found = _per_user(user)
            profile = found["user"][2]
            found["user"] = (*found["user"][:2], profile.language if profile else "")
            assert found == figures, (fast, user.username)


@pytest.mark.usefixtures("fast_path")
@pytest.mark.parametrize("session_id", ["abc", "", "99999999999999999999", "-1"])
def test_a_session_naming_no_user_of_ours_loads_no_user(session_id, sales_rep):
    assert ProfileModelBackend().get_user(session_id) is None


@pytest.mark.usefixtures("fast_path")
def test_an_inactive_user_is_not_loaded_from_the_session(sales_rep):
    sales_rep.is_active = False
    sales_rep.save()
    assert ProfileModelBackend().get_user(sales_rep.pk) is None
