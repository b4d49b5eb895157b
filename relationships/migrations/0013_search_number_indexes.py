"""Indexes for the global search's number lookups on PostgreSQL (relationships/search.py).

The search matches a contract's or invoice's number from its start, case-insensitively:
`number__istartswith` compiles to `UPPER(number::text) LIKE UPPER('C-12%')`, which the unique
b-tree on the number cannot serve (a LIKE prefix needs the C collation or a pattern opclass).
A b-tree on UPPER(number) with text_pattern_ops serves it, in that order, so LIMIT stops after
the first hits. SQLite (development) has no such opclass and scans, which is fine at its sizes.
"""

from django.db import migrations

INDEXES = [
    ("contract_number_search_idx", "relationships_contract"),
    ("invoice_number_search_idx", "relationships_invoice"),
]


def create(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name, table in INDEXES:
        schema_editor.execute(
            f'CREATE INDEX IF NOT EXISTS "{name}" ON "{table}" '
            f'((UPPER("number"::text)) text_pattern_ops)'
        )


def drop(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name, _table in INDEXES:
        schema_editor.execute(f'DROP INDEX IF EXISTS "{name}"')


class Migration(migrations.Migration):
    dependencies = [("relationships", "0012_end_reason_merged")]

    operations = [migrations.RunPython(create, drop)]
