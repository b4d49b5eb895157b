"""Background work of the mail app: thin Celery tasks around the services."""

from celery import shared_task
from django.conf import settings
from django.db import transaction

from core.outbox import enqueue_once

from .models import Mailbox
from .services.sync import mailbox_sync


@shared_task
def sync_mailboxes():
    """Every active mailbox gets a sync of its own (in parallel on several workers); a mailbox
    whose sync is still queued or running is not queued again."""
    if not settings.MAIL_SYNC_ENABLED:
        return 0
    queued = 0
    with transaction.atomic():
        for pk in Mailbox.objects.filter(is_active=True).values_list("pk", flat=True):
            queued += (
                enqueue_once(
                    sync_mailbox,
                    pk,
                    key=f"mail-sync:{pk}",
                    within=int(settings.MAIL_SYNC_INTERVAL) - 5,
                )
                is not None
            )
    return queued


@shared_task
def sync_mailbox(mailbox_pk):
    """One mailbox's sync; idempotent (it starts where the last run stopped)."""
    result = mailbox_sync(mailbox_id=mailbox_pk)
    return {"filed": result.filed, "triage": result.triage, "error": result.error}
