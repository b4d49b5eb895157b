"""The audit on PostgreSQL: one row trigger per audited table, so every write is recorded
whichever way it came (a form, a service's `.update()`, the admin's bulk delete, raw SQL).

`crm_audit_row()` compares the row before and after (as jsonb, without the excluded columns)
and inserts one core_auditevent row; an UPDATE that changes only excluded columns does not even
call it (the trigger's WHEN clause lists the audited columns), so the scoring job's rewrites of
the customers' grades cost nothing here. Who acted comes from the session setting `crm.audit`,
which `set_audit_setting` (an execute wrapper on every connection) sets before each INSERT,
UPDATE or DELETE statement while a context is active (core.audit.context).

The triggers are (re)installed after every `migrate` (post_migrate), from the registry, so they
always follow the models' current columns.
"""

from django.db import connections

from .context import current_json
from .registry import audited

FUNCTION = """
CREATE OR REPLACE FUNCTION crm_audit_row() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    ctx jsonb := NULLIF(current_setting('crm.audit', true), '')::jsonb;
    excluded text[] := TG_ARGV[1:TG_NARGS - 1];
    old_row jsonb;
    new_row jsonb;
    diff jsonb;
BEGIN
    IF ctx ? 'skip' THEN
        RETURN NULL;
    END IF;
    IF TG_OP <> 'INSERT' THEN
        old_row := to_jsonb(OLD) - excluded;
    END IF;
    IF TG_OP <> 'DELETE' THEN
        new_row := to_jsonb(NEW) - excluded;
    END IF;
    IF TG_OP = 'UPDATE' THEN
        SELECT jsonb_object_agg(n.key, jsonb_build_array(old_row -> n.key, n.value)) INTO diff
        FROM jsonb_each(new_row) AS n
        WHERE (old_row -> n.key) IS DISTINCT FROM n.value;
        IF diff IS NULL THEN
            RETURN NULL;
        END IF;
    ELSIF TG_OP = 'INSERT' THEN
        SELECT coalesce(jsonb_object_agg(key, jsonb_build_array(NULL, value)), '{}') INTO diff
        FROM jsonb_each(new_row) WHERE value <> 'null'::jsonb;
    ELSE
        SELECT coalesce(jsonb_object_agg(key, jsonb_build_array(value, NULL)), '{}') INTO diff
        FROM jsonb_each(old_row) WHERE value <> 'null'::jsonb;
    END IF;
    INSERT INTO core_auditevent
        (at, action, model, object_id, user_id, username, source, client_address, changes, details)
    VALUES (
        statement_timestamp(),
        CASE TG_OP WHEN 'INSERT' THEN 'create' WHEN 'UPDATE' THEN 'update' ELSE 'delete' END,
        TG_ARGV[0],
        (coalesce(new_row, old_row) ->> 'id')::bigint,
        (ctx ->> 'user')::integer,
        left(coalesce(ctx ->> 'username', ''), 150),
        left(coalesce(nullif(ctx ->> 'source', ''), 'database: ' || session_user), 300),
        (ctx ->> 'ip')::inet,
        diff,
        '{}'::jsonb
    );
    RETURN NULL;
END
$$;
"""

TRIGGER_NAMES = ("crm_audit_insert_delete", "crm_audit_update")

WRITES = ("INSERT", "UPDATE", "DELETE", "WITH", "MERGE")


def install_triggers(using="default"):
    """Creates the trigger function and one pair of triggers per audited table (idempotent).

    The triggers follow the tables as they are, not only the models: after `migrate` back to an
    earlier release, a table may lack a column the current models have (or be missing), and its
    triggers then watch the columns it has (a missing table gets none) instead of the
    post_migrate hook failing the migration."""
    connection = connections[using]
    if connection.vendor != "postgresql":
        return
    quote = connection.ops.quote_name
    with connection.cursor() as cursor:
        cursor.execute(FUNCTION)
        cursor.execute(
            "SELECT table_name, column_name FROM information_schema.columns "
            "WHERE table_schema = current_schema()"
        )
        present = {}
        for table_name, column in cursor.fetchall():
            present.setdefault(table_name, set()).add(column)
        for entry in audited():
            table_columns = present.get(entry.model._meta.db_table)
            if table_columns is None:
                continue
            table = quote(entry.model._meta.db_table)
            arguments = ", ".join(
                _literal(value) for value in (entry.label, *entry.excluded_columns())
            )
            columns = [column for column in entry.columns() if column in table_columns]
            old = ", ".join(f"OLD.{quote(column)}" for column in columns)
            new = ", ".join(f"NEW.{quote(column)}" for column in columns)
            for name in TRIGGER_NAMES:
                cursor.execute(f"DROP TRIGGER IF EXISTS {name} ON {table}")
            cursor.execute(
                f"CREATE TRIGGER crm_audit_insert_delete AFTER INSERT OR DELETE ON {table} "
                f"FOR EACH ROW EXECUTE FUNCTION crm_audit_row({arguments})"
            )
            cursor.execute(
                f"CREATE TRIGGER crm_audit_update AFTER UPDATE ON {table} FOR EACH ROW "
                f"WHEN (ROW({old}) IS DISTINCT FROM ROW({new})) "
                f"EXECUTE FUNCTION crm_audit_row({arguments})"
            )


def _literal(value):
    return "'" + value.replace("'", "''") + "'"


def installed_tables(using="default"):
    """The tables carrying the audit triggers (for tests and checks)."""
    with connections[using].cursor() as cursor:
        cursor.execute(
            "SELECT DISTINCT c.relname FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid "
            "WHERE t.tgname = ANY(%s)",
            [list(TRIGGER_NAMES)],
        )
        return {row[0] for row in cursor.fetchall()}


def set_audit_setting(execute, sql, params, many, context):
    """Execute wrapper: before a write statement, tells the triggers who is acting.

    One extra round trip per write statement, none per read. The setting is session-wide (a
    transaction-local one would end with the statement in autocommit), so once a connection has
    carried a context it is reset before every later write, even when no context is active.
    """
    head = sql.lstrip()[:6].upper() if isinstance(sql, str) else ""
    if head.startswith(WRITES):
        tell_triggers(context["connection"])
    return execute(sql, params, many, context)


def tell_triggers(connection):
    """Set `crm.audit` to the active context before a write. Called by the wrapper above, and
    directly before a COPY (core.bulk), which psycopg runs outside Django's execute wrappers."""
    value = current_json()
    if value or getattr(connection, "crm_audit_used", False):
        # Django's error wrapping, so a dropped connection is noticed and replaced as usual.
        with connection.wrap_database_errors, connection.connection.cursor() as cursor:
            cursor.execute("SELECT set_config('crm.audit', %s, false)", [value])
        connection.crm_audit_used = True


def add_wrapper(sender, connection, **kwargs):
    """connection_created: every PostgreSQL connection gets the wrapper (once per wrapper
    object; a reconnect is a new session, which starts without the setting)."""
    if connection.vendor != "postgresql":
        return
    connection.crm_audit_used = False
    if set_audit_setting not in connection.execute_wrappers:
        connection.execute_wrappers.append(set_audit_setting)
