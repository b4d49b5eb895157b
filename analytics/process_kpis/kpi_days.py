"""The days the nightly rollup has computed, and the duration histograms it keeps.

Counts, sums, SLA met/total, cost and value won add up across days exactly. Medians and p90s do
not: over computed days they are read from histograms whose buckets are BUCKET_RATIO wide (each
bucket's upper bound is 3 % above its lower one), interpolated within the bucket, so a median or
p90 shown is within 3 % of the exact value (4.0 days may show as 3.9 or 4.1). A period of days
none of which is computed (today only, a filter by owner, before the first rollup) is measured
live and exactly. Today, and any day the rollup has not computed yet, are measured live, unless
one statement (hold_anything) finds nothing on them to measure.
"""

import math
from datetime import date, datetime, time, timedelta

from django.db import connections, router
from django.db.models import Count, Max, Min, Q, Value
from django.db.models.functions import Floor, Greatest, Ln
from django.utils import timezone

from processes.models import ProcessInstance

from ..models import ProcessKpiDay, StageStay

BUCKET_RATIO = 1.03
LOG_RATIO = math.log(BUCKET_RATIO)


# --- Buckets and percentiles ----------------------------------------------------------------


def bucket_of(seconds):
    """The histogram bucket of a duration: bucket b holds [RATIO**b, RATIO**(b+1)) seconds; a
    duration under a second counts as one second."""
    return math.floor(math.log(max(seconds, 1.0)) / LOG_RATIO)


def bucket_sql(expression):
    """bucket_of in SQL, for durations in seconds."""
    return Floor(Ln(Greatest(expression, Value(1.0))) / Value(LOG_RATIO))


def histogram_percentile(counts, fraction):
    """percentile_cont of the values a histogram {bucket: count} counts: the two ranks it
    interpolates between, each placed evenly within its bucket."""
    total = sum(counts.values())
    if not total:
        return None
    position = fraction * (total - 1)
    low = int(position)
    ranks = [low, min(low + 1, total - 1)]
    values = []
    seen = 0
    buckets = iter(sorted(counts.items()))
    bucket, count = next(buckets)
    for rank in ranks:
        while rank >= seen + count:
            seen += count
            bucket, count = next(buckets)
        start = 0.0 if bucket <= 0 else BUCKET_RATIO**bucket
        width = BUCKET_RATIO ** (bucket + 1) - start
        values.append(start + width * (rank - seen + 0.5) / count)
    return values[0] + (values[1] - values[0]) * (position - low)


# --- Days -------------------------------------------------------------------------------------


def day_start(day: date):
    return timezone.make_aware(datetime.combine(day, time.min), timezone.get_default_timezone())


def runs(days):
    """Sorted days as [(first, last)] ranges of consecutive days."""
    ranges = []
    for day in sorted(days):
        if ranges and day == ranges[-1][1] + timedelta(days=1):
            ranges[-1][1] = day
        else:
            ranges.append([day, day])
    return [tuple(r) for r in ranges]


def within(field, ranges):
    """Q: `field` (a datetime) falls on one of the day ranges [(first, last)]."""
    condition = Q(pk__in=[])
    for first, last in ranges:
        condition |= Q(
            **{f"{field}__gte": day_start(first), f"{field}__lt": day_start(last + timedelta(1))}
        )
    return condition


def hold_anything(ranges, *, definitions):
    """Whether anything the dashboard measures happened on the days `ranges` [(first, last)]:
    an instance of `definitions` opened or closed, or a measured stay in one of their stages
    ended. When nothing did, those days add nothing to any figure, and the statements
    measuring them live need not run.

    One statement of three EXISTS, each an index probe per definition (instance_kpi_opened_idx,
    instance_board_idx, stage_stay_kpi_idx), written as SQL: the same statement from the ORM
    took about 5 ms to compile, far longer than the database takes to answer it."""
    if not ranges or not definitions:
        return False
    connection = connections[router.db_for_read(ProcessInstance)]
    bounds = [
        connection.ops.adapt_datetimefield_value(moment)
        for first, last in ranges
        for moment in (day_start(first), day_start(last + timedelta(days=1)))
    ]
    ids = [definition.pk for definition in definitions]
    of_definitions = f"definition_id IN ({', '.join(['%s'] * len(ids))})"

    def on_days(column):
        return " OR ".join([f"({column} >= %s AND {column} < %s)"] * len(ranges))

    instance, stay = ProcessInstance._meta.db_table, StageStay._meta.db_table
    sql = (
        f"SELECT 1 WHERE EXISTS (SELECT 1 FROM {instance} "
        f"WHERE {of_definitions} AND ({on_days('opened_at')})) "
        f"OR EXISTS (SELECT 1 FROM {instance} WHERE {of_definitions} AND ({on_days('closed_at')})) "
        f"OR EXISTS (SELECT 1 FROM {stay} "
        f"WHERE {of_definitions} AND seconds IS NOT NULL AND ({on_days('left_at')}))"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [*ids, *bounds] * 3)
        return cursor.fetchone() is not None


def computed_days(first: date, last: date, *, today=None):
    """The days from `first` to `last` the rollup has computed (never today or later)."""
    return computed_days_stamped(first, last, today=today)[0]


def computed_days_stamped(first: date, last: date, *, today=None):
    """(computed_days, when the latest of them was computed): the two change together whenever
    the rollup computes or recomputes one of these days, so they make a cache key."""
    today = today or timezone.localdate()
    last = min(last, today - timedelta(days=1))
    if last < first:
        return set(), None
    markers = ProcessKpiDay.objects.filter(definition=None, day__gte=first, day__lte=last)
    found = markers.aggregate(
        days=Count("pk"), first=Min("day"), last=Max("day"), stamp=Max("computed_at")
    )
    if not found["days"]:
        return set(), None
    if found["days"] == (found["last"] - found["first"]).days + 1:
        # A day has one marker (kpi_day_computed): as many as the days they span are all of
        # them, the usual case, known without loading a row per day (a year's dashboard
        # loaded 365 of them, twice).
        days = {found["first"] + timedelta(days=n) for n in range(found["days"])}
    else:
        days = set(markers.values_list("day", flat=True))
    return days, found["stamp"]


def whole_months(days):
    """The first days of the months all of whose days are in `days`."""
    firsts = {day.replace(day=1) for day in days}
    return {first for first in firsts if all(d in days for d in month_days(first))}


def month_days(first):
    day, days = first, []
    while day.month == first.month:
        days.append(day)
        day += timedelta(days=1)
    return days


def seconds_of(duration):
    if duration is None:
        return 0.0
    if isinstance(duration, timedelta):
        return duration.total_seconds()
    return float(duration) / 1_000_000  # microseconds, as some backends sum intervals
