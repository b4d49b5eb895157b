"""The customer value formulas, as pure functions of a customer's figures and the parameters.

The scoring job (analytics.scoring) gathers each customer's figures with a few aggregate queries
per batch and calls `score()`; the page "How customer value is computed" describes exactly this
module. Same figures and parameters, same score: nothing here reads the clock or the database.

Money is converted to the parameters' base currency per currency total, then summed. A currency
without a rate is left out (the parameters page lists such currencies).

LTV = net paid to date + discounted run-rate of active recurring contracts
    net paid to date  = payments received - payouts paid
    run-rate          = the contract's value per month (value / 1, 3 or 12 by billing period)
    discounted        = sum over the next M months of run-rate / (1 + r) ** (m / 12), where
                        M = the horizon, or the whole months left until the contract's end if
                        sooner, and r = the annual discount rate

Payment reliability (0-100), over invoices whose due date has passed:
    credit = paid on time
           + each late payment x max(0, 1 - days late / tolerance)
           - overdue penalty x what is still unpaid (written-off balances included)
    reliability = 100 x credit / invoiced amount, kept within 0..100;
    empty while no invoice has fallen due.

Average days late: the amount-weighted days after the due date of the payments on those
invoices (on-time payments count as 0).

Grade: A when LTV and reliability both reach grade A's thresholds, else B, else C, else D.
An empty reliability (nothing due yet) passes any reliability threshold. A customer without any
billing history (no invoice, payment, payout or active recurring contract) gets no grade.
"""

from dataclasses import dataclass, field
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

CENT = Decimal("0.01")
TENTH = Decimal("0.1")
ZERO = Decimal("0")
HUNDRED = Decimal("100")
MONTHS_PER_PERIOD = {"monthly": 1, "quarterly": 3, "yearly": 12}


@dataclass
class Figures:
    """One customer's inputs, each money figure as {currency: amount}."""

    paid: dict = field(default_factory=dict)
    paid_12m: dict = field(default_factory=dict)
    payouts: dict = field(default_factory=dict)
    payouts_12m: dict = field(default_factory=dict)
    # Invoices whose due date has passed, and their payments.
    due: dict = field(default_factory=dict)
    paid_on_time: dict = field(default_factory=dict)
    paid_late: dict = field(default_factory=dict)
    # Sum over late payments of amount x days late, and of amount x min(days late, tolerance).
    late_amount_days: dict = field(default_factory=dict)
    late_amount_capped_days: dict = field(default_factory=dict)
    unpaid: dict = field(default_factory=dict)
    overdue: dict = field(default_factory=dict)
    # (value, currency, billing period, end date or None) of active recurring contracts.
    contracts: list = field(default_factory=list)
    last_contact_on: date | None = None
    interactions_90d: int = 0
    open_tickets: int = 0
    has_invoices: bool = False


@dataclass(frozen=True)
class Score:
    currency: str
    ltv: Decimal
    net_revenue_12m: Decimal
    payment_reliability: Decimal | None
    avg_days_late: Decimal | None
    overdue_amount: Decimal
    days_since_last_contact: int | None
    interactions_90d: int
    open_tickets: int
    grade: str | None


def in_base(amounts: dict, rates: dict) -> Decimal:
    """{currency: amount} → one amount in the base currency; unknown currencies left out."""
    total = ZERO
    for currency, amount in amounts.items():
        rate = rates.get(currency)
        if rate is not None and amount:
            total += Decimal(amount) * rate
    return total


def months_left(as_of: date, end: date | None, horizon: int) -> int:
    """Whole months from `as_of` until `end` (the horizon when open-ended), at most the horizon."""
    if end is None:
        return horizon
    if end <= as_of:
        return 0
    months = (end.year - as_of.year) * 12 + (end.month - as_of.month)
    if end.day < as_of.day:
        months -= 1
    return max(0, min(horizon, months))


