"""The process lists' rows (core.lists) and their exports' columns (core.exports), read with
values_list()."""

from django.utils.translation import gettext_lazy as _

from core.exports import AMOUNT, DATE, DATETIME, NUMBER, Column
from core.lists import ListRows

from .filters import InstanceFilter, TaskFilter, TicketFilter
from .models import ProcessDefinition, ProcessInstance, SlaPolicy, Stage, Task

INSTANCE_COLUMNS = [
    Column(_("Id"), "id", NUMBER),
    Column(_("Title"), "title"),
    Column(_("Customer"), "customer__display_name"),
    Column(_("Process"), "definition__name"),
    Column(_("Stage"), "stage__name"),
    Column(_("Owner"), "owner__username"),
    Column(_("Amount"), "amount", AMOUNT),
    Column(_("Currency"), "currency"),
    Column(_("Expected close"), "expected_close_on", DATE),
    Column(_("Outcome"), "outcome", choices=Stage.Outcome),
    Column(_("Opened"), "opened_at", DATETIME),
    Column(_("Closed"), "closed_at", DATETIME),
    Column(_("Stage due"), "stage_due_at", DATETIME),
    Column(_("Last activity"), "last_activity_at", DATETIME),
]

TICKET_COLUMNS = [
    *INSTANCE_COLUMNS[:6],
    Column(_("Priority"), "ticket__priority", choices=SlaPolicy.Priority),
    Column(_("Response due"), "ticket__response_due_at", DATETIME),
    Column(_("First response"), "ticket__first_response_at", DATETIME),
    Column(_("Resolution due"), "ticket__resolution_due_at", DATETIME),
    Column(_("Resolved"), "ticket__resolved_at", DATETIME),
    *INSTANCE_COLUMNS[9:],
]

COLLECTION_COLUMNS = [
    *INSTANCE_COLUMNS[:6],
    Column(_("Invoice"), "collection__invoice__number"),
    Column(_("Balance when opened"), "collection__balance_at_open", AMOUNT),
    Column(_("Currency"), "collection__invoice__currency"),
    Column(_("E-mails sent"), "collection__reminders_sent", NUMBER),
    *INSTANCE_COLUMNS[9:],
]

TASK_COLUMNS = [
    Column(_("Id"), "id", NUMBER),
    Column(_("Title"), "title"),
    Column(_("Customer"), "customer__display_name"),
    Column(_("Process"), "instance__title"),
    Column(_("Assignee"), "assignee__username"),
    Column(_("Due on"), "due_on", DATE),
    Column(_("Done at"), "done_at", DATETIME),
    Column(_("Done by"), "done_by__username"),
]


# Each builds what a list shows `user` for these filters: the list's page and its export (in the
# request, or later in a background job) both call it (core.lists).


def instance_rows(user, params, *, request):
    instance_filter = InstanceFilter(
        params, queryset=ProcessInstance.objects.visible_to(user).for_list(), request=request
    )
    return ListRows(instance_filter, INSTANCE_COLUMNS)


def ticket_rows(user, params, *, request):
    ticket_filter = TicketFilter(
        params,
        queryset=ProcessInstance.objects.visible_to(user)
        .for_list()
        .filter(definition__kind=ProcessDefinition.Kind.SUPPORT),
        request=request,
    )
    return ListRows(ticket_filter, TICKET_COLUMNS)


def collection_rows(user, params, *, request):
    collection_filter = InstanceFilter(
        params,
        queryset=ProcessInstance.objects.visible_to(user)
        .for_list()
        .filter(definition__kind=ProcessDefinition.Kind.COLLECTIONS)
        .select_related("collection__invoice"),
        request=request,
    )
    return ListRows(collection_filter, COLLECTION_COLUMNS)


def task_rows(user, params, *, request):
    """My tasks: the open ones unless the filters say otherwise."""
    data = params.copy()
    data.setdefault("state", "open")
    task_filter = TaskFilter(
        data,
        queryset=Task.objects.filter(assignee=user).select_related(
            "customer", "instance", "created_by"
        ),
        request=request,
    )
    return ListRows(task_filter, TASK_COLUMNS)
