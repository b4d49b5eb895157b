"""core.bulk.insert: many new rows in one statement (COPY on PostgreSQL, bulk_create elsewhere),
the same records either way."""

import datetime

import pytest
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from core import bulk
from core.audit import audit_context
from core.models import AuditEvent
from customers.models import ContactPerson, Customer
from tests.factories import CustomerFactory

pytestmark = pytest.mark.django_db


def test_rows_become_records_with_their_ids_in_order_and_the_fields_defaults(sales_rep):
    before = timezone.now()
    ids = bulk.insert(
        Customer,
        [
            {
                "display_name": 'Mu\\tTab; "quoted"\nline',
                "first_contact_on": datetime.date(2021, 3, 4),
                "owner_id": sales_rep.pk,
                "source": Customer.Source.REFERRAL,
            },
            {
                "display_name": "Nu",
                "first_contact_on": datetime.date(2022, 5, 6),
                "source": "other",
                "email": "nu@example.com",
                "last_contact_at": datetime.datetime(2022, 5, 6, 12, tzinfo=datetime.UTC),
            },
        ],
    )

    mu, nu = (Customer.objects.get(pk=pk) for pk in ids)
    assert (mu.display_name, mu.owner, mu.source) == (
        'Mu\\tTab; "quoted"\nline',
        sales_rep,
        "referral",
    )
    assert (nu.display_name, nu.owner, nu.email, nu.first_contact_on) == (
        "Nu",
        None,
        "nu@example.com",
        datetime.date(2022, 5, 6),
    )
    # Defaults, the database's default, auto_now(_add) and the generated columns.
    # The value row, from the trigger: not scored yet.
    assert (mu.kind, mu.status, mu.email, mu.ltv, mu.grade) == (
        "organisation",
        "prospect",
        "",
        None,
        None,
    )
    assert mu.created_at >= before and mu.updated_at >= before
    assert nu.last_contact_at == datetime.datetime(2022, 5, 6, 12, tzinfo=datetime.UTC)
    assert ids[0] < ids[1]


def test_later_records_take_ids_after_the_inserted_ones():
    ids = bulk.insert(
        Customer,
        [{"display_name": "Xi", "first_contact_on": datetime.date(2020, 1, 1), "source": "other"}],
    )
    later = CustomerFactory()
    assert later.pk > ids[0]


def test_nothing_to_insert_is_no_statement(django_assert_num_queries):
    with django_assert_num_queries(0):
        assert bulk.insert(Customer, []) == []


def test_the_databases_constraints_hold(sales_rep):
    CustomerFactory(tax_id="1234563218")
    with pytest.raises(IntegrityError), transaction.atomic():
        bulk.insert(
            Customer,
            [
                {
                    "display_name": "Twin",
                    "tax_id": "1234563218",
                    "first_contact_on": datetime.date(2020, 1, 1),
                    "source": "other",
                }
            ],
        )
    assert Customer.objects.count() == 1


@pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="Bulk inserts are audited by PostgreSQL's triggers only (README, Security → Audit).",
)
def test_each_copied_row_is_audited_with_the_active_context(sales_rep):
    customer = CustomerFactory()
    with audit_context(user=sales_rep, source="bulk test"):
        ids = bulk.insert(
            ContactPerson,
            [
                {"customer_id": customer.pk, "first_name": "Ola", "last_name": "Sowa"},
                {"customer_id": customer.pk, "first_name": "Ida", "last_name": "Kos"},
            ],
        )
    events = AuditEvent.objects.filter(model="customers.contactperson", object_id__in=ids)
    assert sorted((e.object_id, e.action, e.user_id, e.source) for e in events) == [
        (pk, "create", sales_rep.pk, "bulk test") for pk in ids
    ]
    assert events.get(object_id=ids[0]).changes["last_name"] == [None, "Sowa"]
