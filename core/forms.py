"""Date and time inputs that work in every language.

The forms use the browser's own pickers (`<input type="date">`, `datetime-local`): the browser
shows the date as its user reads it and posts it as ISO 8601 (2020-08-31), and it only
accepts an ISO value to show. So the widgets always render ISO, whatever the page's language
(Django's DateInput would render "31.08.2020" in Polish, which the picker discards, emptying
the field). The fields accept ISO and the formats of the active language (31.08.2020 in
Polish, Czech and Russian: Django's DATE_INPUT_FORMATS), for typed dates and clients without
a picker, and a refused value is answered with an example in the user's own format.
"""

import re
from datetime import datetime
from decimal import Decimal

from django import forms
from django.core.exceptions import ValidationError
from django.utils.formats import get_format
from django.utils.translation import gettext_lazy as _

ISO_DATE = "%Y-%m-%d"
ISO_DATETIME = "%Y-%m-%dT%H:%M"
# The day the error messages write as their example: day and month cannot be confused.
EXAMPLE = datetime(2020, 8, 31, 14, 30)


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, attrs=None):
        super().__init__(attrs, format=ISO_DATE)


class DateTimeInput(forms.DateTimeInput):
    input_type = "datetime-local"

    def __init__(self, attrs=None):
        super().__init__(attrs, format=ISO_DATETIME)


def _local_format(format_type):
    """The active language's input format to show: its first, or for times the first that
    writes hours:minutes without seconds."""
    formats = get_format(format_type)
    if format_type == "DATETIME_INPUT_FORMATS":
        for candidate in formats:
            if "%H:%M" in candidate and "%S" not in candidate:
                return candidate
    return formats[0]


def _invalid(format_type, iso, *, one, two):
    local, iso = EXAMPLE.strftime(_local_format(format_type)), EXAMPLE.strftime(iso)
    if local == iso:
        return ValidationError(one, code="invalid", params={"example": iso})
    return ValidationError(two, code="invalid", params={"example": local, "iso": iso})


class _ExampleOnInvalid:
    """A field whose "invalid" error gives an example in the user's format (and ISO)."""

    format_type = iso_format = one = two = None

    def to_python(self, value):
        try:
            return super().to_python(value)
        except ValidationError as error:
            if error.code != "invalid":
                raise
            raise _invalid(self.format_type, self.iso_format, one=self.one, two=self.two) from None


class DateField(_ExampleOnInvalid, forms.DateField):
    """A date typed in the user's format or ISO; the error names both, by example."""

    widget = DateInput
    format_type, iso_format = "DATE_INPUT_FORMATS", ISO_DATE
    one = _("Enter a valid date, for example %(example)s.")
    two = _("Enter a valid date, for example %(example)s or %(iso)s.")


class DateTimeField(_ExampleOnInvalid, forms.DateTimeField):
    """A date and time typed in the user's format or ISO; the error names both, by example."""

    widget = DateTimeInput
    format_type, iso_format = "DATETIME_INPUT_FORMATS", "%Y-%m-%d %H:%M"
    one = _("Enter a valid date and time, for example %(example)s.")
    two = _("Enter a valid date and time, for example %(example)s or %(iso)s.")


# --- Amounts, typed as their reader writes them ------------------------------------------------
# An amount is a text input, not `<input type="number">`: a number input follows the browser's
# locale, not the page's, and Chromium in English silently drops the comma and the space of a
# Polish "1 234,56", posting 123456, a hundred times the amount. A text input posts what was
# typed; `inputmode="decimal"` still brings up the numeric keyboard on a phone. The field reads
# the active language's separators (1 234,56 in Polish, Czech and Russian, where Django's
# thousands separator is a no-break space and a plain one is typed; 1,234.56 in English), and
# refuses what it would have to guess: "1234,56" in English (a European decimal comma, not a
# thousands separator) and a dot and a comma together in Polish, Czech and Russian.
# A list filter's value travels in an address (a saved view, a shared link, a mailing's audience)
# and can be read in another language than it was typed in: there (`grouping_marks=False`) a
# thousands separator that another language reads as its decimal point ("1,500" in English is
# 1.5 in Polish) is refused, so a value is read the same in every language or refused in one.

_SPACES = " \xa0\u202f"  # a space, a no-break space, a narrow no-break space
_DIGIT_CODES = {"max_digits", "max_whole_digits"}  # the column's size, said as a number of digits


class AmountInput(forms.TextInput):
    def __init__(self, attrs=None):
        super().__init__({"inputmode": "decimal", **(attrs or {})})


