"""Writes of analytics: new versions of the scoring parameters, the data quality template."""

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from . import quality as quality_checks
from .models import DataQualityTemplate, ScoringParameters
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
