"""What processes add to the customer page: open processes, tickets and tasks, and the timeline
of processes opened, moved and closed.

One query counts it all; the section and the timeline then cost one query each, and nothing at
all when the customer has none of it.
"""

from datetime import datetime

from core import visibility
from core.memo import per_object
from core.pages import TimelineEntry
from customers.customer_page import (
    register_history_source,
    register_section,
    register_timeline_source,
)
from customers.selectors import CustomerCounts, CustomerRows

from .access import mark_completable, workable_kinds
from .models import Approval, ProcessDefinition, ProcessInstance, StageTransition, Task

PANEL_ROWS = 20


_count_processes = CustomerCounts(
    lambda customer: {
        "open_instances": ProcessInstance.objects.filter(customer=customer, closed_at__isnull=True),
        "instances": ProcessInstance.objects.filter(customer=customer),
        "open_tasks": Task.objects.filter(customer=customer, done_at__isnull=True),
    }
)


@per_object
def _counts(customer):
    return _count_processes(customer)


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
        tasks = mark_completable(
            request.user,
            Task.objects.open()
            .filter(customer=customer)
            .select_related("assignee", "instance")
            .order_by("due_on", "id")[:PANEL_ROWS],
            customer_owner_id=customer.owner_id,
        )
    kinds = (
        workable_kinds(request.user)
        if visibility.can_edit_owner(request.user, customer.owner_id)
        else []
    )
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


def _transitions(customer):
    return StageTransition.objects.filter(instance__customer=customer).select_related(
        "instance__definition", "from_stage", "to_stage", "by"
    )


# The page's timeline length, as compiled statements: one for the newest, one for those since.
TIMELINE_ROWS = 50
_newest_transitions = CustomerRows(
    lambda customer: _transitions(customer).order_by("-at", "-id")[:TIMELINE_ROWS]
)
_transitions_since = CustomerRows(
    lambda customer, since: (
        _transitions(customer).filter(at__gte=since).order_by("-at", "-id")[:TIMELINE_ROWS]
    ),
    since=datetime,
)


def transition_entries(customer, *, limit, since=None):
    if not _counts(customer)["instances"]:
        return []
    if limit != TIMELINE_ROWS:
        transitions = _transitions(customer)
        if since is not None:
            transitions = transitions.filter(at__gte=since)
        transitions = transitions.order_by("-at", "-id")[:limit]
    elif since is not None:
        # A long history's timeline is often all contacts: then no transition is fetched.
        transitions = _transitions_since(customer, since=since)
    else:
        transitions = _newest_transitions(customer)
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

register_history_source(lambda customer: ProcessInstance.objects.filter(customer_id=customer.pk))
register_history_source(lambda customer: Approval.objects.filter(instance__customer_id=customer.pk))
