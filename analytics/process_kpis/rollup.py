"""The process KPI dashboard's nightly rollup: per local day (TIME_ZONE) and definition, the
instances started and closed with their sums (ProcessKpiDay), per stage the stays that ended
(StageKpiDay), and histograms of cycle times and stage stays (DurationHistogram), so a year of
the dashboard adds up a few thousand rows instead of grouping and sorting millions live
(analytics.process_kpis.days says what is exact and what is within 3 %).

The nightly job recomputes the last ROLLUP_REFRESH_DAYS days and every earlier day not computed
yet (all history on the first run); an instance reopened or a move entered with an older date
changes older days only when `manage.py rollup_process_kpis --start … --end …` recomputes them.
"""

from collections import defaultdict
from datetime import date, timedelta
from decimal import Decimal

from django.db import transaction
from django.db.models import Count, F, Min, Q, Sum
from django.db.models.functions import TruncDate
from django.utils import timezone

from processes.models import ProcessInstance, Stage

from ..models import DurationHistogram, ProcessKpiDay, StageKpiDay, StageStay, WonDay
from .kpi_days import bucket_of, bucket_sql, computed_days, month_days, runs, seconds_of, within
from .measures import (
    CYCLE_BUCKETS,
    cycle_buckets,
    cycle_duration,
    net_amount,
    succeeded,
    ticket_deadlines,
)
from .stays import stage_stays_refresh

ROLLUP_REFRESH_DAYS = 7
Span = DurationHistogram.Span


def _local_day(field):
    return TruncDate(field, tzinfo=timezone.get_default_timezone())


def _rollup_rows(first, last):
    """The ProcessKpiDay, StageKpiDay and DurationHistogram rows of the days first to last."""
    ranges = [(first, last)]
    now = timezone.now()
    days = defaultdict(dict)  # {(day, definition): fields}

    def row(day, definition):
        return days[(day, definition)].setdefault(
            "_",
            ProcessKpiDay(
                day=day, definition_id=definition, computed_at=now, cycle_buckets=[], won={}
            ),
        )

    instances = ProcessInstance.objects.order_by()
    for found in (
        instances.filter(within("opened_at", ranges))
        .annotate(day=_local_day("opened_at"))
        .values("day", "definition")
        .annotate(n=Count("id"))
    ):
        row(found["day"], found["definition"]).started = found["n"]
    closed = instances.filter(within("closed_at", ranges)).annotate(
        day=_local_day("closed_at"), _cycle=cycle_duration()
    )
    for found in closed.values("day", "definition").annotate(
        n=Count("id"),
        succeeded=Count("id", filter=succeeded()),
        cost_total=Sum("accrued_cost"),
        cycle_total=Sum(F("_cycle")),
        **cycle_buckets(F("_cycle")),
        **ticket_deadlines(),
    ):
        kpi = row(found["day"], found["definition"])
        kpi.closed = found["n"]
        kpi.succeeded = found["succeeded"]
        kpi.cost_total = found["cost_total"] or Decimal(0)
        kpi.cycle_seconds = seconds_of(found["cycle_total"])
        kpi.cycle_buckets = [found[f"bucket{i}"] for i in range(len(CYCLE_BUCKETS))]
        for name in ("response_total", "response_met", "resolution_total", "resolution_met"):
            setattr(kpi, name, found[name])
    won_days = []
    for found in (
        closed.filter(outcome=Stage.Outcome.WON, amount__isnull=False)
        .values("day", "definition", "owner", "currency")
        .annotate(total=Sum(net_amount()), n=Count("id"))
        .order_by("day", "definition", "owner", "currency")
    ):
        won = row(found["day"], found["definition"]).won
        currency = found["currency"]
        won[currency] = str(Decimal(won.get(currency, "0")) + found["total"])
        won_days.append(
            WonDay(
                day=found["day"],
                definition_id=found["definition"],
                owner_id=found["owner"],
                currency=currency,
                amount=found["total"],
                deals=found["n"],
            )
        )

    histogram = defaultdict(int)  # {(day, definition, stage, bucket): count}
    for definition, opened, closed_at in closed.values_list(
        "definition", "opened_at", "closed_at"
    ).iterator(chunk_size=5000):
        day = timezone.localtime(closed_at, timezone.get_default_timezone()).date()
        histogram[(day, definition, None, bucket_of((closed_at - opened).total_seconds()))] += 1

    stays = StageStay.objects.filter(within("left_at", ranges), seconds__isnull=False).order_by()
    stages = [
        StageKpiDay(
            day=found["day"],
            definition_id=found["definition"],
            stage_id=found["stage"],
            stays=found["stays"],
            seconds=found["seconds_total"],
            sla_total=found["sla_total"],
            sla_met=found["sla_met"],
        )
        for found in stays.annotate(day=_local_day("left_at"))
        .values("day", "definition", "stage")
        .annotate(
            stays=Count("pk"),
            seconds_total=Sum("seconds"),
            sla_total=Count("pk", filter=Q(sla_met__isnull=False)),
            sla_met=Count("pk", filter=Q(sla_met=True)),
        )
    ]
    for found in (
        stays.annotate(day=_local_day("left_at"), bucket=bucket_sql(F("seconds")))
        .values("day", "definition", "stage", "bucket")
        .annotate(n=Count("pk"))
    ):
        key = (found["day"], found["definition"], found["stage"], int(found["bucket"]))
        histogram[key] += found["n"]

    markers = [
        ProcessKpiDay(day=first + timedelta(days=n), computed_at=now)
        for n in range((last - first).days + 1)
    ]
    kpis = [fields["_"] for fields in days.values()]
    buckets = [
        DurationHistogram(
            span=Span.DAY, day=day, definition_id=definition, stage_id=stage, bucket=bucket, count=n
        )
        for (day, definition, stage, bucket), n in histogram.items()
    ]
    return markers + kpis, stages, buckets, won_days


