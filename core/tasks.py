"""Celery tasks of the shared kernel."""

from celery import shared_task

from . import outbox


@shared_task
def drain_outbox():
    """Every minute: publish the queued work a broker outage (or a dead process) left unsent."""
    return outbox.drain()
