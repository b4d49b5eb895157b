"""Bounds on input: the window every date and time must lie in, the length of every text and the
largest amount. Kept in one place so that the model fields (and through them every ModelForm and
every service's full_clean()), the database checks, the plain forms and filters, the
`check_bounds` command and the tests all mean the same thing.

The windows are constants, not settings: they describe what a real date in this CRM can be, not
a preference of one installation, and the database checks are written with them.

- BUSINESS: dates people agree on and plan (contract terms, invoice and due dates, billed
  periods, expected close, task due dates): 1 January 1900 to 31 December 2100.
  Wide enough for any real contract, old or long; narrow enough that a typo such as 0001-01-01
  or 9999-12-31 is refused instead of billing two thousand years.
- PAST: things that already happened and that a person records (the first contact, an
  interaction, a signature, a payment, a consent, a decision, an installation): from 1 January
  1970, nobody's CRM records earlier contacts, until the end of today in TIME_ZONE (a small
  tolerance for clocks and time zones, not a way to log tomorrow's meeting).
- RECORDED: moments the system writes or computes (time stamps of jobs, deadlines, the days of
  report figures): 1 January 1970 to 31 December 2100.

Fixed edges of date-time windows are instants at midnight UTC, as the database checks are.
"""

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.core.validators import (
    MaxLengthValidator,
    MaxValueValidator,
    MinValueValidator,
    validate_email,
)
from django.db import models
from django.utils import formats, timezone
from django.utils.deconstruct import deconstructible
from django.utils.translation import gettext_lazy as _


@dataclass(frozen=True)
class Window:
    name: str
    start: date
    end: date | None  # None: the end of today (TIME_ZONE)
    description: str

    def end_date(self) -> date:
        return self.end if self.end is not None else timezone.localdate()

    def start_instant(self) -> datetime:
        return datetime.combine(self.start, time.min, tzinfo=UTC)

    def end_instant(self) -> datetime:
        """The first instant after the window."""
        if self.end is None:
            tomorrow = timezone.localdate() + timedelta(days=1)
            return timezone.make_aware(datetime.combine(tomorrow, time.min))
        return datetime.combine(self.end + timedelta(days=1), time.min, tzinfo=UTC)

    def contains(self, value) -> bool:
        if isinstance(value, datetime):
            if timezone.is_naive(value):
                value = timezone.make_aware(value)
            return self.start_instant() <= value < self.end_instant()
        return self.start <= value <= self.end_date()

    def contains_start(self, value) -> bool:
        """Whether `value` is on or after the window's start (so outside means too late)."""
        if isinstance(value, datetime):
            if timezone.is_naive(value):
                value = timezone.make_aware(value)
            return self.start_instant() <= value
        return self.start <= value

    def static_end(self) -> date:
        """The fixed upper edge the database can check (PAST's "today" is not fixed)."""
        return self.end or RECORDED_END


RECORDED_END = date(2100, 12, 31)

BUSINESS = Window(
    "business",
    date(1900, 1, 1),
    RECORDED_END,
    _("dates people agree on and plan: contract terms, invoice and due dates, billed periods"),
)
PAST = Window(
    "past",
    date(1970, 1, 1),
    None,
    _("things that already happened: first contacts, interactions, signatures, payments"),
)
RECORDED = Window(
    "recorded",
    date(1970, 1, 1),
    RECORDED_END,
    _("moments the system records or computes: time stamps, deadlines, report days"),
)
WINDOWS = {window.name: window for window in (BUSINESS, PAST, RECORDED)}

# The smallest and largest moments a page can show and convert between time zones without an
# OverflowError: what values stored outside anything Python can hold are read as (see
# core.db.loaders).
SAFE_MIN_DATE = date(1, 1, 2)
SAFE_MAX_DATE = date(9999, 12, 30)
SAFE_MIN_DATETIME = datetime(1, 1, 2, tzinfo=UTC)
SAFE_MAX_DATETIME = datetime(9999, 12, 30, tzinfo=UTC)


def _day(value: date):
    return formats.date_format(value, "DATE_FORMAT")


@deconstructible
class WindowValidator:
    """Refuses a date or date-time outside the named window (see WINDOWS), saying the window."""

    code = "out_of_window"

    def __init__(self, window: str):
        if window not in WINDOWS:
            raise ValueError(f"Unknown window {window!r}; choose one of {sorted(WINDOWS)}")
        self.window = window

    def __call__(self, value):
        if value is None:
            return
        window = WINDOWS[self.window]
        if window.contains(value):
            return
        if window.end is None and window.contains_start(value):
            message = _("This cannot be in the future: enter a date between %(start)s and today.")
        elif window.end is None:
            message = _("Enter a date between %(start)s and today.")
        else:
            message = _("Enter a date between %(start)s and %(end)s.")
        raise ValidationError(
            message,
            code=self.code,
            params={"start": _day(window.start), "end": _day(window.end_date())},
        )

    def __eq__(self, other):
        return isinstance(other, WindowValidator) and other.window == self.window

    def __hash__(self):
        return hash(self.window)


