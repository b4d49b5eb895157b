"""Every customer has its value row (customers.CustomerValue), whatever inserted the customer:
the database adds it (customers.value_rows), and the lists join it with an inner join."""

import importlib
from decimal import Decimal

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

from customers.merging import customer_merge
from customers.models import Customer, CustomerValue
from customers.value_rows import install_trigger
from demo.datagen.writers import writer_for
from tests.factories import CustomerFactory

NOT_SCORED = (None, None, "", None, None, None)


def _value(pk):
    value = CustomerValue.objects.get(pk=pk)
    return (
        value.grade,
        value.ltv,
        value.ltv_currency,
        value.payment_reliability,
        value.avg_days_late,
        value.scored_at,
    )


def _customer(name):
    return Customer(
        display_name=name,
        source="web_form",
        first_contact_on=timezone.localdate(),
        status="prospect",
    )


@pytest.mark.django_db
def test_a_customer_saved_through_the_orm_gets_its_value_row_not_scored():
    customer = _customer("Saved")
    customer.save()
    assert _value(customer.pk) == NOT_SCORED


@pytest.mark.django_db
def test_customers_created_in_bulk_each_get_their_row():
    customers = Customer.objects.bulk_create([_customer(f"Bulk {n}") for n in range(5)])
    assert set(CustomerValue.objects.values_list("pk", flat=True)) == {c.pk for c in customers}


@pytest.mark.django_db
def test_a_customer_inserted_by_plain_sql_gets_its_row():
    """As a migration, a benchmark or a DBA would: no Django code runs."""
    model = CustomerFactory(relationship=False)
    columns = ", ".join(
        field.column
        for field in Customer._meta.concrete_fields
        if not field.primary_key and not field.generated
    )
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO customers_customer ({columns}) SELECT {columns} "
            "FROM customers_customer WHERE id = %s",
            [model.pk],
        )
    copy = Customer.objects.exclude(pk=model.pk).get(display_name=model.display_name)
    assert _value(copy.pk) == NOT_SCORED


@pytest.mark.django_db
def test_customers_the_data_generators_writer_loads_get_their_rows():
    """The demo generator's path: COPY on PostgreSQL (the trigger runs once per COPY, over
    its transition table), executemany elsewhere."""
    model = CustomerFactory(relationship=False)
    fields = [f for f in Customer._meta.concrete_fields if not f.primary_key and not f.generated]
    table = type(
        "Table", (), {"db_table": "customers_customer", "columns": [f.column for f in fields]}
    )
    table.fields = fields
    rows = [
        tuple(
            f"Loaded {n}" if f.name == "display_name" else getattr(model, f.attname) for f in fields
        )
        for n in range(3)
    ]
    writer_for(connection).write(table, rows)
    loaded = Customer.objects.filter(display_name__startswith="Loaded ")
    assert loaded.count() == 3
    assert CustomerValue.objects.filter(customer__in=loaded).count() == 3


@pytest.mark.django_db
def test_the_trigger_installs_again_without_doubling_the_rows():
    """After every migrate (SQLite drops a table's triggers when it rebuilds the table)."""
    install_trigger()
    install_trigger()
    customer = CustomerFactory()
    assert CustomerValue.objects.filter(pk=customer.pk).count() == 1


@pytest.mark.django_db
def test_a_customer_reads_its_value_in_the_same_query(django_assert_num_queries):
    scored = timezone.now()
    customer = CustomerFactory(
        grade="A", ltv=Decimal("1500.00"), ltv_currency="PLN", scored_at=scored
    )
    with django_assert_num_queries(1):
        fetched = Customer.objects.select_related("value").get(pk=customer.pk)
        shown = (fetched.grade, fetched.get_grade_display(), fetched.ltv, fetched.scored_at)
    assert shown == ("A", "A: most valuable", Decimal("1500.00"), scored)


def test_a_customer_not_saved_yet_reads_as_not_scored():
    customer = _customer("Draft")
    assert (customer.grade, customer.ltv, customer.ltv_currency, customer.scored_at) == (
        None,
        None,
        "",
        None,
    )


@pytest.mark.django_db
def test_a_saved_customer_without_its_row_is_an_error_not_unscored():
    customer = CustomerFactory()
    CustomerValue.objects.filter(pk=customer.pk).delete()
    with pytest.raises(CustomerValue.DoesNotExist):
        Customer.objects.get(pk=customer.pk).grade  # noqa: B018


@pytest.mark.django_db
def test_the_value_keeps_its_checks():
    from django.db import IntegrityError, transaction

    customer = CustomerFactory()
    for bad in ({"grade": "E"}, {"payment_reliability": Decimal("100.01")}):
        with pytest.raises(IntegrityError), transaction.atomic():
            CustomerValue.objects.filter(pk=customer.pk).update(**bad)


@pytest.mark.django_db
def test_merging_leaves_each_customer_its_own_value_row(manager):
    survivor = CustomerFactory(
        grade="B", ltv=Decimal("200.00"), ltv_currency="PLN", relationship=False
    )
    merged = CustomerFactory(grade="A", ltv=Decimal("900.00"), ltv_currency="PLN")
    customer_merge(survivor=survivor, merged=merged, values={}, by=manager)
    assert CustomerValue.objects.filter(pk__in=[survivor.pk, merged.pk]).count() == 2
    assert _value(merged.pk)[:2] == ("A", Decimal("900.00"))


# --- The migration that moved the columns ---------------------------------------------------

BEFORE = [("customers", "0015_customer_source_email")]
AFTER = [("customers", "0016_customer_value_table")]


@pytest.mark.django_db(transaction=True)
def test_the_migration_copies_every_customers_value_and_back():
    executor = MigrationExecutor(connection)
    leaves = executor.loader.graph.leaf_nodes()
    executor.migrate(BEFORE)
    try:
        old = executor.loader.project_state(BEFORE).apps.get_model("customers", "Customer")
        common = {"source": "web_form", "first_contact_on": timezone.localdate()}
        scored = old.objects.create(
            display_name="Scored",
            grade="B",
            ltv=Decimal("1234.50"),
            ltv_currency="PLN",
            payment_reliability=Decimal("88.00"),
            avg_days_late=Decimal("2.5"),
            scored_at=timezone.now(),
            **common,
        )
        unscored = old.objects.create(display_name="Unscored", **common)

        executor = MigrationExecutor(connection)
        executor.migrate(AFTER)
        assert _value(scored.pk) == (
            "B",
            Decimal("1234.50"),
            "PLN",
            Decimal("88.00"),
            Decimal("2.5"),
            scored.scored_at,
        )
        # Never scored: its LTV was a 0 in no currency, and is empty now.
        assert _value(unscored.pk) == NOT_SCORED

        executor = MigrationExecutor(connection)
        executor.migrate(BEFORE)
        back = {c.display_name: c for c in old.objects.all()}
        assert (back["Scored"].grade, back["Scored"].ltv, back["Scored"].scored_at) == (
            "B",
            Decimal("1234.50"),
            scored.scored_at,
        )
        assert (back["Unscored"].grade, back["Unscored"].ltv) == (None, Decimal("0"))
    finally:
        executor = MigrationExecutor(connection)
        executor.loader.build_graph()
        executor.migrate(leaves)
        install_trigger()
    # Forward again, the trigger is back.
    assert _value(CustomerFactory().pk) == NOT_SCORED


def test_the_migration_module_names_the_same_descending_indexes_as_the_model():
    from customers.models import VALUE_DESC_INDEXES

    migration = importlib.import_module("customers.migrations.0016_customer_value_table")
    assert migration.DESC_INDEXES == VALUE_DESC_INDEXES
