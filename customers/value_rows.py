"""The database keeps one CustomerValue row per customer: a trigger on customers_customer adds
the customer's row in the same statement that inserts the customer.

Why a trigger and not the creating code: customers are created by the services, the import,
the API, the web forms, mail triage, the demo data generator's COPY and the odd raw SQL of a
migration or a benchmark; one path that forgets the row would drop that customer from every list
sorted or filtered by value (they join the value table with an inner join, so that a sort reads
the value table's index). The database guarantees the invariant for all of them.

On PostgreSQL the trigger is FOR EACH STATEMENT with a transition table: one INSERT ... SELECT
per statement, so a COPY or bulk_create of thousands of customers adds their rows in one go
(a row trigger would run its INSERT once per customer). SQLite has row triggers only.

Installed by migration customers 0016 and again after every `migrate` (customers.apps): SQLite
rebuilds a table to alter it, and the rebuild drops the table's triggers.
"""

from django.db import connections

TRIGGER = "customers_value_row"

POSTGRESQL = [
    f"""
CREATE OR REPLACE FUNCTION {TRIGGER}() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO customers_customervalue (customer_id) SELECT id FROM inserted;
    RETURN NULL;
END
$$
""",
    f"DROP TRIGGER IF EXISTS {TRIGGER} ON customers_customer",
    f"CREATE TRIGGER {TRIGGER} AFTER INSERT ON customers_customer "
    f"REFERENCING NEW TABLE AS inserted FOR EACH STATEMENT EXECUTE FUNCTION {TRIGGER}()",
]

SQLITE = [
    f"""
CREATE TRIGGER IF NOT EXISTS {TRIGGER} AFTER INSERT ON customers_customer
BEGIN
    INSERT INTO customers_customervalue (customer_id) VALUES (NEW.id);
END
""",
]


def install_trigger(using="default"):
    """Creates the trigger (idempotent); not while the database is migrated to before the
    value table (the trigger would insert into a table that is not there)."""
    connection = connections[using]
    if "customers_customervalue" not in connection.introspection.table_names():
        return
    statements = {"postgresql": POSTGRESQL, "sqlite": SQLITE}.get(connection.vendor)
    if statements is None:
        raise NotImplementedError(f"No customer value trigger for {connection.vendor}")
    with connection.cursor() as cursor:
        for statement in statements:
            cursor.execute(statement)
