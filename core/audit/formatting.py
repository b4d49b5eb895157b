"""Audit rows as people read them: field labels instead of column names, choice labels instead
of codes, the names of linked records instead of their ids, money and dates formatted.

`describe(events)` is the one formatter: the audit list and every record's history page use it.
It costs a fixed number of queries per page, not per row: one per kind of record shown (their
current names) and one per kind of linked record named in the changes.
"""

import datetime
import decimal
from collections import defaultdict
from dataclasses import dataclass, field

from django.apps import apps
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import formats, timezone
from django.utils.text import capfirst
from django.utils.translation import gettext as _

from ..money import format_amount
from .registry import get

EMPTY = "—"
CURRENCY_COLUMN = "currency"


@dataclass
class Change:
    label: str
    old: str
    new: str


@dataclass
class Line:
    event: object
    who: str
    kind: str = ""
    record: str = ""
    record_url: str = ""
    changes: list = field(default_factory=list)
    details: list = field(default_factory=list)


def describe(events):
    """The events as `Line`s, in the order given."""
    events = list(events)
    names = _record_names(events)
    linked = _linked_names(events)
    lines = []
    for event in events:
        line = Line(event=event, who=_who(event))
        model = _model(event.model)
        if model is not None:
            line.kind = capfirst(model._meta.verbose_name)
            found = names.get((event.model, event.object_id))
            if found is not None:
                line.record, line.record_url = found
            else:
                line.record = _deleted_name(model, event)
            line.changes = _changes(model, event, linked)
        elif event.model:
            line.kind = event.model
            line.record = f"#{event.object_id}"
        line.details = _details(event)
        lines.append(line)
    return lines


def _model(label):
    if not label:
        return None
    try:
        return apps.get_model(label)
    except (LookupError, ValueError):
        return None


def _who(event):
    if event.user is not None:
        return _user_name(event.user)
    if event.username:
        return event.username
    return event.source or _("system")


def _user_name(user):
    return user.get_full_name() or user.get_username()


def _record_names(events):
    """(model label, id) → (current name, its page's address) for the records still there."""
    wanted = defaultdict(set)
    for event in events:
        if event.model and event.object_id is not None:
            wanted[event.model].add(event.object_id)
    names = {}
    for label, ids in wanted.items():
        model = _model(label)
        if model is None:
            continue
        entry = get(label)
        queryset = model._base_manager.all()
        if entry is not None and entry.select_related:
            queryset = queryset.select_related(*entry.select_related)
        for pk, obj in queryset.in_bulk(ids).items():
            url = obj.get_absolute_url() if hasattr(obj, "get_absolute_url") else ""
            names[(label, pk)] = (_str(obj), url)
    return names


def _str(obj):
    if isinstance(obj, get_user_model()):
        return _user_name(obj)
    return str(obj)


def _deleted_name(model, event):
    values = {
        column: pair[0] if pair[0] is not None else pair[1]
        for column, pair in (event.changes or {}).items()
        if isinstance(pair, list) and len(pair) == 2
    }
    entry = get(event.model)
    if values and (entry is None or not entry.select_related):
        instance = model()
        for column, value in values.items():
            model_field = _field(model, column)
            if model_field is not None:
                setattr(instance, model_field.attname, _python(model_field, value))
        try:
            name = str(instance)
        except Exception:  # a name built from fields the row did not carry
            name = ""
        if name:
            return name
    return f"#{event.object_id}"


def _field(model, column):
    for candidate in model._meta.concrete_fields:
        if candidate.column == column:
            return candidate
    return None


def _python(model_field, value):
    if value is None:
        return None
    try:
        return model_field.to_python(value)
    except (ValidationError, TypeError, ValueError):
        return value


def _linked_names(events):
    """(related model, id) → name, for every foreign key value in the events' changes."""
    wanted = defaultdict(set)
    for event in events:
        model = _model(event.model)
        if model is None:
            continue
        for column, pair in (event.changes or {}).items():
            model_field = _field(model, column)
            if isinstance(model_field, models.ForeignKey) and isinstance(pair, list):
                for value in pair:
                    if value is not None:
                        wanted[model_field.related_model].add(_python(model_field, value))
    names = {}
    for related, ids in wanted.items():
        for pk, obj in related._base_manager.in_bulk(ids).items():
            names[(related, pk)] = _str(obj)
    return names


def _changes(model, event, linked):
    changes = []
    pairs = event.changes or {}
    currency = _currency(pairs)
    for column, pair in pairs.items():
        model_field = _field(model, column)
        if model_field is None or not isinstance(pair, list) or len(pair) != 2:
            continue
        if model_field.primary_key:
            continue
        old, new = pair
        old = _value(model_field, old, linked, currency[0])
        new = _value(model_field, new, linked, currency[1])
        if old != new:  # a creation's empty fields, or "1.50" stored as 1.5
            changes.append(Change(label=capfirst(model_field.verbose_name), old=old, new=new))
    return changes


def _currency(pairs):
    pair = pairs.get(CURRENCY_COLUMN)
    if isinstance(pair, list) and len(pair) == 2:
        old, new = pair
        return (old or new or "", new or old or "")
    return ("", "")


def _value(model_field, value, linked, currency):
    if value is None or value == "":
        return EMPTY
    value = _python(model_field, value)
    if isinstance(model_field, models.ForeignKey):
        return linked.get((model_field.related_model, value), f"#{value}")
    if model_field.choices:
        label = dict(model_field.flatchoices).get(value)
        if label is not None:
            return str(label)
    if isinstance(value, bool):
        return _("yes") if value else _("no")
    if isinstance(value, datetime.datetime):
        if timezone.is_aware(value):
            value = timezone.localtime(value)
        return formats.date_format(value, "SHORT_DATETIME_FORMAT")
    if isinstance(value, datetime.date):
        return formats.date_format(value, "SHORT_DATE_FORMAT")
    if isinstance(value, decimal.Decimal):
        if model_field.decimal_places == 2 and currency:
            return f"{format_amount(value)} {currency}"
        return formats.number_format(value, use_l10n=True, force_grouping=True)
    return str(value)


def _details(event):
    from ..models import AuditEvent

    details = event.details or {}
    lines = []
    if event.action == AuditEvent.Action.EXPORT:
        lines.append(_("list: %(list)s") % {"list": details.get("list", "")})
        filters = details.get("filters") or {}
        if filters:
            shown = ", ".join(f"{key}={value}" for key, value in sorted(filters.items()))
            lines.append(_("filters: %(filters)s") % {"filters": shown})
        if "rows" in details:
            lines.append(_("rows: %(rows)s") % {"rows": details["rows"]})
    elif event.action == AuditEvent.Action.BULK:
        lines.append(_("action: %(action)s") % {"action": details.get("action", "")})
        for key, value in sorted(details.items()):
            if key not in ("action", "ids", "model"):
                lines.append(f"{key}: {value}")
        ids = details.get("ids") or []
        lines.append(
            _("rows: %(rows)s (%(ids)s)")
            % {
                "rows": len(ids),
                "ids": ", ".join(f"#{pk}" for pk in ids[:20]) + (", …" if len(ids) > 20 else ""),
            }
        )
    elif event.action == AuditEvent.Action.DENIED and details.get("permission"):
        lines.append(_("permission: %(permission)s") % {"permission": details["permission"]})
    return lines
