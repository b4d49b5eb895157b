"""Scheduled jobs (see CELERY_BEAT_SCHEDULE): thin wrappers around the services."""

from celery import shared_task
from django.utils import timezone

from . import services


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
