"""Money, for every app: Decimal amounts with an ISO 4217 currency code, never one sum of two
currencies. The currency list and its check, the model fields of an amount and a currency, an
amount as pages show it, and conversion through the rates a higher layer registers."""

from decimal import ROUND_HALF_UP, Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.dispatch import receiver
from django.test.signals import setting_changed
from django.utils.formats import get_format, number_format
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from core import bounds
from core.forms import AmountField as AmountFormField
from core.forms import DecimalNumberField

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


class AmountField(models.DecimalField):
    """A DecimalField whose forms read the amount as the user's language writes it, in a text
    input (core.forms.AmountField): never a number input, which posts 123456 for a Polish
    "1 234,56" typed in an English browser."""

    form_class = AmountFormField

    def formfield(self, **kwargs):
        field = super().formfield(**{"form_class": self.form_class, **kwargs})
        # The model's upper limit in the form too, in its own words ("The amount cannot exceed
        # 999 999 999,99."): without it, a number too long for the column was refused as "no
        # more than 12 digits before the decimal point" before the model's limit was asked.
        field.validators.extend(
            validator for validator in self.validators if isinstance(validator, MaxValueValidator)
        )
        return field

    def deconstruct(self):
        # Stored exactly as a DecimalField: the forms differ, the column does not.
        name, _path, args, kwargs = super().deconstruct()
        return name, "django.db.models.DecimalField", args, kwargs


class NumberField(AmountField):
    """A decimal that is not money (a percentage, a discount), typed as AmountField is."""

    form_class = DecimalNumberField


def amount_field(verbose_name, *, positive=True, **kwargs):
    """A money amount; `positive` (the default) refuses zero and below beside the field, and
    none is above bounds.MAX_AMOUNT."""
    minimum = MinValueValidator(
        Decimal("0.01") if positive else ZERO,
        message=_("The amount must be greater than zero.")
        if positive
        else _("The amount cannot be negative."),
    )
    return AmountField(
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


# --- Amounts as people read them ------------------------------------------------------------
# Each language's currency symbols where CLDR (Unicode's locale data, read from Babel 2.19 and
# copied here so production needs no extra package) writes one other than the ISO code: Poles
# read "zł" and "€" but "USD", Czechs "Kč" and "US$", Russians "₽" and "$". English keeps the
# ISO code after the number, as the pages have always shown it ("1,234.56 PLN").
CURRENCY_SYMBOLS = {
    "pl": {
        "BRL": "R$",
        "EUR": "€",
        "PLN": "zł",
        "XAF": "FCFA",
        "XCD": "EC$",
        "XOF": "F\u202fCFA",
        "XPF": "CFPF",
    },
    "cs": {
        "AUD": "AU$",
        "BRL": "R$",
        "CAD": "CA$",
        "CNY": "CN¥",
        "CZK": "Kč",
        "EUR": "€",
        "GBP": "£",
        "HKD": "HK$",
        "JPY": "JP¥",
        "KRW": "₩",
        "MXN": "MX$",
        "NZD": "NZ$",
        "TWD": "NT$",
        "USD": "US$",
        "XAF": "FCFA",
        "XCD": "EC$",
        "XCG": "Cg.",
        "XOF": "F\u202fCFA",
        "XPF": "CFPF",
    },
    "ru": {
        "AUD": "A$",
        "BRL": "R$",
        "CAD": "CA$",
        "CNY": "CN¥",
        "EUR": "€",
        "GBP": "£",
        "HKD": "HK$",
        "ILS": "₪",
        "INR": "₹",
        "JPY": "¥",
        "KRW": "₩",
        "MXN": "MX$",
        "NZD": "NZ$",
        "RUB": "₽",
        "THB": "฿",
        "TMT": "\u0422\u041c\u0422",  # the manat, in Cyrillic letters
        "TWD": "NT$",
        "UAH": "₴",
        "USD": "$",
        "VND": "₫",
        "XAF": "FCFA",
        "XCD": "EC$",
        "XCG": "Cg",
        "XOF": "F\u202fCFA",
        "XPF": "CFPF",
    },
}
# Between the number and the symbol: a no-break space in the languages that write the symbol
# after the number (CLDR's "#,##0.00 ¤"), so a line never ends between them; English keeps
# the plain space it has always shown.
CURRENCY_SEPARATORS = {"en": " "}
_NBSP = "\xa0"
_HALF_UP_STEPS = {places: Decimal(1).scaleb(-places) for places in range(5)}


class _Locale:
    """One language's number conventions, read from Django's formats once (per process and
    language), so that a page formatting hundreds of amounts does not look them up each time."""

    __slots__ = ("grouped", "language", "separator", "symbols", "table")

    def __init__(self, language):
        self.language = language
        decimal_sep = str(get_format("DECIMAL_SEPARATOR", language))
        thousand_sep = str(get_format("THOUSAND_SEPARATOR", language))
        # Python's "{:,.2f}" groups by three; another grouping goes through Django's formatter.
        self.grouped = get_format("NUMBER_GROUPING", language) == 3
        self.table = str.maketrans({",": thousand_sep, ".": decimal_sep})
        base = (language or "").split("-")[0]
        self.symbols = CURRENCY_SYMBOLS.get(base, {})
        self.separator = CURRENCY_SEPARATORS.get(base, _NBSP)

    def number(self, value, places):
        value = value if isinstance(value, Decimal) else Decimal(str(value))
        if places in _HALF_UP_STEPS:
            # Half up, as the templates' floatformat rounds.
            value = value.quantize(_HALF_UP_STEPS[places], rounding=ROUND_HALF_UP)
        if not self.grouped:
            return number_format(value, places, force_grouping=True)
        return f"{value:,.{places}f}".translate(self.table)


_locales = {}


@receiver(setting_changed)
def _forget_locales(*, setting, **kwargs):
    # Tests that change the formats (or the languages) get conventions read afresh.
    if setting in ("FORMAT_MODULE_PATH", "LANGUAGES", "LANGUAGE_CODE") or setting.endswith(
        ("_SEPARATOR", "_GROUPING")
    ):
        _locales.clear()


def _locale():
    language = get_language() or settings.LANGUAGE_CODE
    found = _locales.get(language)
    if found is None:
        found = _locales[language] = _Locale(language)
    return found


def format_amount(value, places=DECIMAL_PLACES):
    """An amount as the pages show it in the active language, without its currency: grouped,
    `places` decimals ("1,234.50" in English, "1 234,50" in Polish, Czech and Russian)."""
    return _locale().number(value, places)


def currency_symbol(currency):
    """How the active language writes the currency: "zł" in Polish, "Kč" in Czech, "₽" in
    Russian, the ISO code where the language has no symbol of its own (and in English)."""
    return _locale().symbols.get(currency, currency)


def currency_suffix(currency):
    """What follows an amount of `currency` in the active language: " PLN" in English,
    " zł" (after a no-break space) in Polish; for amounts formatted elsewhere."""
    found = _locale()
    return f"{found.separator}{found.symbols.get(currency, currency)}"


def format_money(value, currency, places=DECIMAL_PLACES):
    """An amount with its currency as the active language writes it: "1,234.56 PLN" in
    English, "1 234,56 zł" in Polish, "1 234,56 Kč" in Czech, "1 234,56 ₽" in Russian."""
    found = _locale()
    return f"{found.number(value, places)}{found.separator}{found.symbols.get(currency, currency)}"


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
