"""The targets of the process KPIs (KpiTarget) and the colour of each figure against its own:
green when met, amber when missed by at most AMBER_MARGIN of it, red beyond."""

from dataclasses import dataclass
from decimal import Decimal

from processes.models import KpiTarget

from .measures import Metric, conversion_metric

# Amber: missing the target by at most this share of it.
AMBER_MARGIN = Decimal("0.10")
LOWER_IS_BETTER = {Metric.AVG_CYCLE_DAYS, Metric.AVG_COST}
# Days a target's period lasts on average, to prorate amount targets to the period shown.
PERIOD_DAYS = {
    KpiTarget.Period.MONTH: Decimal("30.44"),
    KpiTarget.Period.QUARTER: Decimal("91.31"),
    KpiTarget.Period.YEAR: Decimal("365.25"),
}


def rag(metric, value, target):
    """green / amber / red of `value` against `target`; amber is within 10% on the wrong side."""
    if value is None or target is None:
        return None
    value, target = Decimal(str(value)), Decimal(target)
    if metric in LOWER_IS_BETTER:
        if value <= target:
            return "green"
        return "amber" if value <= target * (1 + AMBER_MARGIN) else "red"
    if value >= target:
        return "green"
    return "amber" if value >= target * (1 - AMBER_MARGIN) else "red"


@dataclass
class Measure:
    """One KPI value of one definition, with its target and colour when it has one."""

    value: object = None
    metric: str = ""
    target: Decimal | None = None
    status: str | None = None


def targets_of(definitions, preset_period):
    """{(definition id, metric): (target, its period)}, preferring the period shown."""
    preference = [preset_period] + [p for p in KpiTarget.Period.values if p != preset_period]
    chosen = {}
    for target in KpiTarget.objects.filter(definition__in=definitions):
        key = (target.definition_id, target.metric)
        if key not in chosen or preference.index(target.period) < preference.index(chosen[key][1]):
            chosen[key] = (target.target, target.period)
    return chosen


def target_period_for(period):
    """The target period that best matches the period shown (by its length)."""
    if period.days > 120:
        return KpiTarget.Period.YEAR
    if period.days > 45:
        return KpiTarget.Period.QUARTER
    return KpiTarget.Period.MONTH


def apply_targets(kpis, targets, period):
    """Sets kpis.measures: each figure of the DefinitionKpis with its target and colour."""
    definition = kpis.definition
    values = {
        conversion_metric(definition.kind): kpis.conversion,
        Metric.AVG_CYCLE_DAYS: kpis.cycle_avg_days,
        Metric.AVG_COST: kpis.cost_avg,
        Metric.SLA_MET_RATE: kpis.sla_rate,
        Metric.AMOUNT_RECOVERED: kpis.amount_recovered if kpis.closed else None,
    }
    for metric, value in values.items():
        target, target_period = targets.get((definition.pk, metric), (None, None))
        if target is not None and metric == Metric.AMOUNT_RECOVERED:
            # An amount per month, quarter or year, prorated to the days shown.
            target = (target * period.days / PERIOD_DAYS[target_period]).quantize(Decimal("0.01"))
        kpis.measures[metric] = Measure(
            value=value, metric=metric, target=target, status=rag(metric, value, target)
        )
