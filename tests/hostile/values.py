"""Hostile values, by the kind of field they are posted to (and any of them to any field).

Each kind mixes fixed values that broke real systems (extreme and malformed dates, 100 KB of
text, NUL bytes, scripts, 1e309, NaN, forty nines) with values hypothesis generates.
"""

import re
from datetime import date, datetime
from decimal import Decimal, InvalidOperation

from django.core.files.uploadedfile import SimpleUploadedFile
from hypothesis import strategies as st

SCRIPT = "<script>alert(1)</script>"
IMG = '"><img src=x onerror=alert(1)>'
# What must never reach a page unescaped (the escaped forms may appear: that is the point).
RAW_MARKERS = ("<script>alert(1)", "<img src=x onerror=alert(1)>")


class Long(str):
    """A long string that hypothesis and the failure messages print as its recipe."""

    def __new__(cls, unit, times):
        value = super().__new__(cls, unit * times)
        value.recipe = f"{unit!r} * {times}"
        return value

    def __repr__(self):
        return self.recipe


HUGE_TEXT = Long("A", 100_000)

# The window every business date and time lives in (the issue: 1900-2100).
YEAR_WINDOW = (1900, 2100)
HUGE_AMOUNT = "999999999999.99"

TEXTS = [
    HUGE_TEXT,
    "\x00",
    "before\x00after",
    "\x01\x02\x07\x08\x0b\x0c\x1b[31mred\x7f",
    "\u202eevil.exe\u202c",
    "\u200f\u05e9\u05dc\u05d5\u05dd \u0645\u0631\u062d\u0628\u0627",
    Long("👩‍👩‍👧‍👦🏳️‍🌈", 40),
    Long("e\u0301", 250),
    Long("Z\u0351\u0352\u0353\u0354\u0355", 50),
    SCRIPT,
    IMG,
    "javascript:alert(1)",
    "' OR 1=1 --",
    "'; DROP TABLE customers_customer; --",
    "{{ 7|add:7 }}{% now 'Y' %}",
    "%(name)s %s %d {0}",
    " ",
    "\r\n\t",
    "\ufeff",
    "\uff46\uff55\uff4c\uff4c \uff57\uff49\uff44\uff54\uff48",  # full width
    Long("ß", 300),
    Long("a", 101),
    Long("a", 201),
    Long("a", 256),
    Long("a", 1001),
]
DATES = [
    "0001-01-01",
    "9999-12-31",
    "1899-12-31",
    "2101-01-01",
    "1900-01-01",
    "2100-12-31",
    "1969-12-31",
    "2024-02-30",
    "2023-13-01",
    "0000-00-00",
    "10000-01-01",
    "-0001-01-01",
    "31/12/2024",
    "12/31/2024",
    "2024-1-1",
    "yesterday",
    "",
    " ",
    "2024-01-01T00:00",
    "1e309",
    "\x00",
    SCRIPT,
]
DATETIMES = [
    "0001-01-01T00:00",
    "0001-01-01T00:30",
    "9999-12-31T23:59",
    "1899-12-31T23:59",
    "2101-01-01T00:00",
    "1970-01-01T00:00",
    "2024-02-30T10:00",
    "2024-01-01T25:61",
    "2024-03-31T02:30",  # does not exist in Europe/Warsaw
    "2024-10-27T02:30",  # happens twice in Europe/Warsaw
    "0001-01-01",
    "9999-12-31",
    "garbage",
    "",
    "\x00",
]
AMOUNTS = [
    "1e309",
    "-1e309",
    "NaN",
    "nan",
    "sNaN",
    "Infinity",
    "-Infinity",
    "-0",
    "0",
    "-1",
    "-0.01",
    "9" * 40,
    HUGE_AMOUNT,
    "-" + HUGE_AMOUNT,
    "1000000000000",
    "0.001",
    "1e-30",
    "1E+2",
    "1,50",
    "1 000",
    "0x10",
    "\u0661\u0662\u0663",  # Arabic-Indic digits
    "\uff11\uff12\uff13",  # full-width digits
    "+5",
    ".5",
    "5.",
    "",
    " ",
    "\x00",
]
INTEGERS = [
    "9" * 40,
    "2147483648",
    "9223372036854775808",
    "-9223372036854775809",
    "32768",
    "65536",
    "-1",
    "0",
    "1.5",
    "1e3",
    "NaN",
    "",
    "\u0661\u0660",
]
IDS = ["999999999", "0", "-1", "9" * 30, "abc", "1.0", "1e3", "", " 1", "[1]", "null", "\x00"]
EMAILS = [
    "a@b",
    "a" * 300 + "@example.com",
    SCRIPT + "@example.com",
    "\u202e@example.pl",
    "user@[127.0.0.1]",
    "zażółć@gęślą.pl",
    "x@" + "a" * 250 + ".pl",
]
NEXT_URLS = [
    "//evil.example/",
    "https://evil.example/",
    "javascript:alert(1)",
    "/\\evil.example",
    "\\\\evil.example",
    "http://testserver/customers/",
    "/customers/",
]
BOOLEANS = ["on", "", "off", "false", "0", "1", "true", SCRIPT]

