"""Report snapshots: what the value and segment reports add up, refreshed every night.

Grouping a million customers, millions of interactions and payments by segment and owner on
every page view is far slower than a report page may be, so the refresh (after scoring) does
those GROUP BY queries once and stores their results, per segment and owner:

- CustomerStateSnapshot: customers by status and grade, LTV, reliability, open processes and
  overdue balances (per currency), as they are at the refresh;
- DailyActivity: per day, interactions, payments received (per currency), relationships started
  and ended (per end reason) — a period's figure is then a sum over a few thousand small rows;
- GradeChange: every score snapshot whose grade differs from the customer's previous one, read
  incrementally from the CustomerScore history (only snapshots newer than the last refresh).

Each part is replaced in one transaction, so a report never sees a half-written snapshot.
Running the refresh twice gives the same rows.
"""

import logging
from datetime import timedelta
from decimal import Decimal

from django.db import models, transaction
from django.db.models import Count, F, OuterRef, Q, Subquery, Sum, Value
from django.db.models.functions import Coalesce, TruncDate
from django.utils import timezone

from customers.models import Customer
from processes.models import ProcessInstance
from relationships.models import Interaction, Invoice, Payment, Relationship

from .aggregates import lock_for_rewrite
from .models import (
    CustomerScore,
    CustomerStateSnapshot,
    DailyActivity,
    GradeChange,
    ReportRefresh,
    ReportScope,
)
from .selectors import current_parameters

logger = logging.getLogger(__name__)

GRADE_FIELDS = {"A": "grade_a", "B": "grade_b", "C": "grade_c", "D": "grade_d"}
SCORE_BATCH = 10_000


def _scope(segment_id, *, all_customers=False):
    if all_customers:
        return ReportScope.ALL, None
    return (ReportScope.SEGMENT, segment_id) if segment_id else (ReportScope.NONE, None)


def value_reports_statuses():
    """The statuses the reports count: a merged customer is counted as its survivor."""
    return [s for s in Customer.Status.values if s != Customer.Status.MERGED]


def _state_figures(base_currency):
    scored = Q(value__scored_at__isnull=False, value__ltv_currency=base_currency)
    return {
        "customers": Count("pk"),
        **{status: Count("pk", filter=Q(status=status)) for status in value_reports_statuses()},
        **{
            field: Count("pk", filter=Q(value__grade=grade))
            for grade, field in GRADE_FIELDS.items()
        },
        "ungraded": Count("pk", filter=Q(value__grade__isnull=True)),
        "ltv_sum": Coalesce(Sum("value__ltv", filter=scored), Value(Decimal(0))),
        "ltv_count": Count("pk", filter=scored),
        "reliability_sum": Coalesce(Sum("value__payment_reliability"), Value(Decimal(0))),
        "reliability_count": Count("value__payment_reliability"),
    }


def build_state(*, today=None) -> list[CustomerStateSnapshot]:
    """The customer state rows: per (segment or no segment, owner), and per owner over all."""
    today = today or timezone.localdate()
    base = current_parameters().base_currency
    rows = {}
    per_segment = (
        Customer.objects.current()
        .values("segments", "owner")
        .annotate(**_state_figures(base))
        .order_by()
    )
    per_owner = (
        Customer.objects.current().values("owner").annotate(**_state_figures(base)).order_by()
    )
    for all_customers, groups in ((False, per_segment), (True, per_owner)):
        for group in groups:
            scope, segment = _scope(group.pop("segments", None), all_customers=all_customers)
            owner = group.pop("owner")
            rows[(scope, segment, owner)] = CustomerStateSnapshot(
                scope=scope, segment_id=segment, owner_id=owner, ltv_currency=base, **group
            )

    def row(segment, owner):
        return rows.get((*_scope(segment), owner))

    open_processes = (
        ProcessInstance.objects.open()
        .values("customer__segments", "customer__owner")
        .annotate(n=Count("pk"))
        .order_by()
    )
    for group in open_processes:
        target = row(group["customer__segments"], group["customer__owner"])
        if target is not None:
            target.open_processes = group["n"]
    overdue = (
        Invoice.objects.overdue(today=today)
        .values("customer__segments", "customer__owner", "currency")
        .annotate(total=Sum(F("amount") - F("paid_amount")))
        .order_by()
    )
    for group in overdue:
        target = row(group["customer__segments"], group["customer__owner"])
        if target is not None and group["total"]:
            target.overdue[group["currency"]] = str(group["total"])
    return list(rows.values())


def _facts(measure, groups, *, day, segment, owner, value, key=None, all_customers=False):
    for group in groups:
        if not group[value]:
            continue
        scope, segment_id = _scope(group.get(segment), all_customers=all_customers)
        yield DailyActivity(
            day=group[day],
            measure=measure,
            scope=scope,
            segment_id=segment_id,
            owner_id=group[owner],
            key=group[key] if key else "",
            value=group[value],
        )


