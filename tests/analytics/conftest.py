from datetime import date

import pytest

from analytics.models import ScoringParameters
from tests.processes.conftest import (  # noqa: F401 (the process fixtures, for the KPI reports)
    enterprise_sales,
    sales_process,
    standard_support,
    support_24_7,
)

# A fixed day, so due dates, lateness and the 12-month window give hand-computable figures.
AS_OF = date(2026, 6, 30)


@pytest.fixture
def params(db):
    """Version 1 as the migration creates it, with round numbers the tests compute by hand."""
    params = ScoringParameters.objects.current()
    params.exchange_rates = {"EUR": "4.30"}
    params.ltv_horizon_months = 24
    params.annual_discount_rate = 0
    params.late_tolerance_days = 60
    params.overdue_penalty = "0.50"
    params.save()
    return ScoringParameters.objects.get(pk=params.pk)
