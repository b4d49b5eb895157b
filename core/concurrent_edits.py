"""Two people editing one record: the second save does not silently undo the first.

A form that edits a stored record (`ConcurrentEditMixin`) carries, in a hidden field, a short
digest of each of its fields' values as the form was opened. When it is saved, `run_service`
(core.views.helpers) locks the stored row and compares, before the service writes:

- a field nobody else changed meanwhile: nothing to say;
- a field someone else changed and this user left as it was: the form now shows the other
  person's value, so saving again keeps their change instead of writing back the old one;
- a field both changed, differently: this user's value stays in the form, and beside it what the
  record holds now; saving again replaces it (they have seen it).

Either way nothing is written: the form comes back with a line on top saying why, and the
digests describe the record as it is now, so the next save goes through unless someone saves
again in between. The row lock makes two simultaneous saves take turns; the second then sees
the first's change. (SQLite has no row locks; its IMMEDIATE transactions serialise writers.)

A POST without the hidden field (a form opened before this release) is not checked.

The fields the form does not show are another matter: a service that saves the whole row would
write back the values they had when the request read the record, undoing a change committed in
the milliseconds before the row lock (a background job, another screen's action). So, once the
row is locked, each of those fields that the view left as it was read is taken from the row.
"""

import hashlib
import json
from datetime import UTC, datetime
from decimal import Decimal

from django import forms
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.core.files import File
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.utils import formats, timezone
from django.utils.translation import gettext as _

LOADED = "loaded_values"


class _LoadedField(forms.CharField):
    """The digests as the form was opened; never a change the user made."""

    widget = forms.HiddenInput

    def has_changed(self, initial, data):
        return False


def _plain(value):
    """A field's value in one comparable shape, whether it comes from the stored row or from a
    form's cleaned data (an object or its pk, a QuerySet or a list, local or UTC time…)."""
    if isinstance(value, models.Model):
        return value.pk
    if isinstance(value, models.QuerySet | list | tuple | set):
        return sorted(str(_plain(item)) for item in value)
    if value is None or value == "":
        return ""
    if isinstance(value, Decimal):
        return format(value.normalize(), "f")
    if isinstance(value, datetime) and timezone.is_aware(value):
        return value.astimezone(UTC).isoformat()
    if isinstance(value, File):  # a stored file, or one just uploaded
        return value.name or ""
    return value


def digest(value) -> str:
    plain = _plain(value)
    try:
        encoded = json.dumps(plain, cls=DjangoJSONEncoder, sort_keys=True)
    except TypeError:  # a value JSON cannot hold: compared by its text
        encoded = str(plain)
    return hashlib.sha256(encoded.encode()).hexdigest()[:12]


