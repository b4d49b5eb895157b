"""Reads that weigh a process's cost against the customer's value, and the decision rules that
act on it. The customer's grade and lifetime value are written into its value row
(customers.CustomerValue) by analytics' scoring job, so nothing here imports analytics;
currencies convert through core.money, whose rates analytics registers."""

from dataclasses import dataclass, field
from datetime import timedelta
from decimal import ROUND_HALF_UP, Decimal

from django.core.cache import cache
from django.db.models import Avg, Count, Q, Sum
from django.db.models.functions import Coalesce
from django.utils import timezone

from core import money
from customers.models import Customer, CustomerValue
from relationships.models import Payout

from .models import Approval, DecisionRule, ProcessDefinition, ProcessInstance
from .models.decision_rules import breach_reason_text, breach_text

CENT = Decimal("0.01")
# The window whose closed instances set the expected cost of a new one.
EXPECTED_COST_DAYS = 365


def expected_cost(definition: ProcessDefinition, *, now=None) -> Decimal:
    """What a new instance of `definition` is expected to cost, in the definition's currency:
    the average accrued cost of its instances closed in the last year, else the fixed cost of
    its first working stage (all a new instance is sure to cost)."""
    since = (now or timezone.now()) - timedelta(days=EXPECTED_COST_DAYS)
    average = definition.instances.filter(closed_at__gte=since).aggregate(
        average=Avg("accrued_cost")
    )["average"]
    if average is not None:
        return Decimal(average).quantize(CENT, rounding=ROUND_HALF_UP)
    first = definition.first_stage()
    return first.fixed_cost if first is not None else money.ZERO


def not_scored_reason():
    return {"code": "not_scored"}


def no_rate_reason(from_currency, to_currency):
    return {"code": "no_rate", "from": from_currency or "", "to": to_currency or ""}


def _number(value) -> str:
    """A decimal as a reason's parameter: a plain string, formatted only when it is shown."""
    return str(Decimal(value))


@dataclass(frozen=True)
class CostToValue:
    """A cost (in `currency`) against the customer's lifetime value.

    `percent` is the cost as a percentage of the lifetime value, or None with `problem` saying
    why it cannot be computed (not scored, no value, no exchange rate): a reason as data
    (breach_reason_text), `problem_text` in the active language.
    """

    cost: Decimal
    currency: str
    percent: Decimal | None
    problem: dict | None = None

    @property
    def problem_text(self):
        return breach_reason_text(self.problem) if self.problem else ""


def cost_to_value(*, cost, currency, customer) -> CostToValue:
    if customer.scored_at is None:
        return CostToValue(cost, currency, None, not_scored_reason())
    if customer.ltv is None or customer.ltv <= 0:
        return CostToValue(
            cost,
            currency,
            None,
            {
                "code": "no_ltv",
                "value": _number(customer.ltv or 0),
                "currency": customer.ltv_currency,
            },
        )
    converted = money.convert(cost, currency, customer.ltv_currency)
    if converted is None:
        return CostToValue(cost, currency, None, no_rate_reason(currency, customer.ltv_currency))
    percent = (converted * 100 / customer.ltv).quantize(CENT, rounding=ROUND_HALF_UP)
    return CostToValue(cost, currency, percent)


@dataclass
class Breach:
    """An active rule a start breaks, and why (one reason per broken condition).

    `causes` are the reasons as data (`{"code": …, …}`, see breach_reason_text): what an
    approval that holds the process keeps (`as_data`), so each reader reads them in their own
    language; `reasons` and `message` are them written in the active language.
    """

    rule: DecisionRule
    causes: list = field(default_factory=list)

    @property
    def refuses(self):
        return self.rule.on_break == DecisionRule.OnBreak.REFUSE

    @property
    def reasons(self):
        return [breach_reason_text(cause) for cause in self.causes]

    @property
    def message(self):
        return breach_text(self.rule.name, self.causes)

    def as_data(self):
        return {"rule": self.rule.name, "reasons": self.causes}

    def __str__(self):
        return self.message