def discount_factor_sum(months: int, annual_rate_percent: Decimal) -> Decimal:
    """Σ_{m=1..months} (1 + r) ** (-m / 12): what one unit a month for `months` is worth now."""
    if months <= 0:
        return ZERO
    rate = float(annual_rate_percent) / 100
    if rate == 0:
        return Decimal(months)
    v = (1 + rate) ** (-1 / 12)
    total = v * (1 - v**months) / (1 - v)
    # Rounded so the same inputs give the same decimal on every platform.
    return Decimal(repr(round(total, 9)))


def contracts_value(contracts, *, as_of: date, params, rates: dict) -> Decimal:
    total = ZERO
    for value, currency, period, end in contracts:
        rate = rates.get(currency)
        per_month = MONTHS_PER_PERIOD.get(period)
        if rate is None or per_month is None:
            continue
        monthly = Decimal(value) / per_month
        months = months_left(as_of, end, params.ltv_horizon_months)
        total += monthly * discount_factor_sum(months, params.annual_discount_rate) * rate
    return total


def reliability(figures: Figures, *, params, rates: dict) -> Decimal | None:
    due = in_base(figures.due, rates)
    if due <= 0:
        return None
    tolerance = Decimal(params.late_tolerance_days)
    on_time = in_base(figures.paid_on_time, rates)
    late = in_base(figures.paid_late, rates)
    late_penalty = in_base(figures.late_amount_capped_days, rates) / tolerance
    unpaid = in_base(figures.unpaid, rates)
    credit = on_time + (late - late_penalty) - params.overdue_penalty * unpaid
    value = HUNDRED * credit / due
    return min(HUNDRED, max(ZERO, value)).quantize(CENT, rounding=ROUND_HALF_UP)


def average_days_late(figures: Figures, *, rates: dict) -> Decimal | None:
    paid = in_base(figures.paid_on_time, rates) + in_base(figures.paid_late, rates)
    if paid <= 0:
        return None
    days = in_base(figures.late_amount_days, rates) / paid
    return days.quantize(TENTH, rounding=ROUND_HALF_UP)


def grade(*, ltv: Decimal, reliability: Decimal | None, params) -> str:
    for letter in ("a", "b", "c"):
        min_ltv = getattr(params, f"grade_{letter}_min_ltv")
        min_reliability = getattr(params, f"grade_{letter}_min_reliability")
        if ltv >= min_ltv and (reliability is None or reliability >= min_reliability):
            return letter.upper()
    return "D"


def score(figures: Figures, *, as_of: date, params, rates: dict | None = None) -> Score:
    rates = params.rates() if rates is None else rates
    paid = in_base(figures.paid, rates)
    payouts = in_base(figures.payouts, rates)
    ltv = (
        paid - payouts + contracts_value(figures.contracts, as_of=as_of, params=params, rates=rates)
    )
    ltv = ltv.quantize(CENT, rounding=ROUND_HALF_UP)
    net_12m = (in_base(figures.paid_12m, rates) - in_base(figures.payouts_12m, rates)).quantize(
        CENT, rounding=ROUND_HALF_UP
    )
    payment_reliability = reliability(figures, params=params, rates=rates)
    has_billing = bool(figures.has_invoices or figures.paid or figures.payouts or figures.contracts)
    return Score(
        currency=params.base_currency,
        ltv=ltv,
        net_revenue_12m=net_12m,
        payment_reliability=payment_reliability,
        avg_days_late=average_days_late(figures, rates=rates),
        overdue_amount=in_base(figures.overdue, rates).quantize(CENT, rounding=ROUND_HALF_UP),
        days_since_last_contact=(
            max(0, (as_of - figures.last_contact_on).days) if figures.last_contact_on else None
        ),
        interactions_90d=figures.interactions_90d,
        open_tickets=figures.open_tickets,
        grade=grade(ltv=ltv, reliability=payment_reliability, params=params)
        if has_billing
        else None,
    )
