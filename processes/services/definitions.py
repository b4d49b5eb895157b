"""Process definitions edited by managers: the definition, its stages and its SLAs saved together
as one numbered revision, without rewriting what running instances already hold.

A running instance copied what it depends on when it applied: its stage deadline and the stage's
fixed cost when it entered the stage, a ticket's SLA deadlines when it was opened, each work
log's cost. A change therefore applies to what happens next. What would strand instances is
refused, naming how many: removing a stage an instance is in or has passed through, turning a
stage that holds open instances into a terminal one (or back), changing the outcome of a
terminal stage closed instances ended in.
"""

from dataclasses import dataclass
from decimal import Decimal

from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db import connection, transaction
from django.db.models import (
    Case,
    CharField,
    Count,
    PositiveSmallIntegerField,
    Q,
    Value,
    When,
)
from django.db.models.functions import Cast, Concat
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from core.integrity import save_or_raise_validation

from ..models import (
    MAX_STAGES,
    ProcessDefinition,
    ProcessDefinitionRevision,
    ProcessInstance,
    SlaPolicy,
    Stage,
    StageTransition,
)

Kind = ProcessDefinition.Kind
Outcome = Stage.Outcome

DEFINITION_FIELDS = ("name", "kind", "goal", "active", "hourly_rate", "currency", "stall_days")
STAGE_FIELDS = ("name", "code", "sla_hours", "win_probability", "outcome", "fixed_cost")
# What the rest of the application relies on a definition of each kind to have: the pipeline's
# Won and Lost targets, win rate and forecast (sales); settling a paid invoice and an approved
# write-off (collections); the resolution rate (support).
REQUIRED_OUTCOMES = {
    Kind.SALES: (Outcome.WON, Outcome.LOST),
    Kind.COLLECTIONS: (Outcome.WON, Outcome.LOST),
    Kind.SUPPORT: (Outcome.RESOLVED,),
}
SUMMARY_LIMIT = 10_000
# On SQLite, stages renamed among themselves pass through "\u2063<id>" (_set_names).
PARKED_NAME_PREFIX = "\u2063"


@dataclass
class StageRow:
    """One row of the editor's stage table: an existing stage (`stage`) or a new one, where the
    manager wants it (`position`, renumbered 1..n on save) and whether to remove it."""

    values: dict
    position: int
    stage: Stage | None = None
    delete: bool = False


# --- Snapshots and the readable change list ---------------------------------------------------


def _json(value):
    return str(value) if isinstance(value, Decimal) else value


def definition_snapshot(definition: ProcessDefinition) -> dict:
    """The definition as saved: its fields, its stages in order (with their ids, so a later
    revision tells a renamed stage from a new one) and its SLAs per priority. Three queries."""
    stage_fields = ("id", "position", *STAGE_FIELDS)
    return {
        "fields": {name: _json(getattr(definition, name)) for name in DEFINITION_FIELDS},
        "stages": [
            {name: _json(value) for name, value in row.items()}
            for row in Stage.objects.filter(definition=definition)
            .order_by("position")
            .values(*stage_fields)
        ],
        "slas": {
            priority: [response, resolution]
            for priority, response, resolution in SlaPolicy.objects.filter(
                definition=definition
            ).values_list("priority", "response_hours", "resolution_hours")
        },
    }


def shown_value(model, name, value):
    """A stored value as a person reads it: choice labels, yes/no, an em dash for nothing."""
    if value is None or value == "":
        return "—"
    model_field = model._meta.get_field(name)
    if model_field.choices:
        return str(dict(model_field.flatchoices).get(value, value))
    if isinstance(value, bool):
        return _("yes") if value else _("no")
    return str(value)


def _label(model, name):
    return str(model._meta.get_field(name).verbose_name)


