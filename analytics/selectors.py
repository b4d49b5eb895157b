"""Reads of customer value: the current parameters and rates, a customer's trend, explanations."""

import time

from django.core.cache import cache
from django.utils.formats import number_format
from django.utils.translation import gettext as _

from core.money import currency_symbol, format_amount
from customers.selectors import CustomerRows
from relationships.models import Contract, Invoice, Payout

from .models import CustomerScore, ScoringParameters, ScoringRun

RATES_TTL_SECONDS = 60
_rates_cache = {"at": 0.0, "value": None}


def current_parameters() -> ScoringParameters:
    return ScoringParameters.objects.current()


def current_rates():
    """(base currency, {currency: rate}) of the current parameters, cached for a minute per
    process: core.money.convert calls this for every conversion."""
    now = time.monotonic()
    if _rates_cache["value"] is None or now - _rates_cache["at"] > RATES_TTL_SECONDS:
        params = current_parameters()
        _rates_cache["value"] = (params.base_currency, params.rates()) if params else ("", {})
        _rates_cache["at"] = now
    return _rates_cache["value"]


def forget_rates():
    _rates_cache["value"] = None


TREND_SCORES = 12

# Compiled once per process: the customer page reads a trend on every request.
_newest_scores = CustomerRows(
    lambda customer: CustomerScore.objects.filter(customer=customer).order_by(
        "-computed_at", "-id"
    )[:TREND_SCORES]
)


def score_trend(customer):
    """The customer's newest snapshots, oldest first, for the header's trend."""
    return _newest_scores(customer)[::-1]


def explain(*, reliability, days_late, overdue=None, currency=""):
    """How the customer pays, in a few words: “3.5 days late on average, 1,200.00 PLN overdue”."""
    if reliability is None:
        return _("no invoice has fallen due yet")
    if days_late is not None and days_late > 0:
        parts = [_("%(days)s days late on average") % {"days": number_format(days_late, 1)}]
    else:
        parts = [_("pays on time")]
    if overdue:
        parts.append(
            _("%(amount)s %(currency)s overdue")
            % {"amount": format_amount(overdue), "currency": currency_symbol(currency)}
        )
    return ", ".join(parts)


def currencies_without_rate(params) -> list[str]:
    """Currencies in use in billing that the parameters cannot convert (left out of scores)."""
    rates = params.rates()
    return sorted(code for code in currencies_in_use() if code and code not in rates)


# A new currency in billing is rare, and finding the ones in use reads whole tables (invoices
# and contracts have no index starting with the currency): /value/ reads them every few minutes.
CURRENCIES_IN_USE_SECONDS = 600


def currencies_in_use() -> set[str]:
    """The currencies of invoices, payouts and contracts, as of at most ten minutes ago."""
    used = cache.get("value:currencies-in-use")
    if used is None:
        used = set()
        for model in (Invoice, Payout, Contract):
            used.update(model.objects.order_by().values_list("currency", flat=True).distinct())
        cache.set("value:currencies-in-use", used, CURRENCIES_IN_USE_SECONDS)
    return used


def last_runs(limit=10):
    return list(ScoringRun.objects.select_related("parameters")[:limit])
