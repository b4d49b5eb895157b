"""The analytics pages, one module per area; urls.py names them through this package."""

from .home import home
from .processes import forecast_report, process_kpi_dashboard, process_kpi_instances
from .scoring import scoring_method, scoring_parameters_edit
from .usage import my_settings, usage_report
from .value import (
    data_quality,
    data_quality_template_edit,
    segment_report,
    value_report,
)

__all__ = [
    "data_quality",
    "data_quality_template_edit",
    "forecast_report",
    "home",
    "my_settings",
    "process_kpi_dashboard",
    "process_kpi_instances",
    "scoring_method",
    "scoring_parameters_edit",
    "segment_report",
    "usage_report",
    "value_report",
]
