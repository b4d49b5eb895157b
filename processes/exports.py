"""The process lists' exports (core.exports): their columns, read with values_list()."""

from django.utils.translation import gettext_lazy as _

from core.exports import AMOUNT, DATE, DATETIME, NUMBER, Column

from .models import SlaPolicy, Stage

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
