"""Rescore a customer once the transaction that changed their billing or contacts commits, and
record a login as the day's activity.

Receivers rather than calls in the services because every write path must trigger it: the
services, Django admin and the shell alike. They hold no logic: they queue a task after commit
or call analytics.middleware.activity_record.
"""

import logging

from django.contrib.auth.signals import user_logged_in
from django.db import transaction
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from relationships.models import Interaction, Invoice, Payment, Payout

from .middleware import activity_record

logger = logging.getLogger(__name__)


def queue_rescore(customer_id):
    def send():
        from .tasks import rescore_customer

        try:
            rescore_customer.delay(customer_id)
        except Exception:  # The broker being down must not fail a saved payment.
            logger.exception("Could not queue rescoring of customer %s", customer_id)

    transaction.on_commit(send)


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