def describe_changes(old: dict | None, new: dict) -> list[str]:
    """What changed from snapshot `old` to `new`, one readable line per change, in the active
    language: field labels, old → new, stages added, removed, renamed and moved, SLAs."""
    if not old:
        return [_("First recorded version.")]
    lines = []
    for name in DEFINITION_FIELDS:
        before, after = old["fields"].get(name), new["fields"].get(name)
        if before != after:
            lines.append(
                f"{_label(ProcessDefinition, name)}: "
                f"{shown_value(ProcessDefinition, name, before)} → "
                f"{shown_value(ProcessDefinition, name, after)}"
            )
    old_stages = {row["id"]: row for row in old["stages"]}
    new_stages = {row["id"]: row for row in new["stages"]}
    for row in old["stages"]:
        if row["id"] not in new_stages:
            lines.append(_("Stage “%(name)s” removed.") % {"name": row["name"]})
    for row in new["stages"]:
        before = old_stages.get(row["id"])
        if before is None:
            lines.append(
                _("Stage “%(name)s” added at position %(position)s.")
                % {"name": row["name"], "position": row["position"]}
            )
            continue
        if before["name"] != row["name"]:
            lines.append(
                _("Stage “%(old)s” renamed to “%(new)s”.")
                % {"old": before["name"], "new": row["name"]}
            )
        if before["position"] != row["position"]:
            lines.append(
                _("Stage “%(name)s” moved from position %(old)s to %(new)s.")
                % {"name": row["name"], "old": before["position"], "new": row["position"]}
            )
        for name in STAGE_FIELDS[1:]:
            if before.get(name) != row.get(name):
                lines.append(
                    _("Stage “%(stage)s”, %(field)s: %(old)s → %(new)s")
                    % {
                        "stage": row["name"],
                        "field": _label(Stage, name),
                        "old": shown_value(Stage, name, before.get(name)),
                        "new": shown_value(Stage, name, row.get(name)),
                    }
                )
    priorities = dict(SlaPolicy.Priority.choices)
    for priority in SlaPolicy.Priority.values:
        before, after = old["slas"].get(priority), new["slas"].get(priority)
        if before == after:
            continue

        def hours(pair):
            return (
                _("response %(response)s h, resolution %(resolution)s h")
                % {"response": pair[0], "resolution": pair[1]}
                if pair
                else "—"
            )

        lines.append(
            _("SLA for %(priority)s priority: %(old)s → %(new)s")
            % {"priority": priorities[priority], "old": hours(before), "new": hours(after)}
        )
    return lines


def _write_revision(definition, *, previous_snapshot, by, comment) -> ProcessDefinitionRevision:
    snapshot = definition_snapshot(definition)
    summary = "\n".join(describe_changes(previous_snapshot, snapshot))[:SUMMARY_LIMIT]
    revision = ProcessDefinitionRevision(
        definition=definition,
        number=definition.version,
        snapshot=snapshot,
        summary=summary,
        comment=(comment or "").strip(),
        created_by=by,
    )
    revision.full_clean()
    revision.save()
    return revision


def _ensure_recorded(definition: ProcessDefinition) -> dict:
    """The snapshot of the version in force, recording it first when it has no revision yet (a
    definition created by the demo, a test factory or the admin before the editor existed)."""
    last = definition.revisions.filter(number=definition.version).first()
    if last is not None:
        return last.snapshot
    snapshot = definition_snapshot(definition)
    ProcessDefinitionRevision.objects.create(
        definition=definition,
        number=definition.version,
        snapshot=snapshot,
        summary="\n".join(describe_changes(None, snapshot)),
    )
    return snapshot


# --- Validation --------------------------------------------------------------------------------


def stage_plan_errors(kind, rows: list[StageRow]) -> list[str]:
    """What is wrong with the stages a definition would keep, whatever instances exist."""
    kept = [row for row in rows if not row.delete]
    errors = []
    if len(kept) > MAX_STAGES:
        errors.append(_("A definition has at most %(max)s stages.") % {"max": MAX_STAGES})
    if not any(not row.values.get("outcome") for row in kept):
        errors.append(_("A definition needs at least one working (non-terminal) stage."))
    outcomes = [row.values["outcome"] for row in kept if row.values.get("outcome")]
    labels = dict(Outcome.choices)
    for outcome in REQUIRED_OUTCOMES.get(kind, ()):
        if outcome not in outcomes:
            errors.append(
                _("A %(kind)s definition needs a terminal stage with the outcome “%(outcome)s”.")
                % {"kind": Kind(kind).label.lower(), "outcome": labels[outcome]}
            )
    for outcome in sorted({o for o in outcomes if outcomes.count(o) > 1}):
        errors.append(
            _("Only one stage may close a process as “%(outcome)s”.") % {"outcome": labels[outcome]}
        )
    names = [row.values.get("name", "").strip().casefold() for row in kept]
    if len(set(names)) != len(names):
        errors.append(_("Two stages have the same name."))
    return errors


