"""The process KPI dashboard's reads: per process definition and period, volume, conversion,
cycle time, time in stage, SLA compliance, cost and value per cost, each against its target.

Every figure is a GROUP BY over the cohorts of analytics.process_kpis.measures; nothing loops
over instances in Python except the SQLite percentile fallback (analytics.aggregates). Days the
nightly rollup has computed are read from it (analytics.process_kpis.days), and cached under a
key that changes whenever the rollup computes one of those days again; today, days not computed
yet and every figure narrowed to an owner are measured live (the days beside computed ones
only when they hold anything to measure: DaysRead).
"""

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from itertools import zip_longest

from django.core.cache import cache
from django.db.models import Avg, Count, F, Q, Sum
from django.db.models.functions import TruncWeek
from django.utils import timezone
from django.utils.translation import gettext as _

from core import money
from processes.models import ProcessDefinition, Stage

from ..aggregates import grouped
from ..models import DurationHistogram, ProcessKpiDay, StageKpiDay, StageStay
from . import kpi_days
from .measures import (
    CYCLE_BUCKETS,
    DAY,
    DEADLINES,
    conversion_metric,
    cycle_buckets,
    cycle_duration,
    in_days,
    instances_of,
    net_amount,
    period_bounds,
    stays_ended,
    succeeded,
    ticket_deadlines,
)
from .targets import apply_targets, target_period_for, targets_of

# The rolled-up part of the dashboard changes only when the rollup runs, and its cache key
# carries when that last happened (kpi_days.computed_days_stamped); the timeout only bounds
# how long an entry no key points to any more stays around.
ROLLUP_CACHE_PREFIX = "process-kpis:rollup:v1"
ROLLUP_CACHE_SECONDS = 36 * 3600


@dataclass
class StageKpis:
    stage: Stage
    stays: int = 0
    median_days: float | None = None
    p90_days: float | None = None
    avg_days: float | None = None
    sla_total: int = 0
    sla_met: int = 0

    @property
    def sla_rate(self):
        return 100 * self.sla_met / self.sla_total if self.sla_total else None


@dataclass
class DefinitionKpis:
    definition: ProcessDefinition
    started: int = 0
    closed: int = 0
    succeeded: int = 0
    cycle_avg_days: float | None = None
    cycle_median_days: float | None = None
    cycle_p90_days: float | None = None
    cost_total: Decimal = Decimal(0)
    cost_avg: Decimal | None = None
    won: dict = field(default_factory=dict)  # {currency: net amount won}
    stages: list = field(default_factory=list)
    cycle_buckets: list = field(default_factory=list)
    response_total: int = 0
    response_met: int = 0
    resolution_total: int = 0
    resolution_met: int = 0
    measures: dict = field(default_factory=dict)  # {metric: Measure}

    @property
    def conversion(self):
        return 100 * self.succeeded / self.closed if self.closed else None

    @property
    def sla_total(self):
        stays = sum(stage.sla_total for stage in self.stages)
        return stays + self.response_total + self.resolution_total

    @property
    def sla_met(self):
        stays = sum(stage.sla_met for stage in self.stages)
        return stays + self.response_met + self.resolution_met

    @property
    def sla_rate(self):
        return 100 * self.sla_met / self.sla_total if self.sla_total else None

    @property
    def value_per_cost(self):
        """[(currency, value won per one unit of cost)]: each currency on its own, the cost in
        the definition's currency, so no two currencies are ever added."""
        if not self.cost_total:
            return []
        return [(code, amount / self.cost_total) for code, amount in sorted(self.won.items())]

    @property
    def conversion_measure(self):
        return self.measures.get(conversion_metric(self.definition.kind))

    @property
    def cost_suffix(self):
        return money.currency_suffix(self.definition.currency)

    @property
    def amount_recovered(self):
        return self.won.get(self.definition.currency, Decimal(0))


