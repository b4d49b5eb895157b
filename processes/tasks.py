"""Scheduled jobs (see CELERY_BEAT_SCHEDULE): thin wrappers around the services."""

from celery import shared_task
from django.utils import timezone

from core.pagination import LargeTablePaginator

from . import selectors, services


@shared_task
def watch_processes():
    """Every 15 minutes: warn owners of late or stalled processes, escalate to managers. Once."""
    return services.processes_watch(now=timezone.now())


@shared_task
def open_collection_cases():
    """Daily: a collection case for each overdue invoice (once per invoice); settle paid ones."""
    opened = services.collection_cases_open_overdue(today=timezone.localdate())
    settled = services.collection_cases_settle_paid()
    return {"opened": len(opened), "settled": settled}


@shared_task
def refresh_board_totals():
    """Every 45 s: the column totals of the boards too large to sum per request, summed
    again, so that no board request waits for the sum (processes.selectors)."""
    refreshed = selectors.definitions_with_large_boards(LargeTablePaginator.count_cap)
    for definition_id in refreshed:
        selectors.open_totals_store(definition_id)
    return {"refreshed": len(refreshed)}
