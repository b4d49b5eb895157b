"""Writes of analytics: new versions of the scoring parameters, the data quality template,
forecast snapshots, the stage stays measured from the log of moves."""

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _

from processes.models import StageTransition

from . import quality as quality_checks
from .forecast import open_pipeline, sales_definitions
from .models import DataQualityTemplate, ForecastSnapshot, ScoringParameters, StageStay
from .process_kpis import entered_at
from .reports import _month_start
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
            transaction.on_commit(_rescore_everyone)
    except IntegrityError as error:
        raise ValidationError(
            _("Someone saved new parameters at the same moment; reload the page and try again.")
        ) from error
    forget_rates()
    return params


def _rescore_everyone():
    from .tasks import score_all_customers

    score_all_customers.delay()


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
        transaction.on_commit(_recompute_quality)
    return template


def _recompute_quality():
    from .tasks import compute_data_quality

    compute_data_quality.delay()


def forecast_snapshot_take(*, on=None) -> int:
    """Write down today's weighted pipeline per expected close month (this month on), owner,
    definition and currency; returns the rows written. Idempotent: a day that already has its
    snapshot gets nothing new (and two runs at once collide on the unique constraints)."""
    on = on or timezone.localdate()
    if ForecastSnapshot.objects.filter(snapshot_on=on).exists():
        return 0
    rows = [
        ForecastSnapshot(
            snapshot_on=on,
            month=row["month"],
            owner_id=row["owner"],
            definition_id=row["definition"],
            currency=row["currency"],
            weighted_amount=row["weighted_total"],
            amount=row["net_total"],
            count=row["count"],
        )
        for row in open_pipeline(definitions=sales_definitions()).filter(
            expected_close_on__gte=_month_start(on)
        )
    ]
    ForecastSnapshot.objects.bulk_create(rows, ignore_conflicts=True)
    return len(rows)


STAGE_STAY_BATCH = 5000
# Moves are picked up by id; one committed late by a long transaction gets a smaller id than
# moves already measured, so each run looks this many ids back for moves still unmeasured.
STAGE_STAY_LOOKBACK = 1000


def stage_stays_refresh(*, batch_size=STAGE_STAY_BATCH, max_batches=None) -> int:
    """Measure the stays ended by moves not measured yet (set-based, a batch at a time);
    returns how many were recorded. Safe to run any number of times, also concurrently."""
    last = StageStay.objects.aggregate(last=Max("transition_id"))["last"] or 0
    after = max(last - STAGE_STAY_LOOKBACK, 0)
    recorded = batches = 0
    while max_batches is None or batches < max_batches:
        batches += 1
        rows = list(
            StageTransition.objects.filter(pk__gt=after, from_stage__isnull=False)
            .exclude(pk__in=StageStay.objects.filter(pk__gt=after).values("pk"))
            .order_by("pk")
            .annotate(entered=entered_at())
            .values_list(
                "pk",
                "instance_id",
                "to_stage__definition_id",
                "from_stage_id",
                "entered",
                "at",
                "from_stage__sla_hours",
            )[:batch_size]
        )
        if not rows:
            break
        stays = []
        for pk, instance, definition, stage, entered, left, sla_hours in rows:
            seconds = (left - entered).total_seconds() if entered is not None else None
            stays.append(
                StageStay(
                    transition_id=pk,
                    instance_id=instance,
                    definition_id=definition,
                    stage_id=stage,
                    entered_at=entered,
                    left_at=left,
                    seconds=seconds,
                    sla_met=None
                    if sla_hours is None or seconds is None
                    else seconds <= sla_hours * 3600,
                )
            )
        StageStay.objects.bulk_create(stays, ignore_conflicts=True)
        recorded += len(rows)
        after = rows[-1][0]
        if len(rows) < batch_size:
            break
    return recorded