def process_kpi_rollup(*, first: date, last: date) -> int:
    """(Re)computes the rollup of the days `first` to `last`, one transaction per calendar month,
    replacing what was there (running it twice gives the same rows); then the month histograms
    of every month whose days are all computed. Returns the number of days computed."""
    stage_stays_refresh()
    done = 0
    start = first
    while start <= last:
        end = min(last, month_days(start.replace(day=1))[-1])
        with transaction.atomic():
            ProcessKpiDay.objects.filter(day__gte=start, day__lte=end).delete()
            StageKpiDay.objects.filter(day__gte=start, day__lte=end).delete()
            DurationHistogram.objects.filter(span=Span.DAY, day__gte=start, day__lte=end).delete()
            WonDay.objects.filter(day__gte=start, day__lte=end).delete()
            kpis, stages, buckets, won_days = _rollup_rows(start, end)
            WonDay.objects.bulk_create(won_days, batch_size=5000)
            ProcessKpiDay.objects.bulk_create(kpis, batch_size=2000)
            StageKpiDay.objects.bulk_create(stages, batch_size=2000)
            DurationHistogram.objects.bulk_create(buckets, batch_size=5000)
            _month_histogram(start.replace(day=1))
        done += (end - start).days + 1
        start = end + timedelta(days=1)
    return done


def _month_histogram(first):
    """The month's histogram rows, summed from its day rows once all its days are computed."""
    DurationHistogram.objects.filter(span=Span.MONTH, day=first).delete()
    days = month_days(first)
    if len(computed_days(days[0], days[-1])) < len(days):
        return
    DurationHistogram.objects.bulk_create(
        (
            DurationHistogram(
                span=Span.MONTH,
                day=first,
                definition_id=row["definition"],
                stage_id=row["stage"],
                bucket=row["bucket"],
                count=row["n"],
            )
            for row in DurationHistogram.objects.filter(
                span=Span.DAY, day__gte=days[0], day__lte=days[-1]
            )
            .order_by()
            .values("definition", "stage", "bucket")
            .annotate(n=Sum("count"))
        ),
        batch_size=5000,
    )


def _first_day():
    firsts = [
        ProcessInstance.objects.aggregate(first=Min("opened_at"))["first"],
        StageStay.objects.aggregate(first=Min("left_at"))["first"],
    ]
    firsts = [first for first in firsts if first is not None]
    if not firsts:
        return None
    return timezone.localtime(min(firsts), timezone.get_default_timezone()).date()


def process_kpi_rollup_nightly(*, today=None) -> int:
    """The nightly job: recomputes the last ROLLUP_REFRESH_DAYS days before `today` and every
    earlier day not computed yet, back to the first instance. Returns the days computed."""
    today = today or timezone.localdate()
    yesterday = today - timedelta(days=1)
    stage_stays_refresh()
    first = _first_day()
    if first is None or first > yesterday:
        return 0
    done = computed_days(first, today - timedelta(days=ROLLUP_REFRESH_DAYS + 1), today=today)
    todo = [
        first + timedelta(days=n)
        for n in range((yesterday - first).days + 1)
        if first + timedelta(days=n) not in done
    ]
    return sum(process_kpi_rollup(first=start, last=end) for start, end in runs(todo))
