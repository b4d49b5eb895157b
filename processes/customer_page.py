"""What processes add to the customer page: open processes, tickets and tasks, and the timeline
of processes opened, moved and closed.

One query counts it all; the section and the timeline then cost one query each, and nothing at
all when the customer has none of it.
"""

from django.db.models import F, Func, OuterRef, Subquery
from django.db.models.functions import Coalesce

from customers.customer_page import TimelineEntry, register_section, register_timeline_source
from customers.models import Customer

from .access import workable_kinds
from .models import ProcessDefinition, ProcessInstance, StageTransition, Task

PANEL_ROWS = 20


def _count(queryset):
    return Coalesce(
        Subquery(queryset.order_by().annotate(n=Func(F("pk"), function="COUNT")).values("n")[:1]),
        0,
    )


def _counts(customer):
    if not hasattr(customer, "_process_counts_cache"):
        outer = OuterRef("pk")
        customer._process_counts_cache = (
            Customer.objects.filter(pk=customer.pk)
            .values(
                open_instances=_count(
                    ProcessInstance.objects.filter(customer=outer, closed_at__isnull=True)
                ),
                instances=_count(ProcessInstance.objects.filter(customer=outer)),
                open_tasks=_count(Task.objects.filter(customer=outer, done_at__isnull=True)),
            )
            .get()
        )
    return customer._process_counts_cache


def processes_context(request, customer):
    counts = _counts(customer)
    instances, tasks = [], []
    if counts["open_instances"]:
        instances = list(
            ProcessInstance.objects.open()
            .filter(customer=customer)
            .select_related("definition", "stage", "owner", "ticket")
            .with_hold()
            .order_by("-last_activity_at", "-id")[:PANEL_ROWS]
        )
    if counts["open_tasks"]:
        tasks = list(
            Task.objects.open()
            .filter(customer=customer)
            .select_related("assignee", "instance")
            .order_by("due_on", "id")[:PANEL_ROWS]
        )
    kinds = workable_kinds(request.user)
    Kind = ProcessDefinition.Kind
    return {
        "instances": [i for i in instances if i.definition.kind != Kind.SUPPORT],
        "tickets": [i for i in instances if i.definition.kind == Kind.SUPPORT],
        "open_count": counts["open_instances"],
        "tasks": tasks,
        "task_count": counts["open_tasks"],
        "can_open": any(k in kinds for k in (Kind.SALES, Kind.ONBOARDING, Kind.CUSTOM)),
        "can_open_ticket": Kind.SUPPORT in kinds,
        "more": counts["open_instances"] > PANEL_ROWS or counts["open_tasks"] > PANEL_ROWS,
    }


def transition_entries(customer, *, limit, since=None):
    if not _counts(customer)["instances"]:
        return []
    transitions = StageTransition.objects.filter(instance__customer=customer)
    if since is not None:
        # A long history's timeline is often all contacts: then no transition is fetched.
        transitions = transitions.filter(at__gte=since)
    transitions = transitions.select_related(
        "instance__definition", "from_stage", "to_stage", "by"
    ).order_by("-at", "-id")[:limit]
    entries = []
    for transition in transitions:
        if transition.is_opening:
            kind = "process_opened"
        elif transition.to_stage.is_terminal:
            kind = "process_closed"
        else:
            kind = "process_moved"
        entries.append(
            TimelineEntry(transition.at, kind, "processes/_timeline_transition.html", transition)
        )
    return entries


register_section(
    slot="main", order=15, template="processes/_customer_processes.html", context=processes_context
)
register_timeline_source(transition_entries)
