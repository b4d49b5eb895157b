"""The definition editor's service: a definition, its stages and SLAs saved together as a numbered
revision; what would strand running or closed instances refused with a count; reordering that
holds on SQLite and on PostgreSQL (run this file with DATABASE_URL for the latter)."""

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction

from core.models import AuditEvent
from processes import services
from processes.models import ProcessDefinition, ProcessDefinitionRevision, SlaPolicy, Stage
from processes.services.definitions import STAGE_FIELDS, StageRow, definition_snapshot
from tests.factories import CustomerFactory

from .conftest import stage

pytestmark = pytest.mark.django_db


def rows_of(definition, *, changes=None, delete=(), order=None, add=()):
    """The editor's stage table for `definition` as it stands, with `changes` ({name: {field:
    value}}), stages removed by name, a new `order` of names and new rows."""
    changes = changes or {}
    stages = list(definition.stages.order_by("position"))
    order = order or [s.name for s in stages]
    rows = []
    for s in stages:
        values = {name: getattr(s, name) for name in STAGE_FIELDS}
        values.update(changes.get(s.name, {}))
        rows.append(
            StageRow(
                values=values,
                position=order.index(s.name) + 1 if s.name in order else 8,
                stage=s,
                delete=s.name in delete,
            )
        )
    for position, values in add:
        full = {"code": "", "sla_hours": None, "win_probability": None, "outcome": ""}
        full.update({"fixed_cost": Decimal("0")}, **values)
        rows.append(StageRow(values=full, position=position))
    return rows


def fields_of(definition, **changes):
    data = {name: getattr(definition, name) for name in services.definitions.DEFINITION_FIELDS}
    data.update(changes)
    return data


def update(definition, manager, *, version=None, data=None, slas=None, comment="", **rows):
    return services.definition_update(
        definition=definition,
        version=definition.version if version is None else version,
        data=data or fields_of(definition),
        stages=rows_of(definition, **rows),
        slas=slas or {},
        by=manager,
        comment=comment,
    )


def names(definition):
    return list(definition.stages.order_by("position").values_list("name", flat=True))


def error_messages(excinfo, key):
    return excinfo.value.message_dict[key]


def test_a_save_writes_the_next_revision_with_a_readable_change_list(sales_process, manager):
    update(
        sales_process,
        manager,
        data=fields_of(sales_process, hourly_rate=Decimal("150.00")),
        changes={"Lead": {"name": "New lead", "sla_hours": 24}},
        comment="Faster first contact",
    )
    sales_process.refresh_from_db()
    assert sales_process.version == 2
    first, second = sales_process.revisions.order_by("number")
    assert (first.number, second.number) == (1, 2)
    assert first.created_by is None  # recorded as it stood before the first edit
    assert second.created_by == manager and second.comment == "Faster first contact"
    assert second.snapshot["stages"][0]["name"] == "New lead"
    assert second.summary.splitlines() == [
        "hourly rate: 120.00 → 150.00",
        "Stage “Lead” renamed to “New lead”.",
        "Stage “New lead”, SLA (hours): 48 → 24",
    ]


def test_saving_without_a_change_writes_no_revision(sales_process, manager):
    update(sales_process, manager)
    sales_process.refresh_from_db()
    assert sales_process.version == 1
    assert sales_process.revisions.count() == 1


def test_a_save_based_on_an_older_version_is_refused_naming_who_saved_meanwhile(
    sales_process, manager
):
    manager.first_name, manager.last_name = "Maria", "Manager"
    manager.save()
    stale_version = sales_process.version
    update(sales_process, manager, changes={"Lead": {"sla_hours": 12}})
    with pytest.raises(ValidationError) as excinfo:
        update(
            sales_process,
            manager,
            version=stale_version,
            changes={"Qualified": {"name": "Qualified lead"}},
        )
    message = error_messages(excinfo, "__all__")[0]
    assert "changed by Maria Manager meanwhile" in message and "Reload" in message
    assert "Qualified lead" not in names(sales_process)


