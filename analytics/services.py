"""Writes of analytics: new versions of the scoring parameters, the data quality template,
forecast snapshots, the stage stays measured from the log of moves."""

from django.core.exceptions import ValidationError
from django.db import IntegrityError, connections, router, transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _

from core import outbox
from processes.models import StageTransition

from . import quality as quality_checks
from .forecast import open_pipeline, sales_definitions
from .models import DataQualityTemplate, ForecastSnapshot, ScoringParameters, StageStay
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
    from .tasks import score_all_customers

    outbox.enqueue(score_all_customers)


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
    from .tasks import compute_data_quality

    outbox.enqueue(compute_data_quality)


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

# A stay's length in seconds from two timestamps, in each database's own terms (SQLite keeps
# timestamps as text; Django registers django_timestamp_diff there, in microseconds).
_SECONDS = {
    "postgresql": "EXTRACT(EPOCH FROM (left_at - entered_at))",
    "sqlite": "django_timestamp_diff(left_at, entered_at) / 1000000.0",
}


def _stay_statements(vendor):
    """The two statements of a batch: where the next `limit` unmeasured moves after an id end,
    and the INSERT ... SELECT measuring every unmeasured move in an id range.

    Each stay begins at the instance's move just before the one that ends it (which entered
    the stage it leaves), found backwards along transition_instance_idx: one index probe per
    move, all inside the database, so the first measurement of millions of moves never ships
    them through Python.
    """
    move = StageTransition._meta.db_table
    stage = StageTransition._meta.get_field("to_stage").related_model._meta.db_table
    stay = StageStay._meta.db_table
    unmeasured = (
        f"t.from_stage_id IS NOT NULL AND NOT EXISTS "
        f"(SELECT 1 FROM {stay} s WHERE s.transition_id = t.id)"
    )
    bounds = (
        f"SELECT MAX(id), COUNT(*) FROM (SELECT t.id FROM {move} t "
        f"WHERE t.id > %s AND {unmeasured} ORDER BY t.id LIMIT %s) batch"
    )
    insert = f"""
        INSERT INTO {stay}
            (transition_id, instance_id, definition_id, stage_id, entered_at, left_at, seconds,
             sla_met)
        SELECT transition_id, instance_id, definition_id, stage_id, entered_at, left_at,
               seconds,
               CASE WHEN sla_hours IS NULL OR seconds IS NULL THEN NULL
                    ELSE seconds <= sla_hours * 3600 END
        FROM (
            SELECT moves.*, {_SECONDS[vendor]} AS seconds
            FROM (
                SELECT t.id AS transition_id, t.instance_id, entered.definition_id,
                       t.from_stage_id AS stage_id, t.at AS left_at, left_stage.sla_hours,
                       (SELECT p.at FROM {move} p
                        WHERE p.instance_id = t.instance_id
                          AND (p.at < t.at OR (p.at = t.at AND p.id < t.id))
                        ORDER BY p.at DESC, p.id DESC LIMIT 1) AS entered_at
                FROM {move} t
                JOIN {stage} entered ON entered.id = t.to_stage_id
                JOIN {stage} left_stage ON left_stage.id = t.from_stage_id
                WHERE t.id > %s AND t.id <= %s AND {unmeasured}
            ) moves
        ) measured
        WHERE true
        ON CONFLICT DO NOTHING
    """
    return bounds, insert


def stage_stays_refresh(*, batch_size=STAGE_STAY_BATCH, max_batches=None) -> int:
    """Measure the stays ended by moves not measured yet (set-based, a batch at a time);
    returns how many were recorded. Safe to run any number of times, also concurrently:
    a stay another run recorded first is skipped."""
    alias = router.db_for_write(StageStay)
    bounds, insert = _stay_statements(connections[alias].vendor)
    last = StageStay.objects.using(alias).aggregate(last=Max("transition_id"))["last"] or 0
    after = max(last - STAGE_STAY_LOOKBACK, 0)
    recorded = batches = 0
    while max_batches is None or batches < max_batches:
        batches += 1
        # Two statements, no transaction: the INSERT re-checks what is unmeasured.
        with connections[alias].cursor() as cursor:
            cursor.execute(bounds, [after, batch_size])
            last_id, moves = cursor.fetchone()
            if not moves:
                break
            cursor.execute(insert, [after, last_id])
            recorded += cursor.rowcount
        after = last_id
        if moves < batch_size:
            break
    return recorded
