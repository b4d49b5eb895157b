"""Celery tasks of the shared kernel."""

from celery import shared_task

from . import outbox


@shared_task
def drain_outbox():
    """Every minute: publish the queued work a broker outage (or a dead process) left unsent."""
    return outbox.drain()


@shared_task
def run_export_job(job_id):
    """A list's export too big for the request: its file, written once (core.export_jobs)."""
    from . import export_jobs

    export_jobs.export_job_run(job_id)


@shared_task
def expire_exports():
    """Hourly: background exports older than EXPORT_KEEP_HOURS go, with their files."""
    from . import export_jobs

    return export_jobs.expire_exports()
