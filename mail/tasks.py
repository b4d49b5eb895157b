"""Background work of the mail app: thin Celery tasks around the services, idempotent
(delivery is at least once)."""

from celery import shared_task
from django.conf import settings
from django.utils import timezone

from . import services
from .services.mailing_batches import mailing_send_batch, mailings_resume


@shared_task(bind=True, max_retries=None)
def send_email(self, message_pk):
    """Send one queued e-mail (queued through the outbox by email_send). Idempotent: an e-mail
    already sent or failed is left alone. A failed attempt is tried again later, doubling the
    wait, until MAIL_SEND_MAX_ATTEMPTS; then the e-mail is marked failed."""
    outcome = services.email_deliver(message_pk=message_pk)
    if (
        outcome == services.Delivery.RETRY
        and self.request.retries < settings.MAIL_SEND_MAX_ATTEMPTS
    ):
        # throw=False: the retry is scheduled without failing this run; returned, because eager
        # Celery (tests) runs a returned Retry at once.
        return self.retry(countdown=services.retry_delay(self.request.retries + 1), throw=False)
    return outcome


@shared_task
def send_stale_emails():
    """Every 10 minutes: queue again the e-mails still queued long after their retries should
    have ended (a retry the broker lost); the send task's claim keeps them from going twice."""
    return services.emails_requeue_stale(now=timezone.now())


@shared_task(name="mail.tasks.send_mailing_batch")
def send_mailing_batch(mailing_id):
    """The next throttled batch of a mailing (mail.services.mailings.mailing_send_batch)."""
    return mailing_send_batch(mailing_id=mailing_id)


@shared_task(name="mail.tasks.resume_mailings")
def resume_mailings():
    """Mailings whose next batch went missing (a batch killed before it queued the next)."""
    return mailings_resume()
