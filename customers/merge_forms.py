"""The side-by-side merge screens' forms: which record survives, and each differing field's
value from the left or the right record."""

from datetime import date, datetime
from decimal import Decimal

from django import forms
from django.utils import formats
from django.utils.translation import gettext_lazy as _

from .merging import CONTACT_MERGE_FIELDS, MERGE_FIELDS

LEFT, RIGHT = "left", "right"


def _shown(record, name):
    field = record._meta.get_field(name)
    value = getattr(record, name)
    if value in (None, ""):
        return "—"
    if getattr(field, "choices", None):
        return getattr(record, f"get_{name}_display")()
    if isinstance(value, date | Decimal):  # as the reader writes dates and numbers
        return formats.localize(value)
    return str(value)


class _SideBySideForm(forms.Form):
    """`survivor` (left or right) and, for each field whose values differ, the side whose value
    the survivor keeps (the left one unless only the right one has a value)."""

    field_names = ()

    def __init__(self, data=None, *, left, right, **kwargs):
        super().__init__(data, **kwargs)
        self.left, self.right = left, right
        self.fields["survivor"] = forms.ChoiceField(
            label=_("Which record survives?"),
            choices=[(LEFT, str(left)), (RIGHT, str(right))],
            initial=LEFT,
            widget=forms.RadioSelect,
        )
        self.rows = []
        for name in self.field_names:
            left_value, right_value = getattr(left, name), getattr(right, name)
            if left_value == right_value:
                continue
            self.fields[name] = forms.ChoiceField(
                label=left._meta.get_field(name).verbose_name,
                choices=[(LEFT, _shown(left, name)), (RIGHT, _shown(right, name))],
                initial=RIGHT if left_value in (None, "") else LEFT,
                widget=forms.RadioSelect,
            )
            self.rows.append(name)

    def value_rows(self):
        return [self[name] for name in self.rows]

    def records(self):
        """(survivor, merged) as chosen."""
        if self.cleaned_data["survivor"] == LEFT:
            return self.left, self.right
        return self.right, self.left

    def values(self):
        """Field → the chosen value, for the service."""
        chosen = {}
        for name in self.rows:
            source = self.left if self.cleaned_data[name] == LEFT else self.right
            chosen[name] = getattr(source, name)
        return chosen


class CustomerMergeForm(_SideBySideForm):
    field_names = MERGE_FIELDS

    def __init__(self, data=None, *, left, right, questions, **kwargs):
        super().__init__(data, left=left, right=right, **kwargs)
        # What each customer looked like when the screen was drawn: a change meanwhile is
        # refused by the service instead of being overwritten.
        self.fields["left_version"] = forms.CharField(
            widget=forms.HiddenInput, initial=left.updated_at.isoformat()
        )
        self.fields["right_version"] = forms.CharField(
            widget=forms.HiddenInput, initial=right.updated_at.isoformat()
        )
        self.questions = list(questions)
        self.fields.update(questions)

    def question_fields(self):
        return [self[name] for name in self.questions]

    def versions(self):
        versions = {}
        for side, record in ((LEFT, self.left), (RIGHT, self.right)):
            try:
                versions[record.pk] = datetime.fromisoformat(self.cleaned_data[f"{side}_version"])
            except ValueError:
                versions[record.pk] = "unreadable"  # never equal: refused as changed
        return versions

    def options(self):
        return {name: self.cleaned_data.get(name) for name in self.questions}


class ContactMergeForm(_SideBySideForm):
    field_names = CONTACT_MERGE_FIELDS


class ContactPairForm(forms.Form):
    """The two contact persons of one customer to compare."""

    left = forms.ModelChoiceField(label=_("Contact person"), queryset=None)
    right = forms.ModelChoiceField(label=_("Duplicate contact person"), queryset=None)

    def __init__(self, data=None, *, contacts, **kwargs):
        super().__init__(data, **kwargs)
        self.fields["left"].queryset = contacts
        self.fields["right"].queryset = contacts

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("left") and cleaned.get("left") == cleaned.get("right"):
            self.add_error("right", _("Choose two different contact persons."))
        return cleaned