def test_stages_are_reordered_swapped_and_renumbered(sales_process, manager):
    update(sales_process, manager, order=["Qualified", "Lead", "Proposal", "Won", "Lost"])
    assert names(sales_process) == ["Qualified", "Lead", "Proposal", "Won", "Lost"]
    update(sales_process, manager, order=["Proposal", "Qualified", "Lead", "Lost", "Won"])
    assert names(sales_process) == ["Proposal", "Qualified", "Lead", "Lost", "Won"]
    assert list(sales_process.stages.values_list("position", flat=True).order_by("position")) == [
        1,
        2,
        3,
        4,
        5,
    ]
    revision = sales_process.revisions.get(number=2)
    assert "Stage “Qualified” moved from position 2 to 1." in revision.summary


def test_stage_names_are_swapped_and_passed_along_in_one_save(sales_process, manager):
    lead, qualified = sales_process.stages.order_by("position")[:2]
    update(
        sales_process,
        manager,
        changes={"Lead": {"name": "Qualified"}, "Qualified": {"name": "Lead"}},
    )
    assert names(sales_process) == ["Qualified", "Lead", "Proposal", "Won", "Lost"]
    assert Stage.objects.get(name="Qualified").pk == lead.pk  # renamed, not recreated
    # A chain: each stage takes the next one's name, the last a new one.
    update(
        sales_process,
        manager,
        changes={
            "Qualified": {"name": "Lead"},
            "Lead": {"name": "Proposal"},
            "Proposal": {"name": "Offer"},
        },
    )
    assert names(sales_process) == ["Lead", "Proposal", "Offer", "Won", "Lost"]
    assert Stage.objects.get(name="Proposal").pk == qualified.pk
    summary = sales_process.revisions.get(number=2).summary
    assert "Stage “Lead” renamed to “Qualified”." in summary
    assert "Stage “Qualified” renamed to “Lead”." in summary
    if connection.vendor == "postgresql":  # the audit's triggers record each rename once
        renames = AuditEvent.objects.filter(model="processes.stage", object_id=lead.pk)
        assert [event.changes["name"] for event in renames.order_by("pk")][-2:] == [
            ["Lead", "Qualified"],
            ["Qualified", "Lead"],
        ]


def test_a_full_definition_of_eight_stages_is_reversed_in_one_save(manager):
    definition = services.definition_create(
        data={
            "name": "Long sales",
            "kind": "sales",
            "goal": "",
            "active": True,
            "hourly_rate": Decimal("10"),
            "currency": "PLN",
            "stall_days": None,
        },
        stages=[
            StageRow(
                values={
                    "name": f"Step {n}",
                    "code": "",
                    "sla_hours": None,
                    "win_probability": None,
                    "outcome": "",
                    "fixed_cost": Decimal(0),
                },
                position=n,
            )
            for n in range(1, 7)
        ]
        + [
            StageRow(
                values={
                    "name": name,
                    "code": "",
                    "sla_hours": None,
                    "win_probability": None,
                    "outcome": outcome,
                    "fixed_cost": Decimal(0),
                },
                position=position,
            )
            for position, name, outcome in ((7, "Won", "won"), (8, "Lost", "lost"))
        ],
        slas={},
        by=manager,
    )
    reversed_names = list(reversed(names(definition)))
    update(definition, manager, order=reversed_names)
    assert names(definition) == reversed_names


def test_removing_and_adding_a_stage_in_one_save_keeps_positions_contiguous(sales_process, manager):
    update(
        sales_process,
        manager,
        delete=["Qualified"],
        add=[(2, {"name": "Demo", "win_probability": 40})],
    )
    assert names(sales_process) == ["Lead", "Demo", "Proposal", "Won", "Lost"]
    summary = sales_process.revisions.get(number=2).summary
    assert "Stage “Qualified” removed." in summary
    assert "Stage “Demo” added at position 2." in summary


@pytest.mark.parametrize(
    ("rows", "message"),
    [
        ({"add": [(9, {"name": f"Extra {n}"}) for n in range(4)]}, "at most 8 stages"),
        (
            {"changes": {n: {"outcome": "won"} for n in ("Lead", "Qualified", "Proposal")}},
            "at least one working (non-terminal) stage",
        ),
        ({"changes": {"Lost": {"outcome": "cancelled"}}}, "outcome “Lost”"),
        ({"delete": ["Won"]}, "outcome “Won”"),
        ({"changes": {"Proposal": {"outcome": "lost"}}}, "Only one stage may close"),
        ({"changes": {"Qualified": {"name": "lead"}}}, "same name"),
    ],
)
def test_a_stage_plan_the_application_cannot_work_with_is_refused(
    sales_process, manager, rows, message
):
    with pytest.raises(ValidationError) as excinfo:
        update(sales_process, manager, **rows)
    assert any(message in m for m in error_messages(excinfo, "stages"))
    assert names(sales_process) == ["Lead", "Qualified", "Proposal", "Won", "Lost"]
    assert sales_process.revisions.count() == 0  # nothing recorded either


