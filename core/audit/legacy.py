"""Turns django-simple-history's rows (the history kept before the audit) into audit rows, for
the migrations that then drop the historical tables: nothing recorded before is lost."""

import datetime
import decimal

LEGACY_SOURCE = "history before the audit"
BATCH = 2000


def _json(value):
    if isinstance(value, datetime.datetime | datetime.date | datetime.time):
        return value.isoformat()
    if isinstance(value, decimal.Decimal):
        return str(value)
    return value


def convert_simple_history(apps, *, historical, label, exclude=()):
    """Writes one AuditEvent per historical row of `historical` ("app_label.HistoricalModel")
    about the model `label`: "+" a creation, "~" the fields that changed since the record's
    previous row (nothing when none did), "-" a deletion."""
    history = apps.get_model(historical)
    event_model = apps.get_model("core", "AuditEvent")
    fields = [
        field
        for field in history._meta.concrete_fields
        if not field.name.startswith("history_") and field.column not in exclude
    ]
    previous = {}
    batch = []
    rows = history.objects.order_by("id", "history_date", "history_id").values(
        "history_date", "history_type", "history_user_id", *[field.attname for field in fields]
    )
    for row in rows.iterator(chunk_size=BATCH):
        values = {field.column: _json(row[field.attname]) for field in fields}
        prior = previous.get(row["id"])
        kind = row["history_type"]
        if kind == "+" or (kind == "~" and prior is None):
            action = "create" if kind == "+" else "update"
            changes = {
                column: [None, value] for column, value in values.items() if value is not None
            }
        elif kind == "~":
            action = "update"
            changes = {
                column: [prior.get(column), value]
                for column, value in values.items()
                if prior.get(column) != value
            }
        else:
            action = "delete"
            changes = {
                column: [value, None] for column, value in values.items() if value is not None
            }
        previous[row["id"]] = values
        if action == "update" and not changes:
            continue
        batch.append(
            event_model(
                at=row["history_date"],
                action=action,
                model=label,
                object_id=row["id"],
                user_id=row["history_user_id"],
                source=LEGACY_SOURCE,
                changes=changes,
            )
        )
        if len(batch) >= BATCH:
            event_model.objects.bulk_create(batch)
            batch = []
    if batch:
        event_model.objects.bulk_create(batch)
