"""Erasing a person from the audit: the stored old and new values of their personal columns.

The audit keeps every value a column ever had (core.audit.postgres, signals), so anonymising a
person's row would leave their name and e-mail readable in its history. `scrub` rewrites those
values in the audit rows of the given records, keeping the rows themselves (who changed what,
when): the history still shows that the e-mail changed on that day, not what it was. The
audit table has no trigger of its own, so this is a plain update, run by the erasure's service
inside its transaction.
"""

from .registry import get

# What a scrubbed value reads, in the audit list and the history pages.
SCRUBBED = "(erased)"
CHUNK = 500


def scrub(model, object_ids, fields):
    """Replaces the values of `fields` (model field names) in the audit rows of `model`'s records
    `object_ids`; returns how many rows were rewritten. A model that is not audited has none."""
    from ..models import AuditEvent

    if get(model._meta.label_lower) is None or not fields:
        return 0
    columns = {model._meta.get_field(name).column for name in fields}
    ids = list(object_ids)
    rewritten = 0
    for start in range(0, len(ids), CHUNK):
        rows = AuditEvent.objects.filter(
            model=model._meta.label_lower, object_id__in=ids[start : start + CHUNK]
        ).only("changes")
        changed = []
        for row in rows.iterator(chunk_size=CHUNK):
            changes = dict(row.changes or {})
            touched = False
            for column in columns & set(changes):
                values = changes[column]
                scrubbed = [None if value in (None, "") else SCRUBBED for value in values]
                if scrubbed != values:
                    changes[column] = scrubbed
                    touched = True
            if touched:
                row.changes = changes
                changed.append(row)
        AuditEvent.objects.bulk_update(changed, ["changes"], batch_size=CHUNK)
        rewritten += len(changed)
    return rewritten
