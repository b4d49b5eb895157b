"""Scheduled and queued jobs (CELERY_BEAT_SCHEDULE): thin wrappers around analytics.scoring,
analytics.digest and analytics.usage."""

import logging

from celery import shared_task
from django.utils import timezone

from . import digest, scoring, usage

logger = logging.getLogger(__name__)


@shared_task
def score_all_customers():
    """Nightly: rescore every customer. A run already in progress makes this one a no-op."""
    try:
        run = scoring.score_all_customers(
            progress=lambda run: logger.info(
                "Scoring: %s of %s customers (%s%%)", run.scored, run.total, run.progress_percent
            )
        )
    except scoring.AlreadyRunning:
        logger.warning("Scoring skipped: another run is still in progress.")
        return None
    return {"run": run.pk, "scored": run.scored, "changed": run.changed}


@shared_task
def rescore_customer(customer_id):
    """Queued after an invoice, payment, payout or interaction of the customer is saved."""
    return scoring.score_customer(customer_id)


@shared_task
def send_daily_digests():
    """Every morning (DIGEST_HOUR): each user's digest, once per user and day."""
    return digest.digests_send(now=timezone.now())


@shared_task
def rollup_usage():
    """Nightly, after midnight (TIME_ZONE): the usage report's figures of the past days, and of
    every day not computed yet."""
    return usage.usage_rollup_nightly(today=timezone.localdate())