def test_removing_a_stage_processes_are_in_or_passed_through_is_refused_with_the_count(
    sales_process, manager, sales_rep
):
    for n in range(3):
        instance = services.instance_open(
            definition=sales_process, customer=CustomerFactory(), title=f"Deal {n}", by=sales_rep
        )
        if n:
            services.instance_move(
                instance=instance, to_stage=stage(sales_process, "Qualified"), by=sales_rep
            )
    with pytest.raises(ValidationError) as excinfo:
        update(sales_process, manager, delete=["Lead"])
    assert error_messages(excinfo, "stages") == [
        "“Lead” cannot be removed: 3 processes are in it or have passed through it. "
        "Rename it or leave it unused instead."
    ]
    with pytest.raises(ValidationError) as excinfo:
        update(sales_process, manager, delete=["Qualified"])
    assert "2 processes are in it" in error_messages(excinfo, "stages")[0]
    update(sales_process, manager, delete=["Proposal"])  # never used: goes
    assert "Proposal" not in names(sales_process)


def test_a_stage_holding_open_processes_cannot_become_terminal(opportunity, manager):
    definition = opportunity.definition
    with pytest.raises(ValidationError) as excinfo:
        update(definition, manager, changes={"Lead": {"outcome": "cancelled"}})
    assert error_messages(excinfo, "stages") == [
        "“Lead” holds 1 open process: it cannot become a terminal stage while it does."
    ]


def test_a_terminal_stage_closed_processes_ended_in_keeps_its_outcome(
    opportunity, manager, sales_rep
):
    definition = opportunity.definition
    services.instance_move(
        instance=opportunity, to_stage=stage(definition, "Lost"), by=sales_rep, reason="Price"
    )
    with pytest.raises(ValidationError) as excinfo:
        update(
            definition,
            manager,
            changes={"Lost": {"outcome": "cancelled"}},
            add=[(6, {"name": "Lost for good", "outcome": "lost"})],
        )
    assert error_messages(excinfo, "stages") == [
        "1 closed process ended in “Lost” as “Lost”: its outcome cannot change."
    ]


def test_running_processes_keep_what_they_hold_and_new_entries_use_the_new_values(
    opportunity, manager, sales_rep
):
    definition = opportunity.definition
    due_before, cost_before = opportunity.stage_due_at, opportunity.accrued_cost
    update(
        definition,
        manager,
        changes={"Lead": {"sla_hours": 1}, "Proposal": {"fixed_cost": Decimal("80.00")}},
    )
    opportunity.refresh_from_db()
    assert (opportunity.stage_due_at, opportunity.accrued_cost) == (due_before, cost_before)
    assert opportunity.definition_revision == 1
    moved = services.instance_move(
        instance=opportunity, to_stage=stage(definition, "Proposal"), by=sales_rep
    )
    assert moved.accrued_cost == cost_before + Decimal("80.00")
    definition.refresh_from_db()
    later = services.instance_open(
        definition=definition, customer=CustomerFactory(), title="Later deal", by=sales_rep
    )
    assert later.definition_revision == 2


def test_support_slas_are_saved_changed_and_removed_per_priority(standard_support, manager, ticket):
    due_before = ticket.resolution_due_at
    update(
        standard_support,
        manager,
        slas={"low": None, "normal": (8, 40), "high": (2, 10), "urgent": (1, 4)},
    )
    policies = dict(
        SlaPolicy.objects.filter(definition=standard_support).values_list(
            "priority", "resolution_hours"
        )
    )
    assert policies == {"normal": 40, "high": 10, "urgent": 4}
    ticket.refresh_from_db()
    assert ticket.resolution_due_at == due_before  # the open ticket keeps its deadline
    summary = standard_support.revisions.get(number=2).summary
    assert (
        "SLA for High priority: response 4 h, resolution 16 h → response 2 h, resolution 10 h"
        in summary
    )
    assert "SLA for Low priority: response 24 h, resolution 120 h → —" in summary
    with pytest.raises(ValidationError) as excinfo:
        update(standard_support, manager, slas={"normal": (10, 5)})
    assert error_messages(excinfo, "slas") == [
        "Normal: Resolution cannot be due before the first response."
    ]


