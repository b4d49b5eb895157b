"""Reads of the customer value report and the segment report: every figure one GROUP BY query.

Grades, LTV and reliability are read from the customers' columns the scoring job writes, so a
distribution is one aggregate over customers (joined to their segments); grade changes come
from the CustomerScore history; relationships started and ended from their dates. A customer in
several segments counts in each; customers without a segment form their own row (segment None).
"""

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from django.contrib.auth import get_user_model
from django.db import models
from django.db.models import Avg, Count, F, OuterRef, Q, Subquery, Sum, Value
from django.db.models.functions import Coalesce, TruncMonth, TruncWeek
from django.utils import timezone

from customers.models import Customer, Segment
from processes.models import ProcessInstance
from relationships.models import Interaction, Invoice, Payment, Relationship

from .models import CustomerScore

GRADES = ("A", "B", "C", "D")
NOT_GRADED = "ungraded"
STATUSES = tuple(Customer.Status.values)


def _customers(*, owner=None, segment=None, prefix=""):
    """A Q selecting customers (through `prefix`, e.g. "customer__") by owner and segment."""
    condition = Q()
    if owner is not None:
        condition &= Q(**{f"{prefix}owner": owner})
    if segment is not None:
        condition &= Q(**{f"{prefix}segments": segment})
    return condition


def _grade_counts(prefix=""):
    counts = {grade: Count("pk", filter=Q(**{f"{prefix}grade": grade})) for grade in GRADES}
    counts[NOT_GRADED] = Count("pk", filter=Q(**{f"{prefix}grade__isnull": True}))
    return counts


def _value_figures(base_currency):
    scored = Q(scored_at__isnull=False, ltv_currency=base_currency)
    return {
        "customers": Count("pk"),
        **_grade_counts(),
        "ltv_total": Sum("ltv", filter=scored),
        "ltv_average": Avg("ltv", filter=scored),
        "reliability": Avg("payment_reliability"),
    }


def _segment_rows(rows, key, *, segment=None):
    """Rows keyed by segment id in the order of the segment names; customers without a segment
    last. Segments without customers get a row of zeros (unless a segment is filtered)."""
    by_id = {row.pop(key): row for row in rows}
    segments = [segment] if segment is not None else list(Segment.objects.all())
    ordered = [(s, by_id.get(s.pk)) for s in segments]
    if segment is None:
        ordered.append((None, by_id.get(None)))
    return ordered


def grades_per_segment(*, base_currency, owner=None, segment=None) -> list[dict]:
    """Grade distribution, LTV (total and mean, in the base currency) and average reliability
    per segment, one query: customers LEFT JOIN their segments, grouped by segment."""
    rows = (
        Customer.objects.filter(_customers(owner=owner, segment=segment))
        .values("segments")
        .annotate(**_value_figures(base_currency))
        .order_by()
    )
    empty = {"customers": 0, **dict.fromkeys((*GRADES, NOT_GRADED), 0)}
    result = []
    for seg, row in _segment_rows(list(rows), "segments", segment=segment):
        row = row or {**empty, "ltv_total": None, "ltv_average": None, "reliability": None}
        if seg is None and not row["customers"]:
            continue
        result.append({"segment": seg, **row})
    return result


def grades_per_owner(*, base_currency, owner=None, segment=None) -> list[dict]:
    """The same figures per owner (customer_owner_* indexes); owner None: nobody's customers."""
    rows = list(
        Customer.objects.filter(_customers(owner=owner, segment=segment))
        .values("owner")
        .annotate(**_value_figures(base_currency))
        .order_by()
    )
    users = get_user_model().objects.in_bulk([r["owner"] for r in rows if r["owner"]])
    for row in rows:
        row["owner"] = users.get(row["owner"])
    rows.sort(key=lambda r: (r["owner"] is None, r["owner"].get_username() if r["owner"] else ""))
    return rows


# --- Movers -----------------------------------------------------------------------------------


