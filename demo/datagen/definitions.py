"""The rows a run's customers refer to, created once by name through the ORM: the segments,
the process definitions (stages and SLA policies) and this year's retention campaign."""

from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

from django.db import transaction

from customers.models import Segment
from processes.models import ProcessDefinition, RetentionCampaign, SlaPolicy, Stage

SEGMENTS = {
    "Enterprise": "Organisations with more than 250 employees.",
    "SMB": "Small and medium-sized businesses.",
    "Public sector": "Government bodies, schools, hospitals and municipalities.",
    "Consumers": "People buying for themselves.",
    "Key accounts": "Customers looked after by a named account manager.",
    "Partners": "Resellers and implementation partners.",
}


def ensure_segments():
    segments = []
    for name, description in SEGMENTS.items():
        segment, _ = Segment.objects.get_or_create(name=name, defaults={"description": description})
        segments.append(segment)
    return {segment.name: segment.pk for segment in segments}


# --- Process definitions --------------------------------------------------------------------
# (name, kind, hourly rate, stall days, stages, SLA per priority). A stage: (name, code, SLA
# hours, win probability, outcome, fixed cost).
WON, LOST = Stage.Outcome.WON, Stage.Outcome.LOST
RESOLVED, CANCELLED = Stage.Outcome.RESOLVED, Stage.Outcome.CANCELLED
SUPPORT_STAGES = (
    ("In progress", "", None, None, "", 0),
    ("Waiting for customer", "", None, None, "", 0),
    ("Resolved", "", None, None, RESOLVED, 0),
    ("Cancelled", "", None, None, CANCELLED, 0),
)
PROCESS_SPECS = (
    (
        "SMB sales",
        ProcessDefinition.Kind.SALES,
        100,
        None,
        (
            ("Lead", "lead", 48, 10, "", 0),
            ("Qualified", "qualified", None, 30, "", 0),
            ("Proposal", "proposal", None, 60, "", 50),
            ("Won", "won", None, 100, WON, 0),
            ("Lost", "lost", None, 0, LOST, 0),
        ),
        None,
    ),
    (
        "Enterprise sales",
        ProcessDefinition.Kind.SALES,
        150,
        14,
        (
            ("Lead", "lead", 72, 5, "", 0),
            ("Qualified", "qualified", None, 15, "", 0),
            ("Discovery", "discovery", None, 25, "", 100),
            ("Solution design", "solution_design", None, 40, "", 200),
            ("Proposal", "proposal", None, 60, "", 300),
            ("Negotiation", "negotiation", None, 80, "", 0),
            ("Won", "won", None, 100, WON, 0),
            ("Lost", "lost", None, 0, LOST, 0),
        ),
        None,
    ),
    (
        "Standard support",
        ProcessDefinition.Kind.SUPPORT,
        90,
        None,
        (("New", "new", 4, None, "", 0), *SUPPORT_STAGES),
        {"low": (24, 120), "normal": (8, 40), "high": (4, 16), "urgent": (2, 8)},
    ),
    (
        "24/7 support",
        ProcessDefinition.Kind.SUPPORT,
        120,
        None,
        (("New", "new", 1, None, "", 0), *SUPPORT_STAGES),
        {"low": (8, 48), "normal": (4, 24), "high": (1, 8), "urgent": (1, 4)},
    ),
    (
        "Collections",
        ProcessDefinition.Kind.COLLECTIONS,
        80,
        30,
        (
            ("Reminder", "reminder", 14 * 24, None, "", 0),
            ("Demand", "demand", 16 * 24, None, "", 0),
            ("Final notice", "final_notice", 30 * 24, None, "", 20),
            ("Legal", "legal", None, None, "", 300),
            ("Settled", "settled", None, None, WON, 0),
            ("Written off", "written_off", None, None, LOST, 0),
        ),
        None,
    ),
    (
        "Retention",
        ProcessDefinition.Kind.RETENTION,
        90,
        None,
        (
            ("Contact", "contact", None, None, "", 0),
            ("Offer", "offer", None, None, "", 0),
            ("Won", "won", None, None, WON, 0),
            ("Lost", "lost", None, None, LOST, 0),
        ),
        None,
    ),
)


@dataclass(frozen=True, slots=True)
class FlowStage:
    id: int
    code: str
    sla_hours: int | None
    outcome: str
    fixed_cost: int  # cents


@dataclass(frozen=True)
class Flow:
    """A definition as the generator uses it: working stages in order, terminal stages by
    outcome, the hourly rate in cents and (support) the SLA hours per priority."""

    definition_id: int
    currency: str
    rate: int
    working: tuple
    terminal: dict
    sla: dict


def ensure_processes():
    """The generated data's process definitions, created once (by name), as `Flow`s.

    Definitions already present are used as they are now, so stages edited by hand are kept.
    """
    flows = {}
    for name, kind, rate, stall_days, stages, sla in PROCESS_SPECS:
        with transaction.atomic():
            definition, created = ProcessDefinition.objects.get_or_create(
                name=name,
                defaults={"kind": kind, "hourly_rate": Decimal(rate), "stall_days": stall_days},
            )
            if created:
                Stage.objects.bulk_create(
                    Stage(
                        definition=definition,
                        position=position,
                        name=stage_name,
                        code=code,
                        sla_hours=sla_hours,
                        win_probability=probability,
                        outcome=outcome,
                        fixed_cost=Decimal(cost),
                    )
                    for position, (stage_name, code, sla_hours, probability, outcome, cost) in (
                        enumerate(stages, start=1)
                    )
                )
                SlaPolicy.objects.bulk_create(
                    SlaPolicy(
                        definition=definition,
                        priority=priority,
                        response_hours=hours[0],
                        resolution_hours=hours[1],
                    )
                    for priority, hours in (sla or {}).items()
                )
        rows = [
            FlowStage(pk, code, sla_hours, outcome, int(cost * 100))
            for pk, code, sla_hours, outcome, cost in definition.stages.order_by(
                "position"
            ).values_list("pk", "code", "sla_hours", "outcome", "fixed_cost")
        ]
        working = tuple(stage for stage in rows if not stage.outcome)
        terminal = {stage.outcome: stage for stage in reversed(rows) if stage.outcome}
        if not working or not definition.active:
            continue
        flows[name] = Flow(
            definition_id=definition.pk,
            currency=definition.currency,
            rate=int(definition.hourly_rate * 100),
            working=working,
            terminal=terminal,
            sla={
                policy.priority: (policy.response_hours, policy.resolution_hours)
                for policy in definition.sla_policies.all()
            },
        )
    return flows


def ensure_campaign(flows, *, staff, today, tz):
    """This year's key-account retention campaign; the generator adds its instances."""
    flow = flows.get("Retention")
    if flow is None:
        return None
    segment = Segment.objects.filter(name="Key accounts").first()
    started_at = datetime.combine(today - timedelta(days=30), datetime.min.time(), tzinfo=tz)
    campaign, _ = RetentionCampaign.objects.get_or_create(
        name=f"Key accounts {today:%Y}",
        definition_id=flow.definition_id,
        defaults={
            "segment": segment,
            "started_by_id": staff.managers[0],
            "started_at": started_at + timedelta(hours=9),
        },
    )
    return campaign
