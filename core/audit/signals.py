"""The audit on databases without our triggers (SQLite: `make run` and the test suite's default):
the same rows, written by model signals.

Signals see only what goes through a model's save() and delete() (a QuerySet.delete() deletes
audited records one by one here, so it is seen): a QuerySet.update(), bulk_update, bulk_create
and raw SQL are not recorded here (on PostgreSQL the triggers catch them). A save
reads the stored row first (one query) so the row records what changed, as the trigger does.
"""

import contextlib
import datetime
import decimal
import json
import uuid

from django.core.exceptions import ValidationError
from django.core.serializers.json import DjangoJSONEncoder
from django.db import connections, models
from django.db.models.signals import post_delete, post_save, pre_save

from .context import current
from .registry import get


def _applies(sender, using):
    return get(sender._meta.label_lower) is not None and connections[using].vendor != "postgresql"


def _json(value):
    """A stored value as PostgreSQL's to_jsonb writes it (dates and times as ISO text)."""
    if isinstance(value, datetime.datetime | datetime.date | datetime.time):
        return value.isoformat()
    if isinstance(value, decimal.Decimal):
        return str(value)
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, dict | list):
        # A JSON column's value as the program holds it, dates and amounts inside (a merge's
        # chosen values): as the database will store it.
        return json.loads(json.dumps(value, cls=DjangoJSONEncoder))
    return value


def _fields(sender):
    entry = get(sender._meta.label_lower)
    return [
        field
        for field in sender._meta.concrete_fields
        if field.name not in entry.exclude and not isinstance(field, models.GeneratedField)
    ]


def _values(instance, fields):
    values = {}
    for field in fields:
        value = getattr(instance, field.attname)
        with contextlib.suppress(ValidationError):  # an unvalidated value is kept as given
            value = field.to_python(value)
        values[field.column] = value
    return values


def remember_stored_row(sender, instance, raw=False, using=None, **kwargs):
    if raw or instance.pk is None or not _applies(sender, using):
        return
    fields = _fields(sender)
    stored = (
        sender._base_manager.using(using)
        .filter(pk=instance.pk)
        .values(*[field.attname for field in fields])
        .first()
    )
    if stored is not None:
        instance._audit_stored = {field.column: stored[field.attname] for field in fields}


def record_save(sender, instance, created, raw=False, using=None, **kwargs):
    if raw or not _applies(sender, using):
        return
    old = {} if created else instance.__dict__.pop("_audit_stored", None)
    if old is None:  # saved with a primary key that was not stored yet: a creation
        old, created = {}, True
    new = _values(instance, _fields(sender))
    changes = {
        column: [_json(old.get(column)), _json(value)]
        for column, value in new.items()
        if (old.get(column) != value if not created else value is not None)
    }
    if changes or created:
        _write(sender, instance.pk, "create" if created else "update", changes, using)


def record_delete(sender, instance, using=None, **kwargs):
    if not _applies(sender, using):
        return
    old = _values(instance, _fields(sender))
    changes = {column: [_json(value), None] for column, value in old.items() if value is not None}
    _write(sender, instance.pk, "delete", changes, using)


def _write(sender, pk, action, changes, using):
    from ..models import AuditEvent

    context = current().as_dict()
    if context.get("skip"):
        return
    AuditEvent.objects.using(using).create(
        action=action,
        model=sender._meta.label_lower,
        object_id=pk,
        user_id=context["user"],
        username=context["username"],
        source=context["source"] or "database",
        client_address=context["ip"],
        changes=changes,
    )


def watch(model, using="default"):
    """Connects the receivers for one audited model, unless its database has the triggers.

    Per model, not for every sender: a delete receiver makes Django fetch and delete rows one
    by one instead of in one statement, which only the audited models should pay for. On
    SQLite that also means a QuerySet.delete() (the admin's bulk delete) of audited records
    sends these signals for each of them, so it is recorded there too.
    """
    if connections[using].vendor == "postgresql":
        return
    uid = model._meta.label_lower
    pre_save.connect(remember_stored_row, sender=model, dispatch_uid=f"crm_audit_pre_{uid}")
    post_save.connect(record_save, sender=model, dispatch_uid=f"crm_audit_save_{uid}")
    post_delete.connect(record_delete, sender=model, dispatch_uid=f"crm_audit_delete_{uid}")
