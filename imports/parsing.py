"""Values as spreadsheets and accounting exports write them, read into Python values.

Each parser takes the cell's text and answers the value, or raises ValueError with the message
shown beside the cell in the preview. Empty cells never reach them (the kind decides whether a
field is required).
"""

import datetime
import functools
import re
import unicodedata
from decimal import Decimal, InvalidOperation

import phonenumbers
from django.utils.translation import gettext as _
from stdnum import exceptions as stdnum_errors
from stdnum.cz import dic as cz_dic
from stdnum.pl import nip as pl_nip
from stdnum.ru import inn as ru_inn

DATE_FORMATS = ("%Y-%m-%d", "%d.%m.%Y", "%d/%m/%Y", "%d-%m-%Y", "%Y.%m.%d", "%d.%m.%y")
# Spaces, no-break spaces and apostrophes group thousands ("1 234,56", "1'234.56").
THOUSANDS = re.compile(r"[\s\u00a0\u202f']")

# Tax ids per country: the validators of python-stdnum and the name the error gives them.
TAX_ID_CHECKS = {
    "PL": (pl_nip, "NIP"),
    "CZ": (cz_dic, "IČO/DIČ"),
    "RU": (ru_inn, "ИНН"),
}


def fold(text):
    """Header text compared without case, accents or punctuation: 'Název firmy' → 'nazevfirmy'."""
    text = unicodedata.normalize("NFKD", str(text or "")).casefold()
    return "".join(ch for ch in text if ch.isalnum())


def parse_text(value):
    return " ".join(str(value).split()) if "\n" not in str(value) else str(value).strip()


# Files repeat dates and phone numbers (a day's customers, a switchboard shared by contacts):
# each distinct text is read once per process. Bounded, so memory stays flat in the file's
# size; an error is not cached (its message is in the language of the request).
PARSED_CACHE_SIZE = 8192


def parse_date(value):
    if isinstance(value, datetime.datetime):
        return value.date()
    if isinstance(value, datetime.date):
        return value
    return _parse_date_text(str(value).strip())


@functools.lru_cache(maxsize=PARSED_CACHE_SIZE)
def _parse_date_text(text):
    for pattern in DATE_FORMATS:
        try:
            return datetime.datetime.strptime(text, pattern).date()
        except ValueError:
            continue
    raise ValueError(_("Not a date: write it as 31.08.2020, 31/08/2020 or 2020-08-31."))


def parse_decimal(value):
    if isinstance(value, int | float | Decimal) and not isinstance(value, bool):
        return Decimal(str(value))
    text = THOUSANDS.sub("", str(value).strip())
    if "," in text and "." in text:
        # The separator written last is the decimal one: "1.234,56" and "1,234.56".
        if text.rfind(",") > text.rfind("."):
            text = text.replace(".", "").replace(",", ".")
        else:
            text = text.replace(",", "")
    elif text.count(",") == 1:
        text = text.replace(",", ".")
    try:
        number = Decimal(text)
    except InvalidOperation:
        number = None
    if number is None or not number.is_finite():
        raise ValueError(_("Not an amount: write it as 1234.56 or 1 234,56."))
    return number


def parse_phone(value, region):
    """The number in international format, read with the customer's country as the default."""
    return _parse_phone_text(str(value).strip(), (region or "PL").upper())


@functools.lru_cache(maxsize=PARSED_CACHE_SIZE)
def _parse_phone_text(text, region):
    try:
        number = phonenumbers.parse(text, region)
    except phonenumbers.NumberParseException:
        number = None
    if number is None or not phonenumbers.is_possible_number(number):
        raise ValueError(_("Not a phone number."))
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.INTERNATIONAL)


def parse_tax_id(value, country):
    """The tax id without separators; checked by its country's rules where we know them (the
    country column, a prefix such as "PL", or the batch's default country)."""
    text = "".join(ch for ch in str(value) if ch.isalnum()).upper()
    prefix = text[:2]
    if prefix in TAX_ID_CHECKS and not prefix.isdigit():
        country, text = prefix, text[2:]
    check = TAX_ID_CHECKS.get((country or "").upper())
    if check is None:
        return text
    module, label = check
    try:
        return module.validate(text)
    except stdnum_errors.ValidationError:
        raise ValueError(_("Not a valid %(kind)s.") % {"kind": label}) from None