any_text = st.text(max_size=300)  # hypothesis leaves surrogates out: they cannot be posted


def _dates():
    return st.one_of(
        st.sampled_from(DATES),
        st.dates(min_value=date(1, 1, 1), max_value=date(9999, 12, 31)).map(date.isoformat),
    )


def _datetimes():
    return st.one_of(
        st.sampled_from(DATETIMES),
        st.datetimes(min_value=datetime(1, 1, 1), max_value=datetime(9999, 12, 31)).map(
            lambda d: d.strftime("%Y-%m-%dT%H:%M").rjust(16, "0")
        ),
    )


def _amounts():
    return st.one_of(
        st.sampled_from(AMOUNTS),
        st.decimals(allow_nan=True, allow_infinity=True).map(str),
        st.integers().map(str),
    )


def _files():
    names = st.sampled_from(
        [
            "scan.pdf",
            "../../../etc/passwd.pdf",
            SCRIPT + ".pdf",
            "a" * 300 + ".pdf",
            "ünï\u202ecod.pdf",
            "no-extension",
            ".pdf",
            "evil.html",
        ]
    )
    bodies = st.sampled_from(
        [
            (b"%PDF-1.4 hostile\n", "application/pdf"),
            (b"<html><script>alert(1)</script></html>", "application/pdf"),
            (b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>', "image/svg+xml"),
            (b"MZ\x90\x00\x03", "application/pdf"),
            (b"", "application/pdf"),
        ]
    )
    return st.builds(
        lambda name, body: SimpleUploadedFile(name, body[0], content_type=body[1]), names, bodies
    )


def values_for(field, *, foreign_ids):
    """A strategy of hostile values for one field of a form."""
    by_kind = {
        "date": _dates(),
        "datetime-local": _datetimes(),
        "number": st.one_of(_amounts(), st.sampled_from(INTEGERS)),
        "email": st.one_of(st.sampled_from(EMAILS), any_text),
        "checkbox": st.sampled_from(BOOLEANS),
        "file": _files(),
        "password": st.one_of(st.sampled_from(TEXTS), any_text),
    }
    if field.name == "next":
        own = st.sampled_from(NEXT_URLS)
    elif field.kind in ("select", "select-multiple", "radio", "checkbox-multiple"):
        options = [o for o in field.options if o] or ["1"]
        own = st.one_of(
            st.sampled_from(options),
            st.sampled_from(foreign_ids + IDS),
            st.sampled_from(TEXTS),
        )
        if field.multiple:
            own = st.lists(own, max_size=4)
    elif field.kind in by_kind:
        own = by_kind[field.kind]
    elif field.kind == "hidden" and field.initial and field.initial[0].isdigit():
        own = st.sampled_from(foreign_ids + IDS)
    else:
        own = st.one_of(st.sampled_from(TEXTS), any_text)
    anything = st.sampled_from(TEXTS + DATES + AMOUNTS + IDS)
    return st.one_of(own, own, own, anything)


# --- What counts as out of bounds (a value no bounded field may store) ------------------------

_ISO_DATE = re.compile(r"^(-?\d{1,5})-(\d{1,2})-(\d{1,2})(?:[T ](\d{1,2}):(\d{2}))?$")


def out_of_bounds(field, value):
    """Why `value` is outside every sane bound for `field`, or None.

    Only values that the issue names as never acceptable count: dates outside 1900-2100, 100 KB
    of text, an amount of a trillion. Narrower windows (a first contact not before 1970) are the
    bounds' own tests' business.
    """
    if not isinstance(value, str):
        return None
    if field.kind in ("date", "datetime-local"):
        match = _ISO_DATE.match(value.strip())
        if match and not YEAR_WINDOW[0] <= int(match.group(1)) <= YEAR_WINDOW[1]:
            try:
                date(int(match.group(1)), int(match.group(2)), int(match.group(3)))
            except ValueError:
                return None  # not a date at all: refused as malformed, not by a bound
            return f"date {value!r} outside {YEAR_WINDOW[0]}-{YEAR_WINDOW[1]}"
        return None
    if len(value) >= len(HUGE_TEXT) and field.kind in ("text", "textarea", "email", "password"):
        return f"{len(value)} characters of text"
    if field.kind == "number":
        try:
            amount = Decimal(value.strip())
        except (InvalidOperation, ValueError):
            return None
        if amount.is_finite() and abs(amount) >= Decimal(HUGE_AMOUNT):
            return f"amount {value!r}"
    return None