def _stage_usage(definition) -> dict:
    """Per stage id: open instances in it, closed instances that ended in it, and instances
    that ever entered it (every entry, the opening included, is a transition to it). Two
    queries, whatever the number of instances."""
    usage = {}
    for stage_id, open_count, closed_count in (
        ProcessInstance.objects.filter(definition=definition)
        .values("stage")
        .annotate(
            open=Count("pk", filter=Q(closed_at__isnull=True)),
            closed=Count("pk", filter=Q(closed_at__isnull=False)),
        )
        .values_list("stage", "open", "closed")
        .order_by()
    ):
        usage[stage_id] = {"open": open_count, "closed": closed_count, "entered": 0}
    for stage_id, entered in (
        StageTransition.objects.filter(to_stage__definition=definition)
        .values("to_stage")
        .annotate(n=Count("instance", distinct=True))
        .values_list("to_stage", "n")
        .order_by()
    ):
        usage.setdefault(stage_id, {"open": 0, "closed": 0, "entered": 0})["entered"] = entered
    return usage


def _refusals(rows: list[StageRow], usage: dict) -> list[str]:
    """The changes that would strand running or closed instances, each naming how many."""
    errors = []
    for row in rows:
        stage = row.stage
        if stage is None:
            continue
        used = usage.get(stage.pk, {"open": 0, "closed": 0, "entered": 0})
        if row.delete:
            count = max(used["entered"], used["open"] + used["closed"])
            if count:
                errors.append(
                    ngettext(
                        "“%(stage)s” cannot be removed: %(count)s process is in it or has "
                        "passed through it. Rename it or leave it unused instead.",
                        "“%(stage)s” cannot be removed: %(count)s processes are in it or have "
                        "passed through it. Rename it or leave it unused instead.",
                        count,
                    )
                    % {"stage": stage.name, "count": count}
                )
            continue
        outcome = row.values.get("outcome", "")
        if bool(outcome) != bool(stage.outcome) and used["open"]:
            errors.append(
                ngettext(
                    "“%(stage)s” holds %(count)s open process: it cannot become %(what)s while "
                    "it does.",
                    "“%(stage)s” holds %(count)s open processes: it cannot become %(what)s "
                    "while it does.",
                    used["open"],
                )
                % {
                    "stage": stage.name,
                    "count": used["open"],
                    "what": _("a terminal stage") if outcome else _("a working stage"),
                }
            )
        elif stage.outcome and outcome != stage.outcome and used["closed"]:
            errors.append(
                ngettext(
                    "%(count)s closed process ended in “%(stage)s” as “%(outcome)s”: its "
                    "outcome cannot change.",
                    "%(count)s closed processes ended in “%(stage)s” as “%(outcome)s”: its "
                    "outcome cannot change.",
                    used["closed"],
                )
                % {
                    "stage": stage.name,
                    "count": used["closed"],
                    "outcome": stage.get_outcome_display(),
                }
            )
    return errors


def _sla_policies(definition, slas: dict) -> list[SlaPolicy]:
    """The SLA rows to keep, validated; `slas` maps a priority to (response, resolution) hours,
    or to None for no SLA at that priority."""
    policies, errors = [], []
    for priority, hours in slas.items():
        if not hours:
            continue
        policy = SlaPolicy(
            definition=definition,
            priority=priority,
            response_hours=hours[0],
            resolution_hours=hours[1],
        )
        try:
            policy.full_clean(exclude=["definition"], validate_unique=False)
        except ValidationError as error:
            errors.extend(
                f"{SlaPolicy.Priority(priority).label}: {message}" for message in error.messages
            )
        policies.append(policy)
    if errors:
        raise ValidationError({"slas": errors})
    return policies


