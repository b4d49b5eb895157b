from datetime import date, datetime
from decimal import Decimal

import pytest
from django.db.models import Count
from django.utils import timezone

from customers.models import ContactPerson
from customers.selectors import CustomerRows
from tests.factories import ContactPersonFactory, CustomerFactory

pytestmark = pytest.mark.django_db


def _values(obj):
    return {f.attname: getattr(obj, f.attname) for f in obj._meta.concrete_fields}


def _contacts(customer):
    return (
        ContactPerson.objects.filter(customer=customer)
        .select_related("customer__owner")
        .order_by("last_name", "id")
    )


fetch_contacts = CustomerRows(_contacts)


def test_rows_are_the_instances_the_orm_builds_with_their_related_objects(sales_rep):
    customer = CustomerFactory(owner=sales_rep, ltv=Decimal("1234.50"))
    ContactPersonFactory(customer=customer, last_name="B", marketing_consent_at=timezone.now())
    ContactPersonFactory(customer=customer, last_name="A")
    expected = list(_contacts(customer))

    rows = fetch_contacts(customer)

    assert [_values(row) for row in rows] == [_values(row) for row in expected]
    assert [row.last_name for row in rows] == ["A", "B"]
    assert rows[0].marketing_consent_at is None
    assert rows[1].marketing_consent_at == expected[1].marketing_consent_at
    assert not rows[0]._state.adding
    # select_related objects are there, converted as the ORM converts them.
    assert rows[0].customer.ltv == Decimal("1234.50")
    assert rows[0].customer.owner == sales_rep


def test_rows_are_fetched_again_for_each_customer_in_one_query(django_assert_num_queries):
    first = CustomerFactory(owner=None)
    second = CustomerFactory(owner=None)
    ContactPersonFactory(customer=first, last_name="First")
    ContactPersonFactory(customer=second, last_name="Second")
    fetch_contacts(first)  # compiled here, for whichever customer asks first

    with django_assert_num_queries(1):
        rows = fetch_contacts(second)
        assert rows[0].customer.owner is None  # a missing select_related object
    assert [row.last_name for row in rows] == ["Second"]

    ContactPersonFactory(customer=first, last_name="Later")
    assert [row.last_name for row in fetch_contacts(first)] == ["First", "Later"]


def test_a_customer_without_rows_gets_none():
    assert fetch_contacts(CustomerFactory()) == []


def test_prefetching_is_refused():
    rows = CustomerRows(lambda customer: _contacts(customer).prefetch_related("customer__segments"))
    with pytest.raises(ValueError):
        rows(CustomerFactory())


def test_a_moment_varies_between_calls_while_the_statement_stays_compiled():
    from datetime import timedelta

    from customers.models import Customer

    customer = CustomerFactory()
    now = timezone.now()
    ContactPersonFactory(
        customer=customer, last_name="Old", marketing_consent_at=now - timedelta(days=9)
    )
    ContactPersonFactory(customer=customer, last_name="New", marketing_consent_at=now)
    since = CustomerRows(
        lambda customer, since: _contacts(customer).filter(marketing_consent_at__gte=since),
        since=datetime,
    )
    assert [c.last_name for c in since(customer, since=now - timedelta(days=1))] == ["New"]
    assert [c.last_name for c in since(customer, since=now - timedelta(days=10))] == ["New", "Old"]

    first_contact = CustomerRows(
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


def test_a_moment_the_statement_does_not_use_is_refused():
    rows = CustomerRows(lambda customer, since: _contacts(customer), since=datetime)
    with pytest.raises(ValueError):
        rows(CustomerFactory(), since=timezone.now())


def test_a_compiled_statement_is_prepared_on_the_server_after_its_fifth_run(sales_rep):
    from django.db import connection

    if connection.vendor != "postgresql":
        pytest.skip("prepared statements are PostgreSQL's")
    customers = [CustomerFactory(owner=sales_rep) for _ in range(6)]
    ContactPersonFactory(customer=customers[-1], last_name="Last")
    fetch = CustomerRows(
        lambda customer: ContactPerson.objects.filter(customer=customer).order_by("id")
    )

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