def _stage_figures(*, definitions, owner, start, end):
    """{stage id: StageKpis fields}: one GROUP BY over the stays that ended in the period."""
    stays = stays_ended(definitions=definitions, owner=owner, start=start, end=end)
    rows = grouped(
        stays,
        ["stage"],
        {
            "stays": Count("pk"),
            "avg": Avg("seconds"),
            "sla_total": Count("pk", filter=Q(sla_met__isnull=False)),
            "sla_met": Count("pk", filter=Q(sla_met=True)),
        },
        percentile_of=F("seconds"),
    )
    return {
        row["stage"]: {
            "stays": row["stays"],
            "avg_days": row["avg"] / DAY,
            "sla_total": row["sla_total"],
            "sla_met": row["sla_met"],
            "median_days": in_days(row["p50"]),
            "p90_days": in_days(row["p90"]),
        }
        for row in rows
    }


def definitions_shown(definition=None):
    """The definition asked for, or all of them, by kind and name."""
    if definition is not None:
        return [definition]
    return list(ProcessDefinition.objects.order_by("kind", "name"))


@dataclass(frozen=True)
class DaysRead:
    """Where the dashboard reads a period's days from: `computed`, the days the rollup has
    computed (none when narrowed to an owner), and `stamp`, when the latest of them was
    computed (together a cache key); `live`, [(first, last)] ranges of the other days, to be
    measured live: none when they hold nothing to measure."""

    computed: set
    stamp: datetime | None
    live: list


def computed_days_of(period, *, definitions, owner=None, today=None):
    """The DaysRead of the period for `definitions`, what process_kpis and weekly_volume read."""
    if owner is not None:
        computed, stamp = set(), None
    else:
        computed, stamp = kpi_days.computed_days_stamped(period.start, period.end, today=today)
    live = kpi_days.runs(
        day
        for day in (period.start + timedelta(days=n) for n in range(period.days))
        if day not in computed
    )
    # Beside computed days the days left are few (today, maybe yesterday before the nightly
    # run), and often hold nothing: one statement says so instead of the eight measuring them.
    if computed and not kpi_days.hold_anything(live, definitions=definitions):
        live = []
    return DaysRead(computed=computed, stamp=stamp, live=live)


def process_kpis(*, period, definitions, owner=None, today=None, computed_days=None):
    """[DefinitionKpis] of `definitions`, by kind and name: from the rollup for the days it has
    computed (not when narrowed to an owner), live for the others. `computed_days`: what
    computed_days_of gives, when the caller has it already."""
    if not definitions:
        return []
    rows = {d.pk: DefinitionKpis(definition=d) for d in definitions}
    days = computed_days or computed_days_of(
        period, definitions=definitions, owner=owner, today=today
    )
    if days.computed:
        figures = _rolled_up(rows, definitions=definitions, days=days)
    else:
        figures = _live(rows, period=period, definitions=definitions, owner=owner)
    stages = Stage.objects.filter(definition__in=definitions, outcome="").order_by(
        "definition", "position"
    )
    for stage in stages:
        rows[stage.definition_id].stages.append(StageKpis(stage=stage, **figures.get(stage.pk, {})))

    targets = targets_of(definitions, target_period_for(period))
    for kpis in rows.values():
        apply_targets(kpis, targets, period)
    return sorted(rows.values(), key=lambda k: (k.definition.kind, k.definition.name))