# --- Writing -----------------------------------------------------------------------------------


def _set_positions(definition, positions: dict[int, int]):
    """Move existing stages to new positions (stage id → position) in one go, however they
    swap or rotate, keeping the database's one-stage-per-position rule.

    PostgreSQL checks the deferrable stage_position_unique at the end of the statement, so one
    UPDATE with a CASE does it. SQLite checks unique indexes row by row: the moved stages are
    first parked past the last position (the 1..8 CHECK is set aside for that one statement
    only), then set; the final UPDATE runs with every constraint checked again.
    """
    if not positions:
        return
    moved = Stage.objects.filter(definition=definition, pk__in=list(positions))
    if connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            cursor.execute("PRAGMA ignore_check_constraints = ON")
            try:
                cursor.execute(
                    "UPDATE processes_stage SET position = position + %s "
                    f"WHERE id IN ({', '.join(['%s'] * len(positions))})",
                    [MAX_STAGES, *positions],
                )
            finally:
                cursor.execute("PRAGMA ignore_check_constraints = OFF")
    moved.update(
        position=Case(
            *(When(pk=pk, then=Value(position)) for pk, position in positions.items()),
            output_field=PositiveSmallIntegerField(),
        )
    )


def _set_names(definition, names: dict[int, str]):
    """Rename existing stages (stage id → new name) in one go, however the names swap or pass
    along a chain, keeping the one-name-per-definition rule; like _set_positions.

    PostgreSQL checks the deferrable stage_name_unique at the end of the statement: one UPDATE
    with a CASE, which the audit records as one change per stage (old name → new). SQLite checks
    its unique index row by row: the renamed stages first take a name no user types (an
    invisible separator and the stage's id), then their new ones. The plan was checked for
    duplicate names already, so the new names are unique.
    """
    if not names:
        return
    renamed = Stage.objects.filter(definition=definition, pk__in=list(names))
    if connection.vendor == "sqlite":
        renamed.update(name=Concat(Value(PARKED_NAME_PREFIX), Cast("pk", CharField())))
    renamed.update(
        name=Case(
            *(When(pk=pk, then=Value(name)) for pk, name in names.items()),
            output_field=CharField(),
        )
    )


def _save_stages(definition, rows: list[StageRow]):
    """Remove, change, reorder and add stages as the rows say (already validated)."""
    removed = [row.stage.pk for row in rows if row.delete and row.stage is not None]
    if removed:
        Stage.objects.filter(pk__in=removed).delete()

    def order(row):
        # A row put at a taken position goes before the stage that was there (an insertion);
        # otherwise the table's order breaks ties.
        settled = row.stage is not None and row.stage.position == row.position
        return (row.position, settled, rows.index(row))

    kept = sorted((row for row in rows if not row.delete), key=order)
    # Two or more stages renamed: all at once (they may swap names), before the other fields.
    names = {
        row.stage.pk: row.values["name"]
        for row in kept
        if row.stage is not None and row.stage.name != row.values["name"]
    }
    if len(names) > 1:
        _set_names(definition, names)
        for row in kept:
            if row.stage is not None and row.stage.pk in names:
                row.stage.name = names[row.stage.pk]
    positions, new = {}, []
    for position, row in enumerate(kept, start=1):
        if row.stage is None:
            new.append(Stage(definition=definition, position=position, **row.values))
            continue
        stage = row.stage
        changed = [name for name in STAGE_FIELDS if getattr(stage, name) != row.values[name]]
        if changed:
            for name in changed:
                setattr(stage, name, row.values[name])
            stage.full_clean(exclude=["definition", "position"], validate_unique=False)
            save_or_raise_validation(
                stage,
                fields={"stage_name_unique": "name"},
                update_fields=changed,
            )
        if stage.position != position:
            positions[stage.pk] = position
    _set_positions(definition, positions)
    for stage in new:
        stage.full_clean(exclude=["definition"], validate_unique=False)
    Stage.objects.bulk_create(new)