def window_of(field) -> Window | None:
    """The window a model or form field is bounded by, if any."""
    for validator in getattr(field, "validators", ()):
        if isinstance(validator, WindowValidator):
            return WINDOWS[validator.window]
    return None


def window_check(field_name: str, window: Window, *, name: str, datetime_field: bool = False):
    """A CheckConstraint keeping a column inside the fixed edges of `window` (NULL passes).

    Rows stored before the check existed are not checked by the migration that adds it on
    PostgreSQL (core.migration_ops.AddConstraintNotValid); `manage.py check_bounds` finds them.
    """
    if datetime_field:
        start = window.start_instant()
        end = datetime.combine(window.static_end() + timedelta(days=1), time.min, tzinfo=UTC)
        condition = models.Q(**{f"{field_name}__gte": start, f"{field_name}__lt": end})
    else:
        condition = models.Q(
            **{f"{field_name}__gte": window.start, f"{field_name}__lte": window.static_end()}
        )
    return models.CheckConstraint(
        condition=models.Q(**{f"{field_name}__isnull": True}) | condition,
        name=name,
        violation_error_message=_("A date lies outside the accepted window."),
    )


# --- Texts ------------------------------------------------------------------------------------
# Notes, descriptions, goals: 10,000 characters is about four printed pages, more than anyone
# types or pastes from an e-mail into a note, and small enough that a page listing notes stays
# light (the issue found 100 KB notes accepted).
LONG_TEXT = 10_000
# Reasons, comments and short explanations (why a contract ends, why a payout is rejected).
SHORT_TEXT = 2_000


def text_field(*args, limit: int, validators=(), **kwargs) -> models.TextField:
    """A TextField of at most `limit` characters, checked in forms (max_length) and by the model
    (the validator): Django enforces a TextField's max_length in forms only."""
    return models.TextField(
        *args, max_length=limit, validators=[MaxLengthValidator(limit), *validators], **kwargs
    )


# A list's search term: the longest text a search compares with is a customer's legal name, so
# a longer term can match nothing; and SQLite refuses LIKE patterns over 50,000 bytes, so such a
# term is refused beside the search box (and not sent to the database).
SEARCH_TERM_MAX_LENGTH = 300


def validate_mailbox_address(value):
    """A person's e-mail address, one the CRM writes to, is at an internet domain. Beside the
    EmailField's own check (which reports a malformed address, so this one stays silent then),
    refused: an address at a bare IP ("user@[127.0.0.1]", valid by RFC 5321, yet no customer's
    mailbox, and mail to it would go to a machine of the typist's choosing) and at a name
    without a dot ("user@localhost"), which only a local network resolves."""
    try:
        validate_email(value)
    except ValidationError:
        return
    domain = value.rpartition("@")[2]
    if domain.startswith("[") or "." not in domain:
        raise ValidationError(
            _("Enter an e-mail address at an internet domain, such as name@example.com."),
            code="invalid",
        )


# --- Amounts ----------------------------------------------------------------------------------
# One contract, invoice, payment, payout or deal: up to a billion less a cent. More than any
# single document of the businesses this CRM serves; sums of them (totals, lifetime values)
# have more digits and are computed, not typed.
MAX_AMOUNT = Decimal("999999999.99")


@deconstructible(path="django.core.validators.MaxValueValidator")
class _ReadableMaxValueValidator(MaxValueValidator):
    """Its message writes the limit as the reader writes numbers (999 999 999,99 in Polish).
    Written into migrations as the MaxValueValidator it is (the path): nothing to migrate."""

    def __call__(self, value):
        try:
            super().__call__(value)
        except ValidationError as error:
            error.params = {
                **(error.params or {}),
                "limit_value": formats.number_format(self.limit_value, force_grouping=True),
            }
            raise


def max_amount_validator(maximum: Decimal = MAX_AMOUNT):
    return _ReadableMaxValueValidator(
        maximum,
        message=_("The amount cannot exceed %(limit_value)s."),
    )


def max_value_validator(maximum: Decimal):
    """The largest value a number field takes where its unit depends on another field (a KPI
    target is a percentage, days or an amount): the model's clean() then says the bound in
    the unit's words."""
    return _ReadableMaxValueValidator(
        maximum, message=_("The value cannot exceed %(limit_value)s.")
    )


def digits_max_validator(max_digits: int, decimal_places: int):
    """The largest value a computed decimal column can hold, as a validator (admin edits)."""
    whole = "9" * (max_digits - decimal_places) or "0"
    fraction = "9" * decimal_places
    return MaxValueValidator(Decimal(f"{whole}.{fraction}" if fraction else whole))


def min_zero_validator():
    return MinValueValidator(Decimal(0), message=_("The value cannot be negative."))


# The largest exchange rate a scoring parameter version accepts (units of base per unit).
MAX_EXCHANGE_RATE = Decimal("1000000")