class AmountField(forms.DecimalField):
    """An amount in the active language's format (or with a dot for decimals); never a guess."""

    widget = AmountInput
    default_error_messages = {
        "invalid": _("Enter an amount, for example %(example)s."),
        "grouping": _("Write the amount without a thousands separator, for example %(example)s."),
    }
    decimal_point = {
        ".": _("Write the amount with a dot for decimals, for example 1234.56."),
        ",": _("Write the amount with a comma for decimals, for example 1234,56."),
    }

    def __init__(self, *, grouping_marks=True, **kwargs):
        kwargs["localize"] = True
        kwargs.setdefault("widget", self.widget)
        self.grouping_marks = grouping_marks
        super().__init__(**kwargs)

    def example(self, point):
        return f"1234{point}56"

    def run_validators(self, value):
        try:
            super().run_validators(value)
        except ValidationError as error:
            # Past the field's limit: say the limit, not how many digits the column holds.
            errors = error.error_list
            if any(item.code == "max_value" for item in errors):
                errors = [item for item in errors if item.code not in _DIGIT_CODES]
            raise ValidationError(errors) from None

    def to_python(self, value):
        if value in self.empty_values:
            return None
        if not isinstance(value, str):
            return super().to_python(value)
        text = value.strip()
        point = str(get_format("DECIMAL_SEPARATOR"))
        grouping = str(get_format("THOUSAND_SEPARATOR"))
        spaced = grouping in _SPACES
        group = f"[{_SPACES}]" if spaced else re.escape(grouping)
        example = {"example": self.example(point)}
        # "1234,56" in English: a decimal comma, or a thousands comma with a digit lost?
        # "1.234,56" or "1,234.56" in Polish: which one is the decimal point?
        if (not spaced and re.search(f"{group}[0-9]{{1,2}}$", text)) or (
            point != "." and "." in text and point in text
        ):
            message = self.decimal_point.get(point, self.error_messages["invalid"])
            raise ValidationError(message, code="invalid", params=example)
        if not spaced and not self.grouping_marks and grouping in text:
            raise ValidationError(self.error_messages["grouping"], code="invalid", params=example)
        points = "[.]" if point == "." else f"[.{re.escape(point)}]"
        shape = f"[+-]?(?:[0-9]{{1,3}}(?:{group}[0-9]{{3}})+|[0-9]*)(?:{points}[0-9]*)?"
        if not re.fullmatch(shape, text) or not re.search("[0-9]", text):
            raise ValidationError(self.error_messages["invalid"], code="invalid", params=example)
        return Decimal(re.sub(group, "", text).replace(point, "."))


class DecimalNumberField(AmountField):
    """A number that is not money (a percentage, a discount), read and refused the same way:
    a number input would turn a Polish "1,5" typed in an English browser into 15."""

    default_error_messages = {
        "invalid": _("Enter a number, for example %(example)s."),
        "grouping": _("Write the number without a thousands separator, for example %(example)s."),
    }
    decimal_point = {
        ".": _("Write the number with a dot for decimals, for example 1234.56."),
        ",": _("Write the number with a comma for decimals, for example 1234,56."),
    }


class WholeNumberInput(AmountInput):
    def __init__(self, attrs=None):
        super().__init__({"inputmode": "numeric", **(attrs or {})})


class WholeNumberField(DecimalNumberField):
    """A whole number (days, a record's id) read the same way: a number input would turn a
    Polish "1,5" typed in an English browser into 15, and 1.5 days is no answer either."""

    widget = WholeNumberInput
    default_error_messages = {
        "invalid": _("Enter a whole number, for example %(example)s."),
        "grouping": _(
            "Enter a whole number without a thousands separator, for example %(example)s."
        ),
    }
    # "1,5" in English: not a whole number, whichever the comma was meant to be.
    decimal_point = {}

    def example(self, point):
        return "1234"

    def to_python(self, value):
        value = super().to_python(value)
        if value is not None and value != value.to_integral_value():
            raise ValidationError(
                self.error_messages["invalid"], code="invalid", params={"example": self.example("")}
            )
        return value

    def clean(self, value):
        value = super().clean(value)
        return None if value is None else int(value)


# --- One read of a choice list for several forms on a page --------------------------------


class SharedRowsIterator:
    """Yields a model choice field's choices from rows read once for the page.

    Mixed in front of the field's own iterator class (Django's, or django-filter's, which adds
    a "null" choice), so the empty and null choices and each row's value and label come out
    exactly as the field would give them."""

    rows = ()

    def __iter__(self):
        if self.field.empty_label is not None:
            yield ("", self.field.empty_label)
        if getattr(self.field, "null_label", None) is not None:
            yield (self.field.null_value, self.field.null_label)
        for obj in self.rows:
            yield self.choice(obj)

    def __len__(self):
        extra = (self.field.empty_label is not None) + (
            getattr(self.field, "null_label", None) is not None
        )
        return len(self.rows) + extra

    def __bool__(self):
        return self.field.empty_label is not None or bool(self.rows)


def share_choices(name, *forms):
    """Render the model choice field `name` of every form from one query.

    A list page shows the same choices twice (the owners in the filter form and in the bulk
    action form beside it), and each select would otherwise read its queryset when rendered.
    The rows come from the first form's queryset; validation still asks each field's own
    queryset, so a value posted later is checked against the database as before."""
    rows = list(forms[0].fields[name].queryset)
    for form in forms:
        field = form.fields[name]
        field.iterator = type(
            "Shared" + field.iterator.__name__,
            (SharedRowsIterator, field.iterator),
            {"rows": rows},
        )
        field.widget.choices = field.choices