def _live(rows, *, period, definitions, owner):
    """Fills `rows` with the period measured live and exactly; returns the stage figures."""
    start, end = period_bounds(period)
    instances = instances_of(definitions=definitions, owner=owner)

    for row in (
        instances.filter(opened_at__gte=start, opened_at__lt=end)
        .values("definition")
        .annotate(n=Count("id"))
    ):
        rows[row["definition"]].started = row["n"]

    # The cycle as an interval: PostgreSQL subtracts timestamps far faster than it extracts
    # seconds from them, and the dashboard reads it a dozen times per instance.
    closed = instances.filter(closed_at__gte=start, closed_at__lt=end).annotate(
        _cycle=cycle_duration()
    )
    cycle = F("_cycle")
    for row in grouped(
        closed,
        ["definition"],
        {
            "n": Count("id"),
            "succeeded": Count("id", filter=succeeded()),
            "cost_total": Sum("accrued_cost"),
            "cost_avg": Avg("accrued_cost"),
            "cycle_avg": Avg(cycle),
            **cycle_buckets(cycle),
            **ticket_deadlines(),
        },
        percentile_of=cycle,
    ):
        kpis = rows[row["definition"]]
        kpis.closed = row["n"]
        kpis.succeeded = row["succeeded"]
        kpis.cost_total = row["cost_total"] or Decimal(0)
        kpis.cost_avg = (
            Decimal(row["cost_avg"]).quantize(Decimal("0.01"))
            if row["cost_avg"] is not None
            else None
        )
        kpis.cycle_avg_days = in_days(row["cycle_avg"])
        kpis.cycle_median_days = in_days(row["p50"])
        kpis.cycle_p90_days = in_days(row["p90"])
        kpis.cycle_buckets = [row[f"bucket{i}"] for i in range(len(CYCLE_BUCKETS))]
        for name in ("response_total", "response_met", "resolution_total", "resolution_met"):
            setattr(kpis, name, row[name])
    for row in (
        closed.filter(outcome=Stage.Outcome.WON, amount__isnull=False)
        .values("definition", "currency")
        .annotate(total=Sum(net_amount()))
    ):
        rows[row["definition"]].won[row["currency"]] = row["total"]
    return _stage_figures(definitions=definitions, owner=owner, start=start, end=end)


def _rolled_up(rows, *, definitions, days):
    """Fills `rows` with the computed days' sums plus the live days measured (their sums and
    histograms), the percentiles read from the histograms; returns the stage figures."""
    computed, stamp = days.computed, days.stamp
    ids = sorted(d.pk for d in definitions)
    rolled = _cached_rollup(
        "totals", definitions, computed, stamp, lambda: _rollup_totals(ids, computed)
    )
    for pk, totals in rolled["kpis"].items():
        kpis = rows[pk]
        for name, value in totals.items():
            setattr(kpis, name, value)
        kpis.won = dict(kpis.won)
        kpis.cycle_buckets = list(kpis.cycle_buckets)
    cycle_seconds = defaultdict(float, rolled["cycle_seconds"])
    histograms = defaultdict(lambda: defaultdict(int))
    for name, counts in rolled["histograms"].items():
        histograms[name].update(counts)
    stage_sums = defaultdict(lambda: defaultdict(float))
    for stage, sums in rolled["stage_sums"].items():
        stage_sums[stage].update(sums)

    if days.live:
        _live_sums(rows, definitions, days.live, cycle_seconds, histograms, stage_sums)

    for pk, kpis in rows.items():
        if kpis.closed:
            kpis.cost_avg = (kpis.cost_total / kpis.closed).quantize(Decimal("0.01"))
            kpis.cycle_avg_days = cycle_seconds[pk] / kpis.closed / DAY
            counts = histograms.get(("cycle", pk), {})
            kpis.cycle_median_days = in_days(kpi_days.histogram_percentile(counts, 0.5))
            kpis.cycle_p90_days = in_days(kpi_days.histogram_percentile(counts, 0.9))
    figures = {}
    for stage, sums in stage_sums.items():
        if not sums["stays"]:
            continue
        counts = histograms.get(stage, {})
        figures[stage] = {
            "stays": int(sums["stays"]),
            "avg_days": sums["seconds"] / sums["stays"] / DAY,
            "sla_total": int(sums["sla_total"]),
            "sla_met": int(sums["sla_met"]),
            "median_days": in_days(kpi_days.histogram_percentile(counts, 0.5)),
            "p90_days": in_days(kpi_days.histogram_percentile(counts, 0.9)),
        }
    return figures


def _cached_rollup(part, definitions, computed, stamp, compute):
    """`compute()`, a part of the dashboard read from the rollup, cached under a key of the
    definitions, the computed days and when the latest of them was computed: a rollup run over
    any of these days changes the key, so an entry is never stale."""
    days = sorted(computed)
    key = ":".join(
        str(piece)
        for piece in (
            ROLLUP_CACHE_PREFIX,
            part,
            *sorted(d.pk for d in definitions),
            days[0],
            days[-1],
            len(days),
            stamp.isoformat(),
        )
    )
    found = cache.get(key)
    if found is None:
        found = compute()
        cache.set(key, found, ROLLUP_CACHE_SECONDS)
    return found


