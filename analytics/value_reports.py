"""Reads of the customer value report and the segment report.

The figures are sums over the report snapshots (analytics.snapshots, refreshed every night):
a few hundred small rows per page instead of GROUP BY over every customer, interaction and
payment. A customer in several segments counts in each; customers without a segment form their
own row (segment None); per-owner figures count each customer once.
"""

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.db.models import Q, Sum
from django.db.models.functions import TruncMonth, TruncWeek
from django.utils import timezone

from customers.models import Customer, Segment

from .models import CustomerStateSnapshot, DailyActivity, GradeChange, ReportScope

GRADES = ("A", "B", "C", "D")
NOT_GRADED = "ungraded"
# A merged customer is counted as its survivor (customers.merging).
STATUSES = tuple(s for s in Customer.Status.values if s != Customer.Status.MERGED)
_COUNTS = {
    "customers": "customers",
    **{status: status for status in STATUSES},
    "A": "grade_a",
    "B": "grade_b",
    "C": "grade_c",
    "D": "grade_d",
    NOT_GRADED: "ungraded",
}
_VALUE_SUMS = ("ltv_sum", "ltv_count", "reliability_sum", "reliability_count", "open_processes")
PER_SEGMENT = Q(scope__in=[ReportScope.SEGMENT, ReportScope.NONE])


def _scoped(queryset, *, owner=None, segment=None, per_segment=True):
    """Rows of one segment, of every segment (and none), or of all customers."""
    if segment is not None:
        queryset = queryset.filter(scope=ReportScope.SEGMENT, segment=segment)
    elif per_segment:
        queryset = queryset.filter(PER_SEGMENT)
    else:
        queryset = queryset.filter(scope=ReportScope.ALL)
    if owner is not None:
        queryset = queryset.filter(owner=owner)
    return queryset


def _state_sums(queryset, key):
    """{segment or owner id: figures} summed over the snapshot rows."""
    rows = queryset.values(key).annotate(
        **{name: Sum(column) for name, column in _COUNTS.items()},
        **{name: Sum(name) for name in _VALUE_SUMS},
    )
    result = {}
    for row in rows.order_by():
        ltv_count, reliability_count = row.pop("ltv_count"), row.pop("reliability_count")
        ltv_sum, reliability_sum = row.pop("ltv_sum"), row.pop("reliability_sum")
        row["ltv_total"] = ltv_sum
        row["ltv_average"] = ltv_sum / ltv_count if ltv_count else None
        row["reliability"] = reliability_sum / reliability_count if reliability_count else None
        result[row.pop(key)] = row
    return result


def _empty_state():
    return {
        **dict.fromkeys(_COUNTS, 0),
        "open_processes": 0,
        "ltv_total": Decimal(0),
        "ltv_average": None,
        "reliability": None,
    }


def _segment_rows(by_segment, *, segment=None):
    """(segment, figures) in the order of the segment names, customers without a segment last;
    a segment without customers gets zeros. With a segment filter, that segment only."""
    segments = [segment] if segment is not None else list(Segment.objects.all())
    rows = [(s, by_segment.get(s.pk) or _empty_state()) for s in segments]
    if segment is None and None in by_segment:
        rows.append((None, by_segment[None]))
    return rows


def grades_per_segment(*, owner=None, segment=None) -> list[dict]:
    """Grade distribution, LTV (total and mean of the scored customers, in the base currency)
    and average reliability per segment."""
    sums = _state_sums(
        _scoped(CustomerStateSnapshot.objects.all(), owner=owner, segment=segment), "segment"
    )
    return [{"segment": seg, **row} for seg, row in _segment_rows(sums, segment=segment)]


def grades_per_owner(*, owner=None, segment=None) -> list[dict]:
    """The same figures per owner, each customer once; owner None: nobody's customers."""
    sums = _state_sums(
        _scoped(
            CustomerStateSnapshot.objects.all(), owner=owner, segment=segment, per_segment=False
        ),
        "owner",
    )
    users = get_user_model().objects.in_bulk([pk for pk in sums if pk])
    rows = [{"owner": users.get(pk), **row} for pk, row in sums.items()]
    rows.sort(key=lambda r: (r["owner"] is None, r["owner"].get_username() if r["owner"] else ""))
    return rows


# --- Movers -----------------------------------------------------------------------------------


def movers(period, *, owner=None, segment=None):
    """The grade changes of the period, newest first (grade "" is "not graded")."""
    start, end = _aware_range(period)
    changes = GradeChange.objects.filter(changed_at__gte=start, changed_at__lt=end)
    if owner is not None:
        changes = changes.filter(customer__owner=owner)
    if segment is not None:
        changes = changes.filter(customer__segments=segment)
    return changes.select_related("customer").order_by("-changed_at", "-id")


