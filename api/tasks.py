from celery import shared_task

from .services import idempotency_keys_purge


@shared_task
def purge_idempotency_keys():
    """Forget the stored answers of expired Idempotency-Keys."""
    return idempotency_keys_purge()
