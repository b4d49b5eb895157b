"""The models of analytics, one module per concept; every model is importable from here."""

from .digest import DigestLog, DigestSubscription
from .forecast import ForecastSnapshot
from .process_kpis import DurationHistogram, ProcessKpiDay, StageKpiDay, StageStay, WonDay
from .quality import (
    CustomerQuality,
    DataQualityTemplate,
    DataQualityTemplateQuerySet,
    QualitySummary,
)
from .scoring import (
    INITIAL_RATES,
    CustomerScore,
    CustomerScoreQuerySet,
    ScoringParameters,
    ScoringParametersQuerySet,
    ScoringRun,
)
from .snapshots import (
    CustomerStateSnapshot,
    DailyActivity,
    GradeChange,
    ReportRefresh,
    ReportScope,
)
from .usage import ReportView, UsageDay, UserActivity

__all__ = [
    "INITIAL_RATES",
    "CustomerQuality",
    "CustomerScore",
    "CustomerScoreQuerySet",
    "CustomerStateSnapshot",
    "DailyActivity",
    "DataQualityTemplate",
    "DataQualityTemplateQuerySet",
    "DigestLog",
    "DigestSubscription",
    "DurationHistogram",
    "ForecastSnapshot",
    "GradeChange",
    "ProcessKpiDay",
    "QualitySummary",
    "ReportRefresh",
    "ReportScope",
    "ReportView",
    "ScoringParameters",
    "ScoringParametersQuerySet",
    "ScoringRun",
    "StageKpiDay",
    "StageStay",
    "UsageDay",
    "UserActivity",
    "WonDay",
]
