"""The sales forecast, its weekly snapshot and its accuracy.

Weighted pipeline: each open sales opportunity counts its net amount (after discount) times the
win probability of the stage it is in, by expected close month and currency.

Accuracy of a past month M: F = the weighted forecast for M in the latest snapshot taken before
M began, A = the net amount of sales opportunities won (closed) in M, and
accuracy = 1 - |A - F| / F (undefined when nothing was forecast). Per currency, never summed
across currencies.
"""

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from functools import reduce
from operator import or_

from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.db.models import Count, DateField, DecimalField, F, OuterRef, Q, Subquery, Sum, Value
from django.db.models.functions import Coalesce, Round, TruncMonth
from django.utils import timezone

from processes.models import ProcessDefinition, ProcessInstance, Stage

from .models import ForecastSnapshot, WonDay
from .periods import Period, month_end, month_start
from .process_kpis import computed_days, net_amount, whole_months, within

ZERO = Decimal("0.00")
MONEY = DecimalField(max_digits=16, decimal_places=2)


def sales_definitions(definition=None):
    if definition is not None:
        return [definition] if definition.kind == ProcessDefinition.Kind.SALES else []
    return list(ProcessDefinition.objects.filter(kind=ProcessDefinition.Kind.SALES))


def weighted_amount():
    """net amount x the stage's win probability, rounded as ProcessInstance.weighted_amount."""
    return Round(
        net_amount() * F("stage__win_probability") / Value(Decimal(100)), 2, output_field=MONEY
    )


def open_pipeline(*, definitions, owner=None):
    """Open opportunities with an amount, grouped by expected close month (None: no date),
    owner, definition and currency: count, net amount and weighted amount."""
    queryset = ProcessInstance.objects.open().filter(
        definition__in=definitions, amount__isnull=False
    )
    if owner is not None:
        queryset = queryset.filter(owner=owner)
    return (
        queryset.order_by()
        .annotate(month=TruncMonth("expected_close_on", output_field=DateField()))
        .values("month", "owner", "definition", "currency")
        .annotate(
            # COUNT(*), not of the id: every column read is in instance_open_pipeline_idx, so
            # PostgreSQL answers from the index without visiting the table.
            count=Count("*"),
            # Not named "amount": F("amount") in the sums must mean the instance's column.
            net_total=Coalesce(Sum(net_amount()), Value(ZERO), output_field=MONEY),
            weighted_total=Coalesce(Sum(weighted_amount()), Value(ZERO), output_field=MONEY),
        )
    )


@dataclass
class PipelineMonth:
    month: date | None
    currency: str
    count: int
    amount: Decimal
    weighted: Decimal


def pipeline_by_month(*, definitions, owner=None):
    """[PipelineMonth] by month (undated last) and currency."""
    totals = {}
    for row in open_pipeline(definitions=definitions, owner=owner):
        key = (row["month"], row["currency"])
        entry = totals.setdefault(key, PipelineMonth(row["month"], row["currency"], 0, ZERO, ZERO))
        entry.count += row["count"]
        entry.amount += row["net_total"]
        entry.weighted += row["weighted_total"]
    return sorted(totals.values(), key=lambda e: (e.month is None, e.month or date.min, e.currency))


# The open pipeline is summed over every open opportunity (a few hundred thousand at a million
# customers); the report reuses a sum for this long, and says when it was taken.
PIPELINE_CACHE_SECONDS = 60


def recent_pipeline_by_month(*, definitions, owner=None):
    """(pipeline_by_month, when it was summed): summed at most PIPELINE_CACHE_SECONDS ago."""
    key = ":".join(
        str(part)
        for part in (
            "forecast:pipeline:v1",
            owner.pk if owner else "-",
            *sorted(d.pk for d in definitions),
        )
    )
    found = cache.get(key)
    if found is None:
        found = (pipeline_by_month(definitions=definitions, owner=owner), timezone.now())
        cache.set(key, found, PIPELINE_CACHE_SECONDS)
    return found


def forecast_snapshot_take(*, on=None) -> int:
    """Write down today's weighted pipeline per expected close month (this month on), owner,
    definition and currency; returns the rows written. Idempotent: a day that already has its
    snapshot gets nothing new (and two runs at once collide on the unique constraints)."""
    on = on or timezone.localdate()
    if ForecastSnapshot.objects.filter(snapshot_on=on).exists():
        return 0
    rows = [
        ForecastSnapshot(
            snapshot_on=on,
            month=row["month"],
            owner_id=row["owner"],
            definition_id=row["definition"],
            currency=row["currency"],
            weighted_amount=row["weighted_total"],
            amount=row["net_total"],
            count=row["count"],
        )
        for row in open_pipeline(definitions=sales_definitions()).filter(
            expected_close_on__gte=month_start(on)
        )
    ]
    ForecastSnapshot.objects.bulk_create(rows, ignore_conflicts=True)
    return len(rows)


