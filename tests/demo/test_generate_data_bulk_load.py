"""generate_data into an empty PostgreSQL database sets the tables' secondary indexes and
foreign keys aside while it loads, and always puts every one of them back."""

import pytest
from django.db import connection
from django.db.models import F

from customers.models import Customer
from demo.datagen import run
from demo.datagen.tables import TABLES
from demo.datagen.writers import CopyWriter
from relationships.models import Payment

from .test_generate_data import generate

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def _postgresql_only(transactional_db):
    if connection.vendor != "postgresql":
        pytest.skip("The bulk load path is PostgreSQL's (CI's database).")


def schema():
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = current_schema()"
        )
        indexes = set(cursor.fetchall())
        cursor.execute(
            "SELECT conrelid::regclass::text, conname, pg_get_constraintdef(oid) "
            "FROM pg_constraint WHERE contype = 'f'"
        )
        return indexes, set(cursor.fetchall())


def test_a_load_into_empty_tables_puts_every_index_and_foreign_key_back():
    before = schema()
    set_aside = []
    restore = CopyWriter.restore

    def watching(writer):
        set_aside.append((len(writer.indexes), len(writer.foreign_keys)))
        restore(writer)

    CopyWriter.restore = watching
    try:
        generate(customers=30)
    finally:
        CopyWriter.restore = restore
    assert set_aside[0][0] > 20 and set_aside[0][1] > 20  # the load did set them aside
    assert schema() == before
    assert Customer.objects.count() == 30
    assert Payment.objects.exists()
    assert not Payment.objects.exclude(customer=F("invoice__customer")).exists()


def test_a_failed_load_puts_them_back_too(monkeypatch):
    before = schema()
    calls = []

    def failing(batch, using):
        calls.append(batch)
        if len(calls) == 2:
            raise RuntimeError("disk full")

    monkeypatch.setattr(run, "_drop_taken_tax_ids", failing)
    with pytest.raises(RuntimeError, match="disk full"):
        generate(customers=12, batch=5)
    assert schema() == before
    assert Customer.objects.count() == 5  # the first batch, whole


def test_adding_to_existing_data_keeps_every_index_in_place():
    generate(customers=5)
    writer = CopyWriter(connection)
    writer.prepare(TABLES)
    assert (writer.indexes, writer.foreign_keys) == ([], [])