@dataclass
class SeekPage:
    """A page of a list that is never counted (counting every mover of a busy year is the slow
    part): the rows, and whether there is a next page."""

    object_list: list
    number: int
    has_next: bool

    @property
    def has_previous(self):
        return self.number > 1

    def __iter__(self):
        return iter(self.object_list)


def seek_page(queryset, number, per_page) -> SeekPage:
    try:
        number = max(1, int(number))
    except (TypeError, ValueError):
        number = 1
    offset = (number - 1) * per_page
    rows = list(queryset[offset : offset + per_page + 1])
    return SeekPage(rows[:per_page], number, len(rows) > per_page)


# --- Relationships started and ended ---------------------------------------------------------


def _aware_range(period):
    """The period's days as [start, end) datetimes in the current time zone."""
    start = timezone.make_aware(datetime.combine(period.start, time.min))
    end = timezone.make_aware(datetime.combine(period.end + timedelta(days=1), time.min))
    return start, end


def bucket_kind(period) -> str:
    """Weeks for up to a quarter, months beyond."""
    return "week" if period.days <= 92 else "month"


def buckets(period, kind) -> list[date]:
    """The first day of every week (Monday) or month the period touches."""
    if kind == "week":
        day = period.start - timedelta(days=period.start.weekday())
        step = lambda d: d + timedelta(days=7)  # noqa: E731
    else:
        day = period.start.replace(day=1)
        step = lambda d: (d.replace(day=28) + timedelta(days=4)).replace(day=1)  # noqa: E731
    result = []
    while day <= period.end:
        result.append(day)
        day = step(day)
    return result


@dataclass
class Bucket:
    starts_on: date
    started: int = 0
    ended: int = 0
    reasons: dict = field(default_factory=dict)


def relationships_started_ended(period, *, owner=None, segment=None):
    """Per week or month of the period: relationships started, ended, and the end reasons.

    Returns (kind, [Bucket], {reason: total}).
    """
    kind = bucket_kind(period)
    trunc = TruncWeek if kind == "week" else TruncMonth
    M = DailyActivity.Measure
    facts = (
        _scoped(DailyActivity.objects.all(), owner=owner, segment=segment, per_segment=False)
        .filter(measure__in=[M.STARTED, M.ENDED], day__gte=period.start, day__lte=period.end)
        .annotate(bucket=trunc("day"))
        .values("bucket", "measure", "key")
        .annotate(n=Sum("value"))
        .order_by()
    )
    rows = {day: Bucket(day) for day in buckets(period, kind)}
    totals = {}
    for fact in facts:
        bucket, n = rows[_day(fact["bucket"])], int(fact["n"])
        if fact["measure"] == M.STARTED:
            bucket.started += n
            continue
        bucket.ended += n
        bucket.reasons[fact["key"]] = bucket.reasons.get(fact["key"], 0) + n
        totals[fact["key"]] = totals.get(fact["key"], 0) + n
    return kind, list(rows.values()), totals


def _day(value):
    return value.date() if isinstance(value, datetime) else value


# --- Segment report ---------------------------------------------------------------------------


def segment_summary(period, *, owner=None) -> list[dict]:
    """Per segment (and for customers without one): customers by status and by grade and open
    processes (at the last refresh), and the period's activity: interactions, and payments
    received and the overdue balance per currency (currencies are never added together)."""
    snapshot = _scoped(CustomerStateSnapshot.objects.all(), owner=owner)
    state = _state_sums(snapshot, "segment")
    overdue = {}
    for segment_id, amounts in snapshot.exclude(overdue={}).values_list("segment", "overdue"):
        target = overdue.setdefault(segment_id, {})
        for currency, amount in amounts.items():
            target[currency] = target.get(currency, Decimal(0)) + Decimal(amount)
    M = DailyActivity.Measure
    activity = (
        _scoped(DailyActivity.objects.all(), owner=owner)
        .filter(measure__in=[M.CONTACTS, M.REVENUE], day__gte=period.start, day__lte=period.end)
        .values("segment", "measure", "key")
        .annotate(total=Sum("value"))
        .order_by()
    )
    contacts, revenue = {}, {}
    for fact in activity:
        if fact["measure"] == M.CONTACTS:
            contacts[fact["segment"]] = int(fact["total"])
        else:
            revenue.setdefault(fact["segment"], {})[fact["key"]] = fact["total"]
    segments_with_activity = set(contacts) | set(revenue)
    if None in segments_with_activity and None not in state:
        state[None] = _empty_state()
    result = []
    for seg, row in _segment_rows(state):
        key = seg.pk if seg else None
        result.append(
            {
                "segment": seg,
                **row,
                "contacts": contacts.get(key, 0),
                "revenue": dict(sorted(revenue.get(key, {}).items())),
                "overdue": dict(sorted(overdue.get(key, {}).items())),
            }
        )
    return result


def currencies(rows, key) -> list[str]:
    """Every currency that appears in the rows' `key` amounts, sorted."""
    return sorted({code for row in rows for code in row[key]})
