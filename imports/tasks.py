"""Thin tasks: the import's two long steps, queued through the outbox (core.outbox)."""

from celery import shared_task

from . import services


@shared_task
def prepare_import(batch_id):
    services.batch_prepare(batch_id=batch_id)


@shared_task
def run_import(batch_id):
    services.batch_run(batch_id=batch_id)