def _rollup_totals(ids, computed):
    """What the rollup holds for the definitions `ids` over the days `computed`, as plain data
    (cached by _rolled_up): per definition its sums, cycle buckets and amounts won; the seconds
    of the cycles; per stage the stays' sums; the histograms {stage or ("cycle", definition):
    {bucket: count}}, of whole months read from their month rows."""
    days = sorted(computed)
    kpis = {pk: {"cycle_buckets": [], "won": {}} for pk in ids}
    cycle_seconds = {}
    histograms = defaultdict(dict)
    stage_sums = {}

    kpi_days_shown = ProcessKpiDay.objects.filter(definition__in=ids, day__in=days).order_by()
    sums = ("started", "closed", "succeeded", "cost_total", *DEADLINES)
    for row in kpi_days_shown.values("definition").annotate(
        _cycle_seconds=Sum("cycle_seconds"), **{f"_{name}": Sum(name) for name in sums}
    ):
        kpis[row["definition"]].update({name: row[f"_{name}"] for name in sums})
        cycle_seconds[row["definition"]] = row["_cycle_seconds"]
    # The JSON columns are added up here, only from the days that have any closed.
    for definition, buckets, won in kpi_days_shown.filter(closed__gt=0).values_list(
        "definition", "cycle_buckets", "won"
    ):
        totals = kpis[definition]
        totals["cycle_buckets"] = [
            a + b for a, b in zip_longest(totals["cycle_buckets"], buckets, fillvalue=0)
        ]
        for code, amount in won.items():
            totals["won"][code] = totals["won"].get(code, Decimal(0)) + Decimal(amount)
    for row in (
        StageKpiDay.objects.filter(definition__in=ids, day__in=days)
        .order_by()
        .values("stage")
        .annotate(
            _stays=Sum("stays"),
            _seconds=Sum("seconds"),
            _sla_total=Sum("sla_total"),
            _sla_met=Sum("sla_met"),
        )
    ):
        stage_sums[row["stage"]] = {
            name: float(row[f"_{name}"]) for name in ("stays", "seconds", "sla_total", "sla_met")
        }
    months = kpi_days.whole_months(computed)
    rest = [day for day in days if day.replace(day=1) not in months]
    for definition, stage, bucket, count in (
        DurationHistogram.objects.filter(definition__in=ids)
        .filter(
            Q(span=DurationHistogram.Span.MONTH, day__in=sorted(months))
            | Q(span=DurationHistogram.Span.DAY, day__in=rest)
        )
        .order_by()
        .values("definition", "stage", "bucket")
        .annotate(n=Sum("count"))
        .values_list("definition", "stage", "bucket", "n")
    ):
        histograms[stage if stage is not None else ("cycle", definition)][bucket] = count
    return {
        "kpis": kpis,
        "cycle_seconds": cycle_seconds,
        "histograms": dict(histograms),
        "stage_sums": stage_sums,
    }


