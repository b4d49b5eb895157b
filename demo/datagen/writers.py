"""How a batch reaches the database: COPY on PostgreSQL, executemany elsewhere."""

from django.core.management.color import no_style
from django.db import transaction


class BulkWriter:
    """executemany with values adapted by the backend; for SQLite and any other database."""

    def __init__(self, connection):
        self.connection = connection
        self._adapters = {}

    def write(self, table, rows):
        if not rows:
            return
        adapters = self._adapters.get(table)
        if adapters is None:
            adapters = self._adapters[table] = self._adapters_for(table)
        if any(adapters):
            rows = [
                tuple(
                    adapt(value) if adapt and value is not None else value
                    for adapt, value in zip(adapters, row, strict=True)
                )
                for row in rows
            ]
        qn = self.connection.ops.quote_name
        sql = "INSERT INTO {} ({}) VALUES ({})".format(
            qn(table.db_table),
            ", ".join(qn(column) for column in table.columns),
            ", ".join(["%s"] * len(table.columns)),
        )
        with self.connection.cursor() as cursor:
            cursor.executemany(sql, rows)

    def _adapters_for(self, table):
        ops = self.connection.ops
        adapters = []
        for model_field in table.fields:
            internal_type = model_field.get_internal_type()
            if internal_type == "DateTimeField":
                adapters.append(ops.adapt_datetimefield_value)
            elif internal_type == "DateField":
                adapters.append(ops.adapt_datefield_value)
            else:
                adapters.append(None)
        return adapters

    def prepare(self, tables, *, filled=()):
        """Before the first batch; `filled`: the names of tables that triggers fill as the
        batches are written (customers_customervalue)."""

    def restore(self):
        """After the last batch, and after a failed one: undo what prepare() set aside."""

    def finish(self, tables, *, filled=()):
        """After the last batch."""

    def reset_sequences(self, tables):
        sql = self.connection.ops.sequence_reset_sql(no_style(), [table.model for table in tables])
        if sql:
            with self.connection.cursor() as cursor:
                for statement in sql:
                    cursor.execute(statement)


class CopyWriter(BulkWriter):
    """PostgreSQL COPY through psycopg 3: an order of magnitude faster than INSERTs.

    Into empty tables (a new database: the benchmarks', a fresh demo) it loads as PostgreSQL's
    manual advises under "Populating a Database": the tables' secondary indexes and foreign
    keys are set aside, then rebuilt in one pass each (the foreign keys checked by one join
    each instead of a trigger per row). They are restored after a failed load too; only a
    killed process leaves them out, with a database that holds a partial load anyway.
    """

    SECONDARY_INDEXES = """
        SELECT i.indexrelid::regclass::text, pg_get_indexdef(i.indexrelid)
        FROM pg_index i
        WHERE i.indrelid = ANY(%s::regclass[]) AND NOT i.indisprimary AND NOT i.indisunique
          AND NOT EXISTS (SELECT FROM pg_constraint c WHERE c.conindid = i.indexrelid)
        ORDER BY 1
    """
    FOREIGN_KEYS = """
        SELECT c.conrelid::regclass::text, c.conname, pg_get_constraintdef(c.oid)
        FROM pg_constraint c
        WHERE c.contype = 'f' AND c.conrelid = ANY(%s::regclass[])
        ORDER BY 1, 2
    """

    def __init__(self, connection):
        super().__init__(connection)
        self.indexes, self.foreign_keys = [], []

    def prepare(self, tables, *, filled=()):
        if self.connection.in_atomic_block:
            # Inside a caller's transaction (tests) writes may still wait for their deferred
            # checks, and PostgreSQL refuses to alter those tables: load the ordinary way.
            return
        # A table a trigger fills row for row with the written ones (each customer's value
        # row) is set aside the same way: its foreign key would otherwise be checked per row.
        names = [table.db_table for table in tables] + list(filled)
        qn = self.connection.ops.quote_name
        with self.connection.cursor() as cursor:
            for name in names:
                cursor.execute(f"SELECT EXISTS (SELECT FROM {qn(name)})")
                if cursor.fetchone()[0]:
                    return  # adding to existing data: every index and check stays in place
            cursor.execute(self.SECONDARY_INDEXES, [names])
            indexes = cursor.fetchall()
            cursor.execute(self.FOREIGN_KEYS, [names])
            foreign_keys = cursor.fetchall()
            with transaction.atomic(using=self.connection.alias):
                for table, constraint, _ in foreign_keys:
                    cursor.execute(f"ALTER TABLE {table} DROP CONSTRAINT {qn(constraint)}")
                for index, _ in indexes:
                    cursor.execute(f"DROP INDEX {index}")
        self.indexes, self.foreign_keys = indexes, foreign_keys

    def restore(self):
        if not (self.indexes or self.foreign_keys):
            return
        qn = self.connection.ops.quote_name
        indexes, self.indexes = self.indexes, []
        foreign_keys, self.foreign_keys = self.foreign_keys, []
        # The indexes first and on their own: a foreign key that finds a broken row must not
        # take them down with it.
        with transaction.atomic(using=self.connection.alias), self.connection.cursor() as cursor:
            cursor.execute("SET LOCAL maintenance_work_mem = '256MB'")
            for _, definition in indexes:
                cursor.execute(definition)
        with transaction.atomic(using=self.connection.alias), self.connection.cursor() as cursor:
            for table, constraint, definition in foreign_keys:
                cursor.execute(f"ALTER TABLE {table} ADD CONSTRAINT {qn(constraint)} {definition}")

    def write(self, table, rows):
        if not rows:
            return
        qn = self.connection.ops.quote_name
        statement = "COPY {} ({}) FROM STDIN".format(
            qn(table.db_table), ", ".join(qn(column) for column in table.columns)
        )
        with self.connection.cursor() as cursor, cursor.copy(statement) as copy:
            for row in rows:
                copy.write_row(row)

    def finish(self, tables, *, filled=()):
        # Fresh statistics, so the app's queries are planned for the new volume right away
        # instead of after autovacuum gets round to it.
        qn = self.connection.ops.quote_name
        with self.connection.cursor() as cursor:
            for name in [table.db_table for table in tables] + list(filled):
                cursor.execute(f"ANALYZE {qn(name)}")


def writer_for(connection):
    return CopyWriter(connection) if connection.vendor == "postgresql" else BulkWriter(connection)
