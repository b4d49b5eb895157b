"""The stage stays (StageStay) measured from the log of moves: each move out of a working stage
ends a stay that began with the move before it. The frequent job and the KPI pages measure the
moves not measured yet; the nightly rollup sums the stays per day."""

from django.db import connections, router
from django.db.models import Max

from processes.models import StageTransition

from ..models import StageStay

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