class ConcurrentEditMixin:
    """For a ModelForm (listed before forms.ModelForm): see the module's docstring. Inert when
    the form creates a record."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._loaded = {}
        if self.instance.pk is None:
            return
        self._unshown = self._unshown_values(self.instance)
        self.fields[LOADED] = _LoadedField(required=False)
        if not self.is_bound:
            self.initial[LOADED] = self._digests(self.instance)

    def _model_fields(self):
        opts = self._meta.model._meta
        for name in self.fields:
            if name == LOADED:
                continue
            try:
                field = opts.get_field(name)
            except Exception:  # a form field that is not the model's (a reason, a choice…)
                continue
            if field.concrete or field.many_to_many:
                yield name, field

    def _unshown_fields(self):
        deferred = self.instance.get_deferred_fields()
        for field in self._meta.model._meta.concrete_fields:
            if field.primary_key or field.name in self.fields or field.attname in deferred:
                continue
            yield field

    def _unshown_values(self, record) -> dict:
        return {
            field.attname: digest(getattr(record, field.attname))
            for field in self._unshown_fields()
        }

    def _take_unshown_from(self, stored):
        """The fields the form does not show, as the locked row holds them, where the view has
        not set them itself since the record was read."""
        for field in self._unshown_fields():
            name = field.attname
            if name not in self._unshown:
                continue
            if digest(getattr(self.instance, name)) == self._unshown[name]:
                setattr(self.instance, name, getattr(stored, name))

    def _digests(self, record) -> str:
        values = {
            name: digest(field.value_from_object(record)) for name, field in self._model_fields()
        }
        return json.dumps(values, separators=(",", ":"), sort_keys=True)

    def full_clean(self):
        super().full_clean()
        if LOADED in self.fields and hasattr(self, "cleaned_data"):
            # Not a value of the record: the views pass cleaned_data on to the services.
            text = self.cleaned_data.pop(LOADED, "") or ""
            try:
                loaded = json.loads(text) if text else {}
            except ValueError:
                loaded = {}
            self._loaded = loaded if isinstance(loaded, dict) else {}

    def check_not_edited_meanwhile(self):
        """Inside the save's transaction, before the service writes: lock the stored row and
        raise a ValidationError (after updating the form as the docstring says) if someone
        else changed one of the form's fields since the form was opened."""
        if not self._loaded or self.instance.pk is None:
            return
        model = self._meta.model
        stored = model._base_manager.select_for_update().filter(pk=self.instance.pk).first()
        if stored is None:
            return  # gone meanwhile: the service says what that means
        self._take_unshown_from(stored)
        taken, clashes = [], []
        for name, field in self._model_fields():
            if name not in self._loaded or name not in self.cleaned_data:
                continue
            now = field.value_from_object(stored)
            if digest(now) == self._loaded[name]:
                continue
            mine = digest(self.cleaned_data[name])
            if mine == self._loaded[name]:
                taken.append((name, field, now))
            elif mine != digest(now):
                clashes.append((name, field, stored))
        if not (taken or clashes):
            return
        data = self.data.copy()
        for name, field, now in taken:
            _show(data, self, name, field, now)
        data[self.add_prefix(LOADED)] = self._digests(stored)
        self.data = data
        errors = {
            NON_FIELD_ERRORS: [
                ValidationError(
                    _(
                        "Someone else saved this record after you opened it, so nothing was "
                        "saved yet. The form now shows their changes; check it and save again."
                    ),
                    code="edited_meanwhile",
                )
            ]
        }
        for name, _field, _now in taken:
            errors[name] = [
                ValidationError(
                    _("Changed by someone else meanwhile: this is the new value."),
                    code="edited_meanwhile",
                )
            ]
        for name, field, record in clashes:
            errors[name] = [
                ValidationError(
                    _(
                        "Changed by someone else meanwhile to “%(value)s”. Saving again "
                        "replaces it with what you typed."
                    ),
                    code="edited_meanwhile",
                    params={"value": _display(record, field)},
                )
            ]
        raise ValidationError(errors)


def _show(data, form, name, field, value):
    """Put the stored `value` into the form's data, as the browser would post it."""
    key = form.add_prefix(name)
    if field.many_to_many:
        pks = [str(_plain(item)) for item in value]
        if hasattr(data, "setlist"):
            data.setlist(key, pks)
        else:
            data[key] = pks
        return
    if isinstance(form.fields[name], forms.BooleanField) or isinstance(
        form.fields[name].widget, forms.CheckboxInput
    ):
        if value:
            data[key] = "on"
        else:
            data.pop(key, None)
        return
    widget = form.fields[name].widget
    shown = widget.format_value(form.fields[name].prepare_value(value))
    if isinstance(shown, list | tuple):  # a select's chosen values
        shown = shown[0] if shown else ""
    data[key] = "" if shown is None else str(shown)


def _display(record, field) -> str:
    """The stored value as a person reads it."""
    if field.many_to_many:
        return ", ".join(str(item) for item in getattr(record, field.name).all()) or "—"
    if field.is_relation:
        related = getattr(record, field.name)
        return "—" if related is None else str(related)
    if field.choices:
        return str(getattr(record, f"get_{field.name}_display")()) or "—"
    value = field.value_from_object(record)
    if value is None or value == "":
        return "—"
    if isinstance(value, bool):
        return _("yes") if value else _("no")
    if isinstance(value, datetime):
        value = timezone.localtime(value)
    return formats.localize(value)