def _save_slas(definition, policies: list[SlaPolicy]):
    keep = {policy.priority: policy for policy in policies}
    SlaPolicy.objects.filter(definition=definition).exclude(priority__in=list(keep)).delete()
    existing = {
        policy.priority: policy for policy in SlaPolicy.objects.filter(definition=definition)
    }
    for priority, policy in keep.items():
        current = existing.get(priority)
        if current is None:
            policy.save()
        elif (current.response_hours, current.resolution_hours) != (
            policy.response_hours,
            policy.resolution_hours,
        ):
            current.response_hours = policy.response_hours
            current.resolution_hours = policy.resolution_hours
            current.save(update_fields=["response_hours", "resolution_hours"])


def _check_plan(kind, rows, slas, definition=None):
    errors = stage_plan_errors(kind, rows)
    if errors:
        raise ValidationError({"stages": errors})
    return _sla_policies(definition, slas) if kind == Kind.SUPPORT else []


def _save_definition(definition: ProcessDefinition, data: dict):
    for name, value in data.items():
        setattr(definition, name, value)
    definition.full_clean(exclude=["version"])
    save_or_raise_validation(definition)


# The stages a new definition starts with, per kind (name, outcome): one working stage and the
# outcomes the kind needs (REQUIRED_OUTCOMES), for the manager to adjust in the editor.
STARTING_STAGES = {
    Kind.SALES: (
        (gettext_lazy("Lead"), ""),
        (gettext_lazy("Won"), Outcome.WON),
        (gettext_lazy("Lost"), Outcome.LOST),
    ),
    Kind.SUPPORT: (
        (gettext_lazy("New"), ""),
        (gettext_lazy("Resolved"), Outcome.RESOLVED),
        (gettext_lazy("Cancelled"), Outcome.CANCELLED),
    ),
    Kind.COLLECTIONS: (
        (gettext_lazy("Reminder"), ""),
        (gettext_lazy("Settled"), Outcome.WON),
        (gettext_lazy("Written off"), Outcome.LOST),
    ),
}
DEFAULT_STARTING_STAGES = (
    (gettext_lazy("In progress"), ""),
    (gettext_lazy("Done"), Outcome.WON),
    (gettext_lazy("Cancelled"), Outcome.CANCELLED),
)


def starting_stages(kind) -> list[StageRow]:
    return [
        StageRow(
            values={
                "name": str(name),
                "code": "",
                "sla_hours": None,
                "win_probability": None,
                "outcome": outcome,
                "fixed_cost": Decimal(0),
            },
            position=position,
        )
        for position, (name, outcome) in enumerate(
            STARTING_STAGES.get(kind, DEFAULT_STARTING_STAGES), start=1
        )
    ]


@transaction.atomic
def definition_create(
    *, data: dict, by, stages: list[StageRow] | None = None, slas: dict | None = None, comment=""
) -> ProcessDefinition:
    """A new definition with its stages (by default `starting_stages` of its kind) and (support)
    SLAs, as revision 1."""
    slas = slas or {}
    definition = ProcessDefinition(version=1)
    for name, value in data.items():
        setattr(definition, name, value)
    definition.full_clean(exclude=["version"])
    if stages is None:
        stages = starting_stages(definition.kind)
    policies = _check_plan(definition.kind, stages, slas, definition)
    save_or_raise_validation(definition)
    _save_stages(definition, stages)
    for policy in policies:
        policy.definition = definition
    SlaPolicy.objects.bulk_create(policies)
    _write_revision(definition, previous_snapshot=None, by=by, comment=comment)
    return definition


def changed_meanwhile(definition: ProcessDefinition) -> ValidationError:
    last = (
        definition.revisions.select_related("created_by").filter(number=definition.version).first()
    )
    who = (
        (last.created_by.get_full_name() or last.created_by.get_username())
        if (last and last.created_by)
        else _("someone else")
    )
    return ValidationError(
        _(
            "This definition was changed by %(who)s meanwhile (now version %(version)s). "
            "Reload the page to see their changes; yours were not saved."
        )
        % {"who": who, "version": definition.version},
        code="changed_meanwhile",
    )