class RuleBook:
    """The active decision rules of a definition, read once.

    A job that starts a definition for many customers (a retention campaign, the collections
    run) keeps one book: the rules and the expected cost are queried once, not per customer.
    """

    def __init__(self, definition: ProcessDefinition):
        self.definition = definition
        self.rules = list(
            DecisionRule.objects.filter(definition=definition, active=True).order_by("name", "pk")
        )
        for rule in self.rules:
            rule.definition = definition
        self._expected_cost = None

    def expected_cost(self):
        if self._expected_cost is None:
            self._expected_cost = expected_cost(self.definition)
        return self._expected_cost

    def breaches(self, *, customer, amount=None, currency="", cost=None) -> list[Breach]:
        """The active rules that starting `definition` for `customer` would break.

        `amount`/`currency`: the new instance's amount; `cost`: the cost to weigh against the
        customer's value (in the definition's currency), by default the expected cost.
        """
        found = []
        ratio = None
        for rule in self.rules:
            reasons = []
            if rule.min_grade:
                reasons += self._grade(rule, customer)
            if rule.min_ltv is not None:
                reasons += self._ltv(rule, customer)
            if rule.max_cost_to_value_percent is not None:
                if ratio is None:
                    ratio = cost_to_value(
                        cost=self.expected_cost() if cost is None else cost,
                        currency=self.definition.currency,
                        customer=customer,
                    )
                reasons += self._ratio(rule, ratio)
            if rule.min_amount is not None:
                reasons += self._amount(rule, amount, currency)
            if reasons:
                # "Not scored yet" once, however many of the rule's conditions it defeats.
                causes = []
                for reason in reasons:
                    if reason not in causes:
                        causes.append(reason)
                found.append(Breach(rule=rule, causes=causes))
        return found

    # Each condition: [] when it holds, else the reason it does not (a condition that cannot
    # be evaluated counts as broken, and the reason says why).

    def _grade(self, rule, customer):
        if customer.scored_at is None:
            return [not_scored_reason()]
        if not customer.grade:
            return [{"code": "no_grade"}]
        if rule.grade_passes(customer.grade):
            return []
        return [{"code": "grade", "grade": customer.grade, "minimum": rule.min_grade}]

    def _ltv(self, rule, customer):
        if customer.scored_at is None:
            return [not_scored_reason()]
        minimum = money.convert(rule.min_ltv, self.definition.currency, customer.ltv_currency)
        if minimum is None:
            return [no_rate_reason(self.definition.currency, customer.ltv_currency)]
        if customer.ltv >= minimum:
            return []
        return [
            {
                "code": "ltv",
                "value": _number(customer.ltv),
                "currency": customer.ltv_currency,
                "minimum": _number(rule.min_ltv),
                "minimum_currency": self.definition.currency,
            }
        ]

    def _ratio(self, rule, ratio: CostToValue):
        if ratio.percent is None:
            return [ratio.problem]
        if ratio.percent <= rule.max_cost_to_value_percent:
            return []
        return [
            {
                "code": "ratio",
                "cost": _number(ratio.cost),
                "currency": ratio.currency,
                "percent": _number(ratio.percent),
                "maximum": _number(rule.max_cost_to_value_percent),
            }
        ]

    def _amount(self, rule, amount, currency):
        if amount is None:
            return [{"code": "no_amount"}]
        currency = (currency or self.definition.currency).upper()
        converted = money.convert(Decimal(amount), currency, self.definition.currency)
        if converted is None:
            return [no_rate_reason(currency, self.definition.currency)]
        if converted >= rule.min_amount:
            return []
        return [
            {
                "code": "amount",
                "amount": _number(amount),
                "currency": currency,
                "minimum": _number(rule.min_amount),
                "minimum_currency": self.definition.currency,
            }
        ]


def cost_against_value(instance) -> dict:
    """The instance page's "Cost against value" panel: the cost so far against the customer's
    value, and the active rule limits it exceeds."""
    ratio = cost_to_value(
        cost=instance.accrued_cost,
        currency=instance.definition.currency,
        customer=instance.customer,
    )
    limits = list(
        DecisionRule.objects.filter(
            definition_id=instance.definition_id,
            active=True,
            max_cost_to_value_percent__isnull=False,
        )
        .order_by("max_cost_to_value_percent", "name")
        .values_list("name", "max_cost_to_value_percent")
    )
    exceeded = (
        [(name, limit) for name, limit in limits if ratio.percent > limit]
        if ratio.percent is not None
        else []
    )
    return {"ratio": ratio, "limits": limits, "exceeded": exceeded}


# A large board's sum is at most this old (the cache forgets it then); the beat task
# `processes.tasks.refresh_board_totals` sums large boards again every 45 s, before that, so
# while it runs no request waits for the sum.
BOARD_TOTALS_SECONDS = 60


def _open_totals_key(definition_id):
    return f"board:open-totals:v1:{definition_id}"


def open_totals(definition_id):
    """({stage id: {"count": n, "amounts": [(currency, amount)]}}, now) over every open
    instance of the definition: one grouped sum (165 ms at a million customers)."""
    totals = {}
    for row in (
        ProcessInstance.objects.open()
        .filter(definition_id=definition_id)
        .values("stage_id", "currency")
        .annotate(n=Count("id"), amount=Sum("amount"))
        .order_by("stage_id", "currency")
    ):
        entry = totals.setdefault(row["stage_id"], {"count": 0, "amounts": []})
        entry["count"] += row["n"]
        if row["amount"] is not None:
            entry["amounts"].append((row["currency"], row["amount"]))
    return totals, timezone.now()


def open_totals_store(definition_id):
    """Sum the definition's open instances now and keep the result for the boards."""
    found = open_totals(definition_id)
    cache.set(_open_totals_key(definition_id), found, BOARD_TOTALS_SECONDS)
    return found


