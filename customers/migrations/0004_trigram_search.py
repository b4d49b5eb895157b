"""Trigram indexes for the customer search box on PostgreSQL.

Django's icontains becomes `UPPER(col::text) LIKE UPPER('%term%')`, which no b-tree can serve;
a pg_trgm GIN index on the same expression can. SQLite (development) has no such index type
and scans, which is fine at its sizes.
"""

from django.db import migrations

INDEXES = [
    ("customer_display_name_trgm", "customers_customer", "display_name"),
    ("customer_legal_name_trgm", "customers_customer", "legal_name"),
    ("contact_last_name_trgm", "customers_contactperson", "last_name"),
    ("contact_first_name_trgm", "customers_contactperson", "first_name"),
]


def create(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    for name, table, column in INDEXES:
        schema_editor.execute(
            f'CREATE INDEX IF NOT EXISTS "{name}" ON "{table}" '
            f'USING gin ((UPPER("{column}"::text)) gin_trgm_ops)'
        )


def drop(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name, _table, _column in INDEXES:
        schema_editor.execute(f'DROP INDEX IF EXISTS "{name}"')


class Migration(migrations.Migration):
    dependencies = [("customers", "0003_list_indexes")]

    operations = [migrations.RunPython(create, drop)]
