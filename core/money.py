"""Money, for every app: Decimal amounts with an ISO 4217 currency code, never one sum of two
currencies. The currency list and its check, the model fields of an amount and a currency, an
amount as pages show it, and conversion through the rates a higher layer registers."""

from decimal import Decimal

from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator
from django.db import models
from django.utils.formats import number_format
from django.utils.translation import gettext_lazy as _

from core import bounds

MAX_DIGITS = 14
DECIMAL_PLACES = 2
ZERO = Decimal("0.00")

# Active ISO 4217 codes (funds and precious metals left out: nobody invoices in XAU).
ISO_4217 = frozenset(
    [
        "AED",
        "AFN",
        "ALL",
        "AMD",
        "ANG",
        "AOA",
        "ARS",
        "AUD",
        "AWG",
        "AZN",
        "BAM",
        "BBD",
        "BDT",
        "BGN",
        "BHD",
        "BIF",
        "BMD",
        "BND",
        "BOB",
        "BRL",
        "BSD",
        "BTN",
        "BWP",
        "BYN",
        "BZD",
        "CAD",
        "CDF",
        "CHF",
        "CLP",
        "CNY",
        "COP",
        "CRC",
        "CUP",
        "CVE",
        "CZK",
        "DJF",
        "DKK",
        "DOP",
        "DZD",
        "EGP",
        "ERN",
        "ETB",
        "EUR",
        "FJD",
        "FKP",
        "GBP",
        "GEL",
        "GHS",
        "GIP",
        "GMD",
        "GNF",
        "GTQ",
        "GYD",
        "HKD",
        "HNL",
        "HTG",
        "HUF",
        "IDR",
        "ILS",
        "INR",
        "IQD",
        "IRR",
        "ISK",
        "JMD",
        "JOD",
        "JPY",
        "KES",
        "KGS",
        "KHR",
        "KMF",
        "KPW",
        "KRW",
        "KWD",
        "KYD",
        "KZT",
        "LAK",
        "LBP",
        "LKR",
        "LRD",
        "LSL",
        "LYD",
        "MAD",
        "MDL",
        "MGA",
        "MKD",
        "MMK",
        "MNT",
        "MOP",
        "MRU",
        "MUR",
        "MVR",
        "MWK",
        "MXN",
        "MYR",
        "MZN",
        "NAD",
        "NGN",
        "NIO",
        "NOK",
        "NPR",
        "NZD",
        "OMR",
        "PAB",
        "PEN",
        "PGK",
        "PHP",
        "PKR",
        "PLN",
        "PYG",
        "QAR",
        "RON",
        "RSD",
        "RUB",
        "RWF",
        "SAR",
        "SBD",
        "SCR",
        "SDG",
        "SEK",
        "SGD",
        "SHP",
        "SLE",
        "SOS",
        "SRD",
        "SSP",
        "STN",
        "SVC",
        "SYP",
        "SZL",
        "THB",
        "TJS",
        "TMT",
        "TND",
        "TOP",
        "TRY",
        "TTD",
        "TWD",
        "TZS",
        "UAH",
        "UGX",
        "USD",
        "UYU",
        "UZS",
        "VES",
        "VND",
        "VUV",
        "WST",
        "XAF",
        "XCD",
        "XCG",
        "XOF",
        "XPF",
        "YER",
        "ZAR",
        "ZMW",
        "ZWG",
    ]
)


def validate_currency(value):
    if value not in ISO_4217:
        raise ValidationError(
            _("“%(value)s” is not an ISO 4217 currency code (e.g. PLN, EUR, CZK)."),
            code="invalid_currency",
            params={"value": value},
        )


def amount_field(verbose_name, *, positive=True, **kwargs):
    """A money amount; `positive` (the default) refuses zero and below beside the field, and
    none is above bounds.MAX_AMOUNT."""
    minimum = MinValueValidator(
        Decimal("0.01") if positive else ZERO,
        message=_("The amount must be greater than zero.")
        if positive
        else _("The amount cannot be negative."),
    )
    return models.DecimalField(
        verbose_name,
        max_digits=MAX_DIGITS,
        decimal_places=DECIMAL_PLACES,
        validators=[minimum, bounds.max_amount_validator()],
        **kwargs,
    )


def currency_field(**kwargs):
    return models.CharField(
        _("currency"),
        max_length=3,
        validators=[validate_currency],
        help_text=_("ISO 4217 code, e.g. PLN, EUR, CZK."),
        **kwargs,
    )


def format_amount(value):
    """An amount as the pages show it: two decimals, grouped (1,234.50 in English), as the
    templates' `floatformat:"2g"` does."""
    return number_format(value, 2, force_grouping=True)


# --- Conversion between currencies ----------------------------------------------------------
# The rates belong to the scoring parameters that managers edit (analytics), the top layer;
# analytics registers a provider at start-up so that the layers below it (processes' decision
# rules weighing a process's cost against the customer's value) can convert without importing
# it. Without a provider only same-currency amounts compare.

_rates_provider = None


def register_rates_provider(provider):
    """`provider()` returns (base_currency, {currency: units of base per one unit})."""
    global _rates_provider
    _rates_provider = provider


def convert(amount, from_currency, to_currency):
    """`amount` in `to_currency`, or None when no rate links the two currencies."""
    if amount is None:
        return None
    if from_currency == to_currency:
        return amount
    if _rates_provider is None:
        return None
    base, rates = _rates_provider()
    to_base = Decimal(1) if from_currency == base else rates.get(from_currency)
    from_base = Decimal(1) if to_currency == base else rates.get(to_currency)
    if not to_base or not from_base:
        return None
    return (Decimal(amount) * to_base / from_base).quantize(Decimal("0.01"))
