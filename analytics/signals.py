"""Rescore a customer once the transaction that changed their billing or contacts commits, and
record a login as the day's activity.

Receivers rather than calls in the services because every write path must trigger it: the
services, Django admin and the shell alike. They hold no logic: they queue a task in the outbox
(core.outbox, published after commit) or call analytics.middleware.activity_record.
"""

from django.contrib.auth.signals import user_logged_in
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from core import outbox
from relationships.models import Interaction, Invoice, Payment, Payout

from . import tasks
from .middleware import activity_record


def queue_rescore(customer_id):
    """Written to the outbox in the saving transaction: kept when the broker is away, gone
    when the save is rolled back, published once it commits."""
    outbox.enqueue(tasks.rescore_customer, customer_id)


@receiver([post_save, post_delete], sender=Invoice)
@receiver([post_save, post_delete], sender=Payout)
@receiver([post_save, post_delete], sender=Interaction)
def _customer_figure_saved(sender, instance, **kwargs):
    queue_rescore(instance.customer_id)


@receiver([post_save, post_delete], sender=Payment)
def _payment_saved(sender, instance, **kwargs):
    queue_rescore(instance.invoice.customer_id)  # the services hand the payment its invoice


@receiver(user_logged_in)
def _record_login_activity(sender, request, user, **kwargs):
    # A login is the day's first activity: recorded here, the first page costs no extra query.
    activity_record(user=user, session=getattr(request, "session", None))
