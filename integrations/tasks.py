from celery import shared_task

from . import services


@shared_task
def deliver_webhook(delivery_id, attempt):
    """One attempt of a webhook delivery; a repeat of the same attempt does nothing."""
    services.delivery_attempt(delivery_id=delivery_id, attempt=attempt)


@shared_task
def send_due_webhooks():
    """Every minute: queue the retries whose time has come."""
    return services.deliveries_send_due()