def movers(period, *, owner=None, segment=None):
    """Score snapshots of the period whose grade differs from the customer's previous snapshot,
    newest first. A customer's first snapshot is not a move. "Not graded" counts as a grade
    (NOT_GRADED), so a customer losing or gaining a grade moves too."""
    previous = (
        CustomerScore.objects.filter(customer=OuterRef("customer"))
        .filter(
            Q(computed_at__lt=OuterRef("computed_at"))
            | Q(computed_at=OuterRef("computed_at"), pk__lt=OuterRef("pk"))
        )
        .order_by("-computed_at", "-pk")
        .values(key=Coalesce("grade", Value(NOT_GRADED)))[:1]
    )
    start, end = _aware_range(period)
    return (
        CustomerScore.objects.filter(computed_at__gte=start, computed_at__lt=end)
        .filter(_customers(owner=owner, segment=segment, prefix="customer__"))
        .annotate(
            grade_key=Coalesce("grade", Value(NOT_GRADED)),
            previous_grade=Subquery(previous, output_field=models.CharField()),
        )
        .filter(previous_grade__isnull=False)
        .exclude(grade_key=F("previous_grade"))
        .select_related("customer")
        .order_by("-computed_at", "-pk")
    )


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
    customers = _customers(owner=owner, segment=segment, prefix="customer__")
    started = (
        Relationship.objects.filter(customers, started_on__gte=period.start)
        .filter(started_on__lte=period.end)
        .annotate(bucket=trunc("started_on"))
        .values("bucket")
        .annotate(n=Count("pk"))
        .order_by()
    )
    start, end = _aware_range(period)
    ended = (
        Relationship.objects.filter(customers, ended_at__gte=start, ended_at__lt=end)
        .annotate(bucket=trunc("ended_at", output_field=models.DateField()))
        .values("bucket", "end_reason")
        .annotate(n=Count("pk"))
        .order_by()
    )
    rows = {day: Bucket(day) for day in buckets(period, kind)}
    for row in started:
        rows[_day(row["bucket"])].started += row["n"]
    totals = {}
    for row in ended:
        bucket = rows[_day(row["bucket"])]
        bucket.ended += row["n"]
        bucket.reasons[row["end_reason"]] = bucket.reasons.get(row["end_reason"], 0) + row["n"]
        totals[row["end_reason"]] = totals.get(row["end_reason"], 0) + row["n"]
    return kind, list(rows.values()), totals


def _day(value):
    return value.date() if isinstance(value, datetime) else value


# --- Segment report ---------------------------------------------------------------------------


def _money_by_segment(rows, key, amount):
    """{segment id or None: {currency: amount}} of per-segment, per-currency aggregate rows."""
    result = {}
    for row in rows:
        if row[amount]:
            result.setdefault(row[key], {})[row["currency"]] = row[amount]
    return result


def segment_summary(period, *, owner=None, today=None) -> list[dict]:
    """Per segment (and for customers without one): customers by status and by grade, and the
    period's activity: interactions, open processes, payments received and the overdue balance
    per currency (currencies are never added together)."""
    today = today or timezone.localdate()
    start, end = _aware_range(period)
    states = (
        Customer.objects.filter(_customers(owner=owner))
        .values("segments")
        .annotate(
            customers=Count("pk"),
            **{status: Count("pk", filter=Q(status=status)) for status in STATUSES},
            **_grade_counts(),
        )
        .order_by()
    )
    by_customer = _customers(owner=owner, prefix="customer__")
    contacts = dict(
        Interaction.objects.filter(by_customer, occurred_at__gte=start, occurred_at__lt=end)
        .values("customer__segments")
        .annotate(n=Count("pk"))
        .order_by()
        .values_list("customer__segments", "n")
    )
    open_processes = dict(
        ProcessInstance.objects.filter(by_customer, closed_at__isnull=True)
        .values("customer__segments")
        .annotate(n=Count("pk"))
        .order_by()
        .values_list("customer__segments", "n")
    )
    revenue = _money_by_segment(
        Payment.objects.filter(
            _customers(owner=owner, prefix="invoice__customer__"),
            paid_on__gte=period.start,
            paid_on__lte=period.end,
        )
        .values("invoice__customer__segments", "currency")
        .annotate(total=Sum("amount"))
        .order_by(),
        "invoice__customer__segments",
        "total",
    )
    overdue = _money_by_segment(
        Invoice.objects.overdue(today=today)
        .filter(by_customer)
        .values("customer__segments", "currency")
        .annotate(total=Sum(F("amount") - F("paid_amount")))
        .order_by(),
        "customer__segments",
        "total",
    )
    empty = {"customers": 0, **dict.fromkeys((*STATUSES, *GRADES, NOT_GRADED), 0)}
    result = []
    for seg, row in _segment_rows(list(states), "segments"):
        key = seg.pk if seg else None
        row = {
            "segment": seg,
            **(row or empty),
            "contacts": contacts.get(key, 0),
            "open_processes": open_processes.get(key, 0),
            "revenue": dict(sorted(revenue.get(key, {}).items())),
            "overdue": dict(sorted(overdue.get(key, {}).items())),
        }
        if seg is None and not (row["customers"] or row["contacts"] or row["revenue"]):
            continue
        result.append(row)
    return result


def currencies(rows, key) -> list[str]:
    """Every currency that appears in the rows' `key` amounts, sorted."""
    return sorted({code for row in rows for code in row[key]})