def build_daily():
    """Every day's activity per segment and owner (and, for relationships, over all customers)."""
    M = DailyActivity.Measure
    contacts = (
        Interaction.objects.annotate(day=TruncDate("occurred_at"))
        .values("day", "customer__segments", "customer__owner")
        .annotate(n=Count("pk"))
        .order_by()
    )
    yield from _facts(
        M.CONTACTS,
        contacts,
        day="day",
        segment="customer__segments",
        owner="customer__owner",
        value="n",
    )
    revenue = (
        Payment.objects.values(
            "paid_on", "invoice__customer__segments", "invoice__customer__owner", "currency"
        )
        .annotate(total=Sum("amount"))
        .order_by()
    )
    yield from _facts(
        M.REVENUE,
        revenue,
        day="paid_on",
        segment="invoice__customer__segments",
        owner="invoice__customer__owner",
        value="total",
        key="currency",
    )
    for all_customers in (False, True):
        by = () if all_customers else ("customer__segments",)
        started = (
            Relationship.objects.values("started_on", *by, "customer__owner")
            .annotate(n=Count("pk"))
            .order_by()
        )
        yield from _facts(
            M.STARTED,
            started,
            day="started_on",
            segment="customer__segments",
            owner="customer__owner",
            value="n",
            all_customers=all_customers,
        )
        ended = (
            Relationship.objects.filter(ended_at__isnull=False)
            .annotate(day=TruncDate("ended_at"))
            .values("day", *by, "customer__owner", "end_reason")
            .annotate(n=Count("pk"))
            .order_by()
        )
        yield from _facts(
            M.ENDED,
            ended,
            day="day",
            segment="customer__segments",
            owner="customer__owner",
            value="n",
            key="end_reason",
            all_customers=all_customers,
        )


def record_grade_changes(*, after_score_id=0, until=None, batch=SCORE_BATCH) -> int:
    """Record the grade changes of the score snapshots with id > `after_score_id` computed
    before `until`; returns the last score id read. A customer's first snapshot is not a change.
    Snapshots of the last few minutes wait for the next refresh: a transaction still writing
    one with a lower id must not be skipped."""
    until = until or timezone.now() - timedelta(minutes=5)
    previous = (
        CustomerScore.objects.filter(customer=OuterRef("customer"))
        .filter(
            Q(computed_at__lt=OuterRef("computed_at"))
            | Q(computed_at=OuterRef("computed_at"), pk__lt=OuterRef("pk"))
        )
        .order_by("-computed_at", "-pk")
        .values(key=Coalesce("grade", Value("")))[:1]
    )
    last = after_score_id
    while True:
        scores = list(
            CustomerScore.objects.filter(pk__gt=last, computed_at__lt=until)
            .order_by("pk")
            .annotate(previous=Subquery(previous, output_field=models.CharField()))
            .values("pk", "customer_id", "grade", "previous", "computed_at")[:batch]
        )
        if not scores:
            return last
        GradeChange.objects.bulk_create(
            [
                GradeChange(
                    customer_id=s["customer_id"],
                    score_id=s["pk"],
                    previous_grade=s["previous"],
                    grade=s["grade"] or "",
                    changed_at=s["computed_at"],
                )
                for s in scores
                if s["previous"] is not None and s["previous"] != (s["grade"] or "")
            ],
            ignore_conflicts=True,  # a change recorded by an earlier, interrupted refresh
        )
        last = scores[-1]["pk"]


def refresh(*, today=None) -> ReportRefresh:
    """Rebuild the snapshots and record the new grade changes."""
    started_at = timezone.now()
    previous = ReportRefresh.objects.order_by("-finished_at", "-id").first()
    last_score = record_grade_changes(after_score_id=previous.last_score_id if previous else 0)
    state = build_state(today=today)
    with transaction.atomic():
        lock_for_rewrite(CustomerStateSnapshot)
        CustomerStateSnapshot.objects.all().delete()
        CustomerStateSnapshot.objects.bulk_create(state, batch_size=1000)
    with transaction.atomic():
        lock_for_rewrite(DailyActivity)
        DailyActivity.objects.all().delete()
        batch = []
        for fact in build_daily():
            batch.append(fact)
            if len(batch) >= 5000:
                DailyActivity.objects.bulk_create(batch)
                batch = []
        DailyActivity.objects.bulk_create(batch)
    run = ReportRefresh.objects.create(
        started_at=started_at, finished_at=timezone.now(), last_score_id=last_score
    )
    logger.info("Report snapshots refreshed in %s", run.finished_at - started_at)
    return run
