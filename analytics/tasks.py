"""Scheduled and queued analytics jobs (CELERY_BEAT_SCHEDULE): thin wrappers around
analytics.scoring, digest, quality, snapshots, usage, forecast and process_kpis. They are queued
by analytics.services and analytics.signals, which import this module; nothing here imports
them back."""

import logging

from celery import shared_task
from django.utils import timezone

from . import digest, forecast, process_kpis, quality, scoring, snapshots, usage

logger = logging.getLogger(__name__)


@shared_task(bind=True)
def score_all_customers(self):
    """Nightly: rescore every customer. A run already in progress makes this one a no-op,
    unless that run is this very task's, left behind by a worker that died."""
    try:
        run = scoring.score_all_customers(
            task_id=self.request.id or "",
            progress=lambda run: logger.info(
                "Scoring: %s of %s customers (%s%%)", run.scored, run.total, run.progress_percent
            ),
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
def compute_data_quality():
    """Nightly, after scoring, and after managers change the data quality template."""
    return quality.compute_all()


@shared_task
def refresh_report_snapshots():
    """Nightly, after scoring: the sums the value and segment reports read."""
    run = snapshots.refresh()
    return {"refresh": run.pk, "last_score": run.last_score_id}


@shared_task
def snapshot_forecast():
    """Weekly: write down the weighted pipeline, for forecast accuracy. Twice a day is a no-op."""
    written = forecast.forecast_snapshot_take()
    logger.info("Forecast snapshot: %s rows written.", written)
    return written


@shared_task
def measure_stage_stays():
    """Every few minutes: measure the stage stays ended by the latest moves (KPI dashboard)."""
    return process_kpis.stage_stays_refresh()


@shared_task
def rollup_usage():
    """Nightly, after midnight (TIME_ZONE): the usage report's figures of the past days, and of
    every day not computed yet."""
    return usage.usage_rollup_nightly(today=timezone.localdate())


@shared_task
def rollup_process_kpis():
    """Nightly, after midnight (TIME_ZONE): the process KPI dashboard's figures of the past days,
    and of every day not computed yet."""
    return process_kpis.process_kpi_rollup_nightly(today=timezone.localdate())
