"""A trigram index for the global search's deals and tickets on PostgreSQL (processes/search.py).

`title__icontains` compiles to `UPPER(title::text) LIKE UPPER('%term%')`, which no b-tree can
serve; a pg_trgm GIN index on the same expression can (as customers 0004 does for names).
SQLite (development) scans.
"""

from django.db import migrations

NAME = "instance_title_trgm"


def create(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    schema_editor.execute(
        f'CREATE INDEX IF NOT EXISTS "{NAME}" ON "processes_processinstance" '
        f'USING gin ((UPPER("title"::text)) gin_trgm_ops)'
    )


def drop(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(f'DROP INDEX IF EXISTS "{NAME}"')


class Migration(migrations.Migration):
    dependencies = [("processes", "0010_notification_kind_webhook_disabled")]

    operations = [migrations.RunPython(create, drop)]
