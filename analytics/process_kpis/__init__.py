"""Process KPIs: per process definition and period, volume, conversion, cycle time, time in
stage, SLA compliance, cost and value per cost, each against its target.

The cohorts, so every number can be drilled down to the instances behind it:
- started: instances opened in the period;
- closed: instances closed in the period; conversion, cycle time, cost, value and the ticket
  SLAs are measured on them;
- stage stays: stays in a stage that ended (the instance moved on) in the period, as measured
  into StageStay from the log of moves.

The modules, each importing only those above it in this list:
- measures: the cohorts and the SQL expressions every figure is measured with;
- kpi_days: the days the nightly rollup has computed, and the duration histograms;
- stays: measuring the stage stays from the log of moves;
- rollup: the nightly per-day sums and histograms;
- targets: the targets and each figure's colour against its own;
- dashboard: the dashboard's figures, from the rollup and live;
- drilldown: the instances behind one number.
"""

from .dashboard import (
    ROLLUP_CACHE_PREFIX,
    DaysRead,
    DefinitionKpis,
    StageKpis,
    computed_days_of,
    cycle_distribution,
    definitions_shown,
    process_kpis,
    weekly_volume,
)
from .drilldown import DRILLDOWNS, drilldown
from .kpi_days import (
    BUCKET_RATIO,
    bucket_of,
    computed_days,
    computed_days_stamped,
    histogram_percentile,
    hold_anything,
    whole_months,
    within,
)
from .measures import (
    CYCLE_BUCKETS,
    Metric,
    conversion_metric,
    cycle_duration,
    net_amount,
    period_bounds,
    stays_ended,
    succeeded,
    success_outcome,
)
from .rollup import ROLLUP_REFRESH_DAYS, process_kpi_rollup, process_kpi_rollup_nightly
from .stays import STAGE_STAY_BATCH, STAGE_STAY_LOOKBACK, stage_stays_refresh
from .targets import Measure, rag, target_period_for

__all__ = [
    "BUCKET_RATIO",
    "CYCLE_BUCKETS",
    "DRILLDOWNS",
    "ROLLUP_CACHE_PREFIX",
    "ROLLUP_REFRESH_DAYS",
    "STAGE_STAY_BATCH",
    "STAGE_STAY_LOOKBACK",
    "DaysRead",
    "DefinitionKpis",
    "Measure",
    "Metric",
    "StageKpis",
    "bucket_of",
    "computed_days",
    "computed_days_of",
    "computed_days_stamped",
    "conversion_metric",
    "cycle_distribution",
    "cycle_duration",
    "definitions_shown",
    "drilldown",
    "histogram_percentile",
    "hold_anything",
    "net_amount",
    "period_bounds",
    "process_kpi_rollup",
    "process_kpi_rollup_nightly",
    "process_kpis",
    "rag",
    "stage_stays_refresh",
    "stays_ended",
    "succeeded",
    "success_outcome",
    "target_period_for",
    "weekly_volume",
    "whole_months",
    "within",
]
