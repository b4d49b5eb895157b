"""Writes of analytics that people start: new versions of the scoring parameters and of the data
quality template (each queues the job that recomputes with it), and the first computation of
a report's figures on a database that never had them. The jobs themselves are in analytics.tasks,
which imports nothing from here."""

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from core import outbox
from customers.models import Customer

from . import quality as quality_checks
from . import snapshots, tasks
from .models import DataQualityTemplate, ReportRefresh, ScoringParameters
from .selectors import forget_rates

EDITABLE = [
    "base_currency",
    "exchange_rates",
    "ltv_horizon_months",
    "annual_discount_rate",
    "late_tolerance_days",
    "overdue_penalty",
    "grade_a_min_ltv",
    "grade_a_min_reliability",
    "grade_b_min_ltv",
    "grade_b_min_reliability",
    "grade_c_min_ltv",
    "grade_c_min_reliability",
    "note",
]


def scoring_parameters_create(*, data: dict, by) -> ScoringParameters:
    """Save `data` as the next version of the parameters and rescore every customer with it
    once the transaction commits (the old scores stay in the history under their version)."""
    try:
        with transaction.atomic():
            latest = ScoringParameters.objects.select_for_update().order_by("-version").first()
            params = ScoringParameters(
                **{name: data[name] for name in EDITABLE if name in data},
                version=(latest.version + 1) if latest else 1,
                created_by=by,
            )
            params.full_clean()
            params.save()
            _rescore_everyone()
    except IntegrityError as error:
        raise ValidationError(
            _("Someone saved new parameters at the same moment; reload the page and try again.")
        ) from error
    forget_rates()
    return params


def _rescore_everyone():
    """Queued in the outbox with the new version: it runs once the broker has it, even when the
    broker is away at the moment of saving."""
    outbox.enqueue(tasks.score_all_customers)


QUALITY_EDITABLE = [
    *(f"require_{code}" for code in quality_checks.CHECKS_BY_CODE),
    "target",
]


def data_quality_template_update(*, data: dict, by) -> DataQualityTemplate:
    """Save the template and recompute every customer's completeness once it commits."""
    with transaction.atomic():
        template = DataQualityTemplate.objects.select_for_update().get(
            pk=DataQualityTemplate.objects.current().pk
        )
        for name in QUALITY_EDITABLE:
            if name in data:
                setattr(template, name, data[name])
        template.updated_by = by
        template.full_clean()
        if not quality_checks.enabled_checks(template):
            raise ValidationError(_("Choose at least one thing a complete record holds."))
        template.save()
        _recompute_quality()
    return template


def _recompute_quality():
    outbox.enqueue(tasks.compute_data_quality)


# A database this small computes its first snapshot during the first page view; a bigger one
# queues it (minutes at a million customers) and the page says the figures are on their way.
FIRST_RUN_INLINE_LIMIT = 10_000


def first_run(compute, task, *, key):
    """Run `compute()` now on a small database, else queue `task` at most once an hour.

    The once-an-hour guard is the outbox's (a database row), not the cache's: with the cache
    away a cache.add would answer "taken" and the work would never be queued, or "free" on
    every page view and queue it again each time."""
    small = Customer.objects.order_by()[: FIRST_RUN_INLINE_LIMIT + 1].count()
    if small <= FIRST_RUN_INLINE_LIMIT:
        return compute()
    outbox.enqueue_once(task, key=f"analytics-first-run-{key}", within=3600)
    return None


def last_refresh() -> ReportRefresh | None:
    """The newest refresh; a database that never had one (a new install) gets its first one
    (None while it is being computed)."""
    newest = ReportRefresh.objects.order_by("-finished_at", "-id").first()
    if newest is not None:
        return newest
    return first_run(snapshots.refresh, tasks.refresh_report_snapshots, key="report-snapshots")