@transaction.atomic
def definition_update(
    *,
    definition: ProcessDefinition,
    version: int,
    data: dict,
    stages: list[StageRow],
    slas: dict,
    by,
    comment="",
) -> ProcessDefinition:
    """Save the definition's fields, stages and SLAs together as its next revision.

    `version` is the version the manager's form was built from: if another save came first,
    nothing is saved and the error says who changed it. The definition's row is locked for the
    whole save, so two saves never interleave.
    """
    locked = ProcessDefinition.objects.select_for_update().get(pk=definition.pk)
    if locked.version != version:
        raise ValidationError({NON_FIELD_ERRORS: [changed_meanwhile(locked)]})
    data = {name: value for name, value in data.items() if name != "kind"}  # fixed once created
    own = {stage.pk: stage for stage in Stage.objects.filter(definition=locked)}
    for row in stages:
        if row.stage is not None:
            if row.stage.pk not in own:
                raise ValidationError({NON_FIELD_ERRORS: [changed_meanwhile(locked)]})
            row.stage = own[row.stage.pk]
    if {row.stage.pk for row in stages if row.stage is not None} != set(own):
        raise ValidationError({NON_FIELD_ERRORS: [changed_meanwhile(locked)]})
    policies = _check_plan(locked.kind, stages, slas, locked)
    refusals = _refusals(stages, _stage_usage(locked))
    if refusals:
        raise ValidationError({"stages": refusals})
    previous = _ensure_recorded(locked)
    _save_definition(locked, data)
    _save_stages(locked, stages)
    if locked.kind == Kind.SUPPORT:
        _save_slas(locked, policies)
    snapshot = definition_snapshot(locked)
    if snapshot == previous:
        return locked  # nothing changed: no new version
    locked.version += 1
    locked.save(update_fields=["version"])
    _write_revision(locked, previous_snapshot=previous, by=by, comment=comment)
    definition.version = locked.version
    return locked


@transaction.atomic
def definition_copy(*, definition: ProcessDefinition, name, by) -> ProcessDefinition:
    """A new variant of `definition` under `name`: its fields, stages and SLAs copied (not its
    KPI targets or decision rules), active, as revision 1 of the copy."""
    source = ProcessDefinition.objects.get(pk=definition.pk)
    copy = ProcessDefinition(
        **{field_name: getattr(source, field_name) for field_name in DEFINITION_FIELDS},
        version=1,
    )
    copy.name = (name or "").strip()
    copy.active = True
    copy.full_clean(exclude=["version"])
    save_or_raise_validation(copy)
    Stage.objects.bulk_create(
        Stage(
            definition=copy,
            position=stage.position,
            **{field_name: getattr(stage, field_name) for field_name in STAGE_FIELDS},
        )
        for stage in source.stages.order_by("position")
    )
    SlaPolicy.objects.bulk_create(
        SlaPolicy(
            definition=copy,
            priority=policy.priority,
            response_hours=policy.response_hours,
            resolution_hours=policy.resolution_hours,
        )
        for policy in source.sla_policies.all()
    )
    _write_revision(
        copy,
        previous_snapshot=None,
        by=by,
        comment=_("Copied from “%(name)s”, version %(version)s.")
        % {"name": source.name, "version": source.version},
    )
    return copy


@transaction.atomic
def definition_record_revision(*, definition: ProcessDefinition, by, comment="") -> bool:
    """After a save that did not go through the editor (Django admin): record what changed as
    the next revision, if anything did. True when a revision was written."""
    locked = ProcessDefinition.objects.select_for_update().get(pk=definition.pk)
    last = locked.revisions.order_by("-number").first()
    snapshot = definition_snapshot(locked)
    if last is not None and last.snapshot == snapshot:
        return False
    if last is not None:
        locked.version = max(locked.version, last.number) + 1
        locked.save(update_fields=["version"])
    _write_revision(
        locked, previous_snapshot=last.snapshot if last else None, by=by, comment=comment
    )
    definition.version = locked.version
    return True