def definitions_with_large_boards(cap):
    """The ids of the active definitions with more than `cap` open instances: the boards with
    a column that may be over the lists' count cap (each counted up to cap + 1 off an index)."""
    return [
        pk
        for pk in ProcessDefinition.objects.filter(active=True).values_list("pk", flat=True)
        if ProcessInstance.objects.open().filter(definition_id=pk).order_by()[: cap + 1].count()
        > cap
    ]


def recent_open_totals(definition):
    """({stage id: {"count": n, "amounts": [(currency, amount)]}} over every open instance of
    the definition, when it was summed).

    The board counts and totals its columns live while they hold up to the lists' count cap;
    a column beyond it (tens of thousands of open deals) reads this instead, since summing all
    open deals took 165 ms at a million customers. The beat task sums large boards every
    45 s, off the request path; a request sums only when the cache has nothing (the task is
    not running, or Redis is away)."""
    found = cache.get(_open_totals_key(definition.pk))
    if found is None:
        found = open_totals_store(definition.pk)
    return found


@dataclass(frozen=True)
class RulePreview:
    """How many of today's customers a rule would let a process start for, of how many."""

    admitted: int
    customers: int
    amount_condition: bool  # min_amount depends on the process, not the customer


def decision_rule_preview(rule: DecisionRule) -> RulePreview:
    """What `rule` (saved or not) admits today among the current, not-ended customers: the
    conditions on the customer (grade, lifetime value, cost against value) evaluated in one
    COUNT, as RuleBook evaluates them one customer at a time (a condition that cannot be
    evaluated — not scored, no exchange rate, no value — does not admit)."""
    admits = Q()
    if rule.min_grade or rule.min_ltv is not None or rule.max_cost_to_value_percent is not None:
        admits &= Q(value__scored_at__isnull=False)
    if rule.min_grade:
        admits &= Q(
            value__grade__in=[grade for grade in Customer.Grade.values if rule.grade_passes(grade)]
        )
    condition = _ltv_condition(rule)
    if condition is not None:
        admits &= condition
    counts = (
        Customer.objects.current()
        .exclude(status=Customer.Status.ENDED)
        .aggregate(customers=Count("pk"), admitted=Count("pk", filter=admits))
    )
    return RulePreview(**counts, amount_condition=rule.min_amount is not None)


def _ltv_condition(rule: DecisionRule):
    """The lifetime values `rule` admits, per LTV currency, as RuleBook decides them (None
    without an LTV condition); a currency no exchange rate reaches admits nobody."""
    if rule.min_ltv is None and rule.max_cost_to_value_percent is None:
        return None
    currency = rule.definition.currency
    cost = expected_cost(rule.definition) if rule.max_cost_to_value_percent is not None else None
    admitted = Q(pk__in=[])
    codes = CustomerValue.objects.exclude(ltv_currency="").values_list("ltv_currency", flat=True)
    for code in codes.order_by().distinct():
        condition = Q(value__ltv_currency=code)
        if rule.min_ltv is not None:
            minimum = money.convert(rule.min_ltv, currency, code)
            if minimum is None:
                continue
            condition &= Q(value__ltv__gte=minimum)
        if cost is not None:
            converted = money.convert(cost, currency, code)
            if converted is None:
                continue
            # cost_to_value: a value above 0, and cost * 100 / LTV rounded half up to cents
            # <= percent, that is cost * 100 / LTV < percent + 0.005.
            condition &= Q(value__ltv__gt=0) & Q(
                value__ltv__gt=converted * 100 / (rule.max_cost_to_value_percent + CENT / 2)
            )
        admitted |= condition
    return admitted


def waiting_approvals(user):
    """The process approvals (discounts, write-offs, starts) waiting for a decision that `user`
    sees, the oldest first."""
    return (
        Approval.objects.visible_to(user)
        .filter(decision=Approval.Decision.PENDING)
        .select_related("instance__customer", "instance__definition", "requested_by")
        .order_by("requested_at", "id")
    )


def waiting_payouts(user):
    """The payouts above the threshold waiting for a manager that `user` sees, the oldest
    first: the approvals inbox lists them beside the process approvals."""
    return (
        Payout.objects.visible_to(user)
        .awaiting_approval()
        .select_related("customer", "requested_by")
        .order_by("requested_at", "id")
    )


def decided_approvals(user, *, limit):
    """The process approvals `user` sees that have been decided, the newest decision first."""
    return (
        Approval.objects.visible_to(user)
        .exclude(decision=Approval.Decision.PENDING)
        .select_related("instance__customer", "requested_by", "decided_by")
        .order_by("-decided_at", "-id")[:limit]
    )


def decided_payouts(user, *, limit):
    """The payouts `user` sees that a manager approved or rejected (paid since or not), the
    newest decision first, its moment as `decided_at`: the approvals inbox lists them beside the
    decided process approvals."""
    return (
        Payout.objects.visible_to(user)
        .filter(Q(approved_at__isnull=False) | Q(rejected_at__isnull=False))
        .annotate(decided_at=Coalesce("approved_at", "rejected_at"))
        .select_related("customer", "approved_by", "rejected_by")
        .order_by("-decided_at", "-id")[:limit]
    )
