"""The drill-down of the process KPI dashboard: the instances behind each of its numbers."""

from django.db.models import F, Q
from django.utils.translation import gettext_lazy

from processes.models import Stage, Ticket

from .measures import cycle_duration, instances_of, period_bounds, stays_ended, succeeded

DRILLDOWNS = {
    "started": gettext_lazy("Started in the period"),
    "closed": gettext_lazy("Closed in the period"),
    "succeeded": gettext_lazy("Won or resolved in the period"),
    "won": gettext_lazy("Won with an amount in the period"),
    "cycle": gettext_lazy("Closed in the period, longest cycle first"),
    "cost": gettext_lazy("Closed in the period, costliest first"),
    "stage": gettext_lazy("Left the stage in the period"),
    "sla_missed": gettext_lazy("Missed an SLA in the period"),
}


def drilldown(*, show, period, definitions, owner=None, stage=None):
    """The instances behind one number of the dashboard (a key of DRILLDOWNS)."""
    start, end = period_bounds(period)
    instances = instances_of(definitions=definitions, owner=owner)
    closed = instances.filter(closed_at__gte=start, closed_at__lt=end)
    if show == "started":
        return instances.filter(opened_at__gte=start, opened_at__lt=end).order_by(
            "-opened_at", "-id"
        )
    if show == "succeeded":
        return closed.filter(succeeded()).order_by("-closed_at", "-id")
    if show == "won":
        return closed.filter(outcome=Stage.Outcome.WON, amount__isnull=False).order_by(
            "-closed_at", "-id"
        )
    if show == "cycle":
        return closed.annotate(cycle=cycle_duration()).order_by("-cycle", "-id")
    if show == "cost":
        return closed.order_by("-accrued_cost", "-id")
    stays = stays_ended(definitions=definitions, owner=owner, start=start, end=end)
    if show == "stage":
        return instances.filter(pk__in=stays.filter(stage=stage).values("instance")).order_by(
            "-last_activity_at", "-id"
        )
    if show == "sla_missed":
        late_stays = stays.filter(sla_met=False).values("instance")
        late_tickets = Ticket.objects.filter(
            Q(response_due_at__isnull=False)
            & ~(
                Q(first_response_at__lte=F("response_due_at"))
                | Q(first_response_at__isnull=True, instance__closed_at__lte=F("response_due_at"))
            )
            | Q(
                resolution_due_at__isnull=False,
                instance__outcome=Stage.Outcome.RESOLVED,
                resolved_at__gt=F("resolution_due_at"),
            ),
            instance__closed_at__gte=start,
            instance__closed_at__lt=end,
        ).values("instance")
        return instances.filter(Q(pk__in=late_stays) | Q(pk__in=late_tickets)).order_by(
            "-last_activity_at", "-id"
        )
    return closed.order_by("-closed_at", "-id")
