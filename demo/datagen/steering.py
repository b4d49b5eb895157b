"""What managers steer with, for the demo: KPI targets, decision rules and the forecast's
history, so the KPI page's red/amber/green, the rules page and the forecast accuracy chart show
something after `make run` instead of empty tables. Demo only: a real CRM gets its targets and
rules from its managers and its forecast history from the weekly snapshot job."""

import random
from datetime import timedelta
from decimal import Decimal

from django.db.models import Sum

from analytics.forecast import next_month
from analytics.models import ForecastSnapshot
from analytics.periods import month_start
from processes.models import DecisionRule, KpiTarget, ProcessDefinition, ProcessInstance, Stage
from processes.services.decision_rules import decision_rule_create

# Per kind of process: (metric, target) — values a sales or service manager would set.
TARGETS = {
    ProcessDefinition.Kind.SALES: [
        (KpiTarget.Metric.WIN_RATE, "30"),
        (KpiTarget.Metric.AVG_CYCLE_DAYS, "45"),
    ],
    ProcessDefinition.Kind.SUPPORT: [
        (KpiTarget.Metric.SLA_MET_RATE, "90"),
        (KpiTarget.Metric.RESOLUTION_RATE, "85"),
    ],
    ProcessDefinition.Kind.ONBOARDING: [(KpiTarget.Metric.AVG_CYCLE_DAYS, "30")],
    ProcessDefinition.Kind.COLLECTIONS: [(KpiTarget.Metric.AMOUNT_RECOVERED, "20000")],
    ProcessDefinition.Kind.RETENTION: [(KpiTarget.Metric.AVG_COST, "150")],
}

# (kind, name, conditions, on break)
RULES = [
    (
        ProcessDefinition.Kind.RETENTION,
        "Worth keeping",
        {"min_grade": "B"},
        DecisionRule.OnBreak.APPROVAL,
    ),
    (
        ProcessDefinition.Kind.SALES,
        "Cost within value",
        {"max_cost_to_value_percent": Decimal("25")},
        DecisionRule.OnBreak.APPROVAL,
    ),
    (
        ProcessDefinition.Kind.COLLECTIONS,
        "Debts worth chasing",
        {"min_amount": Decimal("50")},
        DecisionRule.OnBreak.REFUSE,
    ),
]

HISTORY_MONTHS = 6


def seed_steering(*, today, by, seed: int = 1) -> dict:
    """Targets, rules and forecast history, once (a second call adds nothing)."""
    definitions = list(ProcessDefinition.objects.all())
    targets = [
        KpiTarget(definition=definition, metric=metric, target=Decimal(value))
        for definition in definitions
        for metric, value in TARGETS.get(definition.kind, [])
    ]
    KpiTarget.objects.bulk_create(targets, ignore_conflicts=True)
    rules = 0
    for kind, name, conditions, on_break in RULES:
        for definition in definitions:
            if definition.kind != kind or definition.decision_rules.filter(name=name).exists():
                continue
            decision_rule_create(
                definition=definition,
                data={"name": name, "on_break": on_break, **conditions},
                by=by,
            )
            rules += 1
    return {
        "targets": len(targets),
        "rules": rules,
        "snapshots": _forecast_history(definitions, today=today, seed=seed),
    }


def _forecast_history(definitions, *, today, seed) -> int:
    """A snapshot taken a week before each of the last months began, forecasting that month's
    wins per owner and currency within ±30 % of what was then won: the accuracy chart has a
    history from the first day, as it would after half a year of weekly snapshots."""
    if ForecastSnapshot.objects.filter(snapshot_on__lt=month_start(today)).exists():
        return 0
    rng = random.Random(seed)
    sales = [d for d in definitions if d.kind == ProcessDefinition.Kind.SALES]
    months = [month_start(today, back) for back in range(1, HISTORY_MONTHS + 1)]
    rows = []
    for first in months:
        won = (
            ProcessInstance.objects.filter(
                definition__in=sales,
                outcome=Stage.Outcome.WON,
                amount__isnull=False,
                closed_at__date__gte=first,
                closed_at__date__lt=next_month(first),
            )
            .exclude(currency="")
            .values("definition", "owner", "currency")
            .annotate(total=Sum("amount"))
            .order_by()
        )
        for row in won:
            factor = Decimal(str(round(rng.uniform(0.7, 1.3), 2)))
            weighted = (row["total"] * factor).quantize(Decimal("0.01"))
            rows.append(
                ForecastSnapshot(
                    snapshot_on=first - timedelta(days=7),
                    month=first,
                    owner_id=row["owner"],
                    definition_id=row["definition"],
                    currency=row["currency"],
                    weighted_amount=weighted,
                    amount=(weighted * Decimal("2.5")).quantize(Decimal("0.01")),
                    count=rng.randint(2, 12),
                )
            )
    ForecastSnapshot.objects.bulk_create(rows, ignore_conflicts=True)
    return len(rows)
