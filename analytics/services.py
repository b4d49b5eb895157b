"""Writes of analytics: new versions of the scoring parameters, forecast snapshots."""

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from .forecast import open_pipeline, sales_definitions
from .models import ForecastSnapshot, ScoringParameters
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
