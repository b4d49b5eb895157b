"""The mail app's Celery tasks: thin, idempotent (delivery is at least once)."""

from celery import shared_task

from .services.mailing_batches import mailing_send_batch, mailings_resume


@shared_task(name="mail.tasks.send_mailing_batch")
def send_mailing_batch(mailing_id):
    """The next throttled batch of a mailing (mail.services.mailings.mailing_send_batch)."""
    return mailing_send_batch(mailing_id=mailing_id)


@shared_task(name="mail.tasks.resume_mailings")
def resume_mailings():
    """Mailings whose next batch went missing (a batch killed before it queued the next)."""
    return mailings_resume()