def _live_sums(rows, definitions, ranges, cycle_seconds, histograms, stage_sums):
    """Adds the days `ranges` [(first, last)], measured live, to the rolled-up sums and
    histograms of _rolled_up."""
    instances = instances_of(definitions=definitions)
    for row in (
        instances.filter(kpi_days.within("opened_at", ranges))
        .values("definition")
        .annotate(n=Count("id"))
    ):
        rows[row["definition"]].started += row["n"]
    closed = instances.filter(kpi_days.within("closed_at", ranges)).annotate(
        _cycle=cycle_duration()
    )
    for row in closed.values("definition").annotate(
        n=Count("id"),
        succeeded=Count("id", filter=succeeded()),
        cost_total=Sum("accrued_cost"),
        cycle_total=Sum(F("_cycle")),
        **cycle_buckets(F("_cycle")),
        **ticket_deadlines(),
    ):
        kpis = rows[row["definition"]]
        kpis.closed += row["n"]
        kpis.succeeded += row["succeeded"]
        kpis.cost_total += row["cost_total"] or Decimal(0)
        cycle_seconds[row["definition"]] += kpi_days.seconds_of(row["cycle_total"])
        kpis.cycle_buckets = [
            a + row[f"bucket{i}"]
            for i, a in enumerate(kpis.cycle_buckets or [0] * len(CYCLE_BUCKETS))
        ]
        for name in ("response_total", "response_met", "resolution_total", "resolution_met"):
            setattr(kpis, name, getattr(kpis, name) + row[name])
    for row in (
        closed.filter(outcome=Stage.Outcome.WON, amount__isnull=False)
        .values("definition", "currency")
        .annotate(total=Sum(net_amount()))
    ):
        won = rows[row["definition"]].won
        won[row["currency"]] = won.get(row["currency"], Decimal(0)) + row["total"]
    # The cycle as the database computed it: one interval a row to load, not two timestamps.
    for definition, cycle in closed.values_list("definition", "_cycle"):
        histograms[("cycle", definition)][kpi_days.bucket_of(cycle.total_seconds())] += 1

    stays = StageStay.objects.filter(
        kpi_days.within("left_at", ranges), definition__in=definitions, seconds__isnull=False
    ).order_by()
    for row in stays.values("stage").annotate(
        n=Count("pk"),
        seconds_total=Sum("seconds"),
        sla_total=Count("pk", filter=Q(sla_met__isnull=False)),
        sla_met=Count("pk", filter=Q(sla_met=True)),
    ):
        sums = stage_sums[row["stage"]]
        sums["stays"] += row["n"]
        sums["seconds"] += row["seconds_total"]
        sums["sla_total"] += row["sla_total"]
        sums["sla_met"] += row["sla_met"]
    for row in (
        stays.annotate(bucket=kpi_days.bucket_sql(F("seconds")))
        .values("stage", "bucket")
        .annotate(n=Count("pk"))
    ):
        histograms[row["stage"]][int(row["bucket"])] += row["n"]


def weekly_volume(*, period, definitions, owner=None, today=None, computed_days=None):
    """(week starts, started per week, closed per week) over the period: the days the rollup
    has computed from it (not when narrowed to an owner), the others live. `computed_days`: as
    for process_kpis."""
    first = period.start - timedelta(days=period.start.weekday())
    weeks = []
    day = first
    while day <= period.end:
        weeks.append(day)
        day += timedelta(days=7)
    started, closed = defaultdict(int), defaultdict(int)

    def week_of(day):
        return day - timedelta(days=day.weekday())

    days = computed_days or computed_days_of(
        period, definitions=definitions, owner=owner, today=today
    )
    if days.computed:
        computed = days.computed
        for day, opened, ended in _cached_rollup(
            "weekly",
            definitions,
            computed,
            days.stamp,
            lambda: _rolled_up_days(definitions, computed),
        ):
            started[week_of(day)] += opened
            closed[week_of(day)] += ended
    if days.live:
        instances = instances_of(definitions=definitions, owner=owner)
        for field, table in (("opened_at", started), ("closed_at", closed)):
            for row in (
                instances.filter(kpi_days.within(field, days.live))
                .annotate(week=TruncWeek(field))
                .values("week")
                .annotate(n=Count("id"))
            ):
                table[timezone.localtime(row["week"]).date()] += row["n"]
    return weeks, [started[w] for w in weeks], [closed[w] for w in weeks]


def _rolled_up_days(definitions, computed):
    """[(day, started, closed)] of the computed days, all `definitions` together."""
    return list(
        ProcessKpiDay.objects.filter(definition__in=definitions, day__in=sorted(computed))
        .order_by()
        .values("day")
        .annotate(opened=Sum("started"), ended=Sum("closed"))
        .values_list("day", "opened", "ended")
    )


def cycle_distribution(rows):
    """(bucket labels, instances closed in the period per bucket) of the dashboard's rows."""
    labels = [
        _("%(low)s-%(high)s d") % {"low": low, "high": high}
        if high is not None
        else _("%(low)s+ d") % {"low": low}
        for low, high in CYCLE_BUCKETS
    ]
    counts = [
        sum(kpis.cycle_buckets[index] for kpis in rows if kpis.cycle_buckets)
        for index in range(len(CYCLE_BUCKETS))
    ]
    return labels, counts