def test_a_copy_is_a_new_variant_with_the_same_stages_and_slas(standard_support, manager):
    copy = services.definition_copy(definition=standard_support, name="Premium support", by=manager)
    assert copy.kind == "support" and copy.version == 1
    assert names(copy) == names(standard_support)
    assert set(copy.stages.values_list("pk", flat=True)).isdisjoint(
        standard_support.stages.values_list("pk", flat=True)
    )
    assert copy.sla_policies.count() == 4
    revision = copy.revisions.get()
    assert revision.comment == "Copied from “Standard support”, version 1."
    with pytest.raises(ValidationError) as excinfo:
        services.definition_copy(definition=standard_support, name="Premium support", by=manager)
    assert "name" in excinfo.value.message_dict


def test_the_kind_is_fixed_once_a_definition_exists(sales_process, manager):
    update(sales_process, manager, data=fields_of(sales_process, kind="support"))
    sales_process.refresh_from_db()
    assert sales_process.kind == "sales"


def test_a_definition_created_in_the_editor_starts_at_revision_one(manager):
    definition = services.definition_create(
        data={
            "name": "Onboarding",
            "kind": "onboarding",
            "goal": "Get them started",
            "active": True,
            "hourly_rate": Decimal("90"),
            "currency": "PLN",
            "stall_days": 10,
        },
        stages=[
            StageRow(
                values={
                    "name": "Kick-off",
                    "code": "",
                    "sla_hours": 48,
                    "win_probability": None,
                    "outcome": "",
                    "fixed_cost": Decimal(0),
                },
                position=1,
            ),
            StageRow(
                values={
                    "name": "Live",
                    "code": "",
                    "sla_hours": None,
                    "win_probability": None,
                    "outcome": "resolved",
                    "fixed_cost": Decimal(0),
                },
                position=2,
            ),
        ],
        slas={"normal": (8, 40)},  # not a support definition: ignored
        by=manager,
    )
    revision = ProcessDefinitionRevision.objects.get(definition=definition)
    assert revision.number == 1 and revision.snapshot == definition_snapshot(definition)
    assert revision.summary == "First recorded version."
    assert not definition.sla_policies.exists()


def test_the_database_keeps_one_stage_per_position_and_name(sales_process):
    """The rules the editor reorders and renames around are still there on either database (on
    SQLite as plain unique indexes, migrations 0014 and 0017): two stages cannot share a
    position or a name."""
    lead, qualified = sales_process.stages.order_by("position")[:2]
    with pytest.raises(IntegrityError), transaction.atomic():
        Stage.objects.filter(pk=qualified.pk).update(position=lead.position)
    with pytest.raises(IntegrityError), transaction.atomic():
        Stage.objects.create(definition=sales_process, position=9, name="Ninth")
    with pytest.raises(IntegrityError), transaction.atomic():
        Stage.objects.filter(pk=qualified.pk).update(name=lead.name)


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's deferrable rule")
@pytest.mark.parametrize("rule", ["stage_position_unique", "stage_name_unique"])
def test_postgresql_checks_the_position_and_name_rules_at_the_end_of_the_statement(
    sales_process, rule
):
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT condeferrable, condeferred FROM pg_constraint WHERE conname = %s", [rule]
        )
        assert cursor.fetchone() == (True, False)


def test_a_definition_row_is_locked_while_it_is_saved(sales_process, manager, monkeypatch):
    """The version is compared under select_for_update: two saves never interleave."""
    calls = []
    original = ProcessDefinition.objects.select_for_update

    def spy(*args, **kwargs):
        calls.append(kwargs)
        return original(*args, **kwargs)

    monkeypatch.setattr(ProcessDefinition.objects, "select_for_update", spy)
    update(sales_process, manager, changes={"Lead": {"sla_hours": 12}})
    assert calls == [{}]
