"""Scheduled jobs (see CELERY_BEAT_SCHEDULE): thin wrappers around the services."""

from celery import shared_task
from django.utils import timezone

from . import services


@shared_task
def expire_contracts():
    """Nightly: active contracts past their end date become expired (never ends a relationship)."""
    return services.contracts_expire(today=timezone.localdate())


@shared_task
def bill_recurring_contracts():
    """Nightly: invoice each started period of the active recurring contracts, once."""
    return len(services.contracts_bill_recurring(today=timezone.localdate()))