def next_month(first):
    return date(first.year + first.month // 12, first.month % 12 + 1, 1)


def past_months(period: Period, *, today):
    """The first days of the months of `period` that ended before `today`."""
    months = []
    month = month_start(period.start)
    while month <= period.end and month_end(month) < today:
        months.append(month)
        month = next_month(month)
    return months


def accuracy(actual, forecast):
    """1 - |actual - forecast| / forecast, as a percentage; None without a forecast."""
    if not forecast:
        return None
    return 100 * (1 - abs(actual - forecast) / forecast)


@dataclass
class AccuracyRow:
    month: date
    currency: str
    forecast: Decimal
    actual: Decimal
    owner_id: int | None = None
    owner_name: str = ""
    # A total's per-owner rows, as the report shows them under it.
    lines: list = field(default_factory=list, compare=False, repr=False)

    @property
    def accuracy(self):
        return accuracy(self.actual, self.forecast)


def forecast_accuracy(*, months, definitions, owner=None, by_owner=False):
    """[AccuracyRow] per month and currency (and owner with `by_owner`), in GROUP BY queries:
    the forecasts of the latest snapshot before each month, and the amounts won (won_by_month)."""
    if not months or not definitions:
        return []
    group = ["month", "currency"] + (["owner"] if by_owner else [])
    latest_before = (
        ForecastSnapshot.objects.filter(snapshot_on__lt=OuterRef("month"))
        .order_by("-snapshot_on")
        .values("snapshot_on")[:1]
    )
    forecasts = ForecastSnapshot.objects.filter(
        month__in=months, definition__in=definitions, snapshot_on=Subquery(latest_before)
    )
    if owner is not None:
        forecasts = forecasts.filter(owner=owner)
    rows = {}
    for row in forecasts.order_by().values(*group).annotate(total=Sum("weighted_amount")):
        key = tuple(row[name] for name in group)
        rows[key] = [row["total"] or ZERO, ZERO]
    for row in won_by_month(months=months, definitions=definitions, owner=owner, group=group):
        key = tuple(row[name] for name in group)
        rows.setdefault(key, [ZERO, ZERO])[1] += row["total"] or ZERO
    names = {}
    if by_owner:
        owner_ids = {key[2] for key in rows if key[2] is not None}
        names = dict(
            get_user_model().objects.filter(pk__in=owner_ids).values_list("pk", "username")
        )
    result = [
        AccuracyRow(
            month=key[0],
            currency=key[1],
            forecast=forecast,
            actual=actual,
            owner_id=key[2] if by_owner else None,
            owner_name=names.get(key[2], "") if by_owner else "",
        )
        for key, (forecast, actual) in rows.items()
    ]
    return sorted(result, key=lambda r: (r.month, r.currency, r.owner_name))


def won_by_month(*, months, definitions, owner, group):
    """The net amount won per month and the `group` fields ("month", "currency", maybe
    "owner"): months all of whose days the nightly rollup has computed are read from WonDay,
    the others (before the first rollup, a month it has not reached) from the deals live."""
    computed = computed_days(months[0], month_end(months[-1]))
    whole = whole_months(computed)
    rolled = [month for month in months if month in whole]
    live = [month for month in months if month not in rolled]
    sources = []
    if rolled:
        days = reduce(or_, (Q(day__range=(month, month_end(month))) for month in rolled))
        sources.append((WonDay.objects.filter(days), "day", Sum("amount")))
    if live:
        won = ProcessInstance.objects.filter(
            within("closed_at", [(month, month_end(month)) for month in live]),
            outcome=Stage.Outcome.WON,
            amount__isnull=False,
        )
        sources.append((won, "closed_at", Sum(net_amount())))
    found = []
    for queryset, when, total in sources:
        queryset = queryset.filter(definition__in=definitions)
        if owner is not None:
            queryset = queryset.filter(owner=owner)
        found += (
            queryset.order_by()
            .annotate(month=TruncMonth(when, output_field=DateField()))
            .values(*group)
            .annotate(total=total)
        )
    return found


def totals_of(rows):
    """Per-owner AccuracyRows summed per month and currency (the owner's rows only add up
    amounts of one currency)."""
    totals = {}
    for row in rows:
        entry = totals.setdefault(
            (row.month, row.currency), AccuracyRow(row.month, row.currency, ZERO, ZERO)
        )
        entry.forecast += row.forecast
        entry.actual += row.actual
    return sorted(totals.values(), key=lambda r: (r.month, r.currency))


def rounded(value, places=1):
    return None if value is None else round(float(value), places)
