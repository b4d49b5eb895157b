"""KPI targets: what managers expect of each process per period; the KPI page colours the
measured values against them."""

from core.integrity import save_or_raise_validation

from ..models import KpiTarget, ProcessDefinition


def kpi_target_create(*, definition: ProcessDefinition, data: dict) -> KpiTarget:
    return _target_save(KpiTarget(definition=definition, **data))


def kpi_target_update(*, target: KpiTarget, data: dict) -> KpiTarget:
    for name, value in data.items():
        setattr(target, name, value)
    return _target_save(target)


def kpi_target_delete(*, target: KpiTarget) -> None:
    target.delete()


def _target_save(target: KpiTarget) -> KpiTarget:
    target.full_clean()
    # Two managers adding the same target at once: the constraint holds, the second sees why
    # beside the metric.
    return save_or_raise_validation(
        target, fields={"one_kpi_target_per_metric_and_period": "metric"}
    )
