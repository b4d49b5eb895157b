"""Writing many new rows of one model at once, for the import's run: on PostgreSQL by COPY.

Why: `bulk_create` builds a model instance per row, prepares every field's value through the
field (`get_db_prep_save`), and psycopg then writes each column as an array of an
`INSERT … SELECT FROM UNNEST(…)` and parses the statement for its placeholders. For the import
of 100,000 customers with their relationships, first contacts and 200,000 contact persons that
was most of the run's time outside the database. COPY sends the rows as they are, formatted by
psycopg's C code; PostgreSQL checks them as for INSERT (types, NOT NULL, CHECK and unique
constraints, foreign keys at the commit) and fires the same row triggers, so the audit records
every row (its context is set before the COPY here, as `core.audit.postgres` does before an
INSERT). The primary keys are drawn from the table's sequence first, as an INSERT would.

Elsewhere (SQLite: the tests, a laptop) `insert` is a plain `bulk_create`, with the model's
instances; both paths are tested by running the import tests on both databases.

The rows are dicts of attribute names (`owner_id`, not `owner`) to values the fields take as
they are: checked by the caller (the import checks every row with the models' full_clean()
in its preview), no expressions. A field a row does not name takes its default; `auto_now`
and `auto_now_add` fields take the moment of the call. Nothing here sends signals (nor does
bulk_create).
"""

from django.db import connections
from django.utils import timezone

from core.audit.postgres import tell_triggers

# Field types whose Python values psycopg writes as the field would: no get_db_prep_save().
_AS_IS = {
    "AutoField",
    "BigAutoField",
    "BigIntegerField",
    "BooleanField",
    "CharField",
    "DateField",
    "DateTimeField",
    "DecimalField",
    "EmailField",
    "ForeignKey",
    "IntegerField",
    "OneToOneField",
    "PositiveBigIntegerField",
    "PositiveIntegerField",
    "PositiveSmallIntegerField",
    "SlugField",
    "SmallIntegerField",
    "TextField",
    "URLField",
}


def insert(model, rows, *, using="default") -> list[int]:
    """Insert `rows` (dicts, see the module's docstring) as new `model` records, in one
    statement; their primary keys, in the rows' order."""
    rows = list(rows)
    if not rows:
        return []
    connection = connections[using]
    if connection.vendor != "postgresql":
        instances = [model(**row) for row in rows]
        model._default_manager.using(using).bulk_create(instances)
        return [instance.pk for instance in instances]
    return _copy(connection, model, rows)


def _copy(connection, model, rows):
    opts = model._meta
    pk = opts.pk
    named = set().union(*(row.keys() for row in rows))
    # A column with a database default that no row names is left to the database.
    fields = [
        f
        for f in opts.concrete_fields
        if not f.generated and f is not pk and (f.attname in named or not f.has_db_default())
    ]
    now = timezone.now()
    columns = []  # (attname, fixed default or None, default made per row, prepare)
    for f in fields:
        if getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False):
            fixed, per_row = now, None
        elif callable(f.default):
            fixed, per_row = None, f.get_default
        else:
            fixed, per_row = f.get_default(), None
        prepare = None
        if f.get_internal_type() not in _AS_IS:
            prepare = _preparer(f, connection)
            if per_row is None:
                fixed = prepare(fixed)
        columns.append((f.attname, fixed, per_row, prepare))

    quote = connection.ops.quote_name
    table = quote(opts.db_table)
    names = ", ".join(quote(c) for c in [pk.column, *(f.column for f in fields)])
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)",
            [opts.db_table, pk.column, len(rows)],
        )
        ids = [value for (value,) in cursor.fetchall()]
        tell_triggers(connection)
        with (
            connection.wrap_database_errors,
            cursor.cursor.copy(f"COPY {table} ({names}) FROM STDIN") as copy,
        ):
            for key, row in zip(ids, rows, strict=True):
                record = [key]
                for attname, fixed, per_row, prepare in columns:
                    if attname in row:
                        value = row[attname]
                        if prepare is not None:
                            value = prepare(value)
                    elif per_row is not None:
                        value = per_row() if prepare is None else prepare(per_row())
                    else:
                        value = fixed
                    record.append(value)
                copy.write_row(record)
    return ids


def _preparer(field, connection):
    def prepare(value):
        return field.get_db_prep_save(value, connection)

    return prepare
