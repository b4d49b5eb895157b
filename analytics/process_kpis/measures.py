"""What every process KPI is measured on: the cohorts of instances and stage stays of a period,
and the SQL expressions that the dashboard's live reads, the nightly rollup and the forecast
share (success, net amount, cycle time and its buckets, ticket deadlines)."""

from datetime import datetime, time, timedelta
from decimal import Decimal

from django.db.models import Count, DecimalField, DurationField, ExpressionWrapper, F, Q, Value
from django.db.models.functions import Round
from django.utils import timezone

from processes.models import KpiTarget, ProcessDefinition, ProcessInstance, Stage

from ..models import StageStay

Metric = KpiTarget.Metric
DAY = 86400.0
DEADLINES = ("response_total", "response_met", "resolution_total", "resolution_met")
CYCLE_BUCKETS = [(0, 1), (1, 3), (3, 7), (7, 14), (14, 30), (30, 60), (60, 90), (90, None)]


def period_bounds(period):
    """The aware datetimes [start, end) of a Period of whole local days."""
    start = timezone.make_aware(datetime.combine(period.start, time.min))
    end = timezone.make_aware(datetime.combine(period.end + timedelta(days=1), time.min))
    return start, end


def success_outcome(kind):
    """What counts as success: resolved tickets for support, won for every other kind."""
    return Stage.Outcome.RESOLVED if kind == ProcessDefinition.Kind.SUPPORT else Stage.Outcome.WON


def succeeded():
    """The condition of success_outcome, for a query over instances of any kind."""
    support = Q(definition__kind=ProcessDefinition.Kind.SUPPORT)
    return (support & Q(outcome=Stage.Outcome.RESOLVED)) | (~support & Q(outcome=Stage.Outcome.WON))


def conversion_metric(kind):
    return Metric.RESOLUTION_RATE if kind == ProcessDefinition.Kind.SUPPORT else Metric.WIN_RATE


def net_amount():
    """amount x (1 - discount), rounded to cents as ProcessInstance.net_amount does."""
    return Round(
        ExpressionWrapper(
            F("amount") * (Value(Decimal(100)) - F("discount_percent")) / Value(Decimal(100)),
            output_field=DecimalField(max_digits=20, decimal_places=6),
        ),
        2,
        output_field=DecimalField(max_digits=16, decimal_places=2),
    )


def instances_of(*, definitions, owner=None):
    """The instances of `definitions` (of `owner`, when given), unordered."""
    # Always by definition: the indexes on the instance table all start with it.
    queryset = ProcessInstance.objects.filter(definition__in=definitions)
    if owner is not None:
        queryset = queryset.filter(owner=owner)
    return queryset.order_by()


def stays_ended(*, definitions, owner, start, end):
    """The measured stays that ended (the instance moved on) in the period."""
    queryset = StageStay.objects.filter(
        definition__in=definitions, left_at__gte=start, left_at__lt=end, seconds__isnull=False
    )
    if owner is not None:
        queryset = queryset.filter(instance__owner=owner)
    return queryset.order_by()


def in_days(value):
    """Days in a duration or a number of seconds."""
    if value is None:
        return None
    if isinstance(value, timedelta):
        return value.total_seconds() / DAY
    return value / DAY


def cycle_duration():
    """closed_at - opened_at, as an interval."""
    return ExpressionWrapper(F("closed_at") - F("opened_at"), output_field=DurationField())


def cycle_buckets(cycle):
    """Counts of instances per cycle-time bucket (CYCLE_BUCKETS, in days)."""
    buckets = {}
    for index, (low, high) in enumerate(CYCLE_BUCKETS):
        condition = Q(_cycle__gte=timedelta(days=low))
        if high is not None:
            condition &= Q(_cycle__lt=timedelta(days=high))
        buckets[f"bucket{index}"] = Count("id", filter=condition)
    return buckets


def ticket_deadlines():
    """Closed tickets' deadlines kept and missed, counted in the same pass over the closed
    instances (their ticket joined): the first response (or the closing, if nobody answered)
    by the response deadline (a ticket cancelled in time met it); resolved tickets by the
    resolution deadline."""
    has_response_due = Q(ticket__response_due_at__isnull=False)
    responded_in_time = Q(ticket__first_response_at__lte=F("ticket__response_due_at")) | Q(
        ticket__first_response_at__isnull=True,
        closed_at__lte=F("ticket__response_due_at"),  # resolved or cancelled in time
    )
    resolved_with_due = Q(ticket__resolution_due_at__isnull=False, outcome=Stage.Outcome.RESOLVED)
    return {
        "response_total": Count("id", filter=has_response_due),
        "response_met": Count("id", filter=has_response_due & responded_in_time),
        "resolution_total": Count("id", filter=resolved_with_due),
        "resolution_met": Count(
            "id",
            filter=resolved_with_due & Q(ticket__resolved_at__lte=F("ticket__resolution_due_at")),
        ),
    }
