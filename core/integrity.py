"""Unique rules two people can race on, answered as the form error full_clean() would give.

A service calls `full_clean()` before it saves, and the check sees every row committed so far.
Another transaction can still commit the same tax id or contract number between that check and
the INSERT; the database then refuses with an IntegrityError, correctly, and without this module
the user got a 500. `save_or_raise_validation(obj)` (or the `unique_violations_as_errors(obj)`
block) saves inside a savepoint, finds which of the model's unique rules the database named, and
raises the ValidationError that full_clean() would have raised had it seen the winner's row:
the same message, on the field of a one-field rule. Anything else (a foreign key, a check
constraint, another model's rule) is raised unchanged: it is a bug, not a race.

The database names the rule differently per backend: PostgreSQL gives the constraint or index
name and "Key (column, ...)=(...)" in the error's detail; SQLite says "UNIQUE constraint failed:
table.column, ..." or, for an index on expressions, "... failed: index 'name'".
"""

import re
import sqlite3
from collections.abc import Mapping
from contextlib import contextmanager
from dataclasses import dataclass

from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db import IntegrityError, models, router, transaction

PG_UNIQUE_VIOLATION = "23505"
_PG_KEY_COLUMNS = re.compile(r"^Key \((?P<columns>[^()]+)\)=\(")
_SQLITE_INDEX = re.compile(r"^UNIQUE constraint failed: index '(?P<name>[^']+)'$")
_SQLITE_COLUMNS = re.compile(r"^UNIQUE constraint failed: (?P<columns>.+)$")


@dataclass(frozen=True)
class UniqueRule:
    """One unique rule of a model: a UniqueConstraint, a unique field or a unique_together."""

    model: type[models.Model]  # the class that declares it (a parent for an inherited rule)
    name: str  # the constraint's name, or the field's name for a unique field
    fields: tuple[str, ...]
    constraint: models.UniqueConstraint | None = None

    @property
    def columns(self) -> frozenset[str]:
        return frozenset(self.model._meta.get_field(name).column for name in self.fields)


@dataclass(frozen=True)
class Violation:
    """What the database said it refused: a constraint name and/or a table and its columns."""

    name: str = ""
    table: str = ""
    columns: frozenset[str] = frozenset()


def unique_rules(model: type[models.Model]) -> list[UniqueRule]:
    """Every unique rule of `model` and of the parents whose tables its rows live in."""
    rules = []
    for klass in (model, *model._meta.all_parents):
        opts = klass._meta
        for constraint in opts.constraints:
            if isinstance(constraint, models.UniqueConstraint):
                rules.append(
                    UniqueRule(klass, constraint.name, tuple(constraint.fields), constraint)
                )
        for field in opts.local_fields:
            if field.unique and not field.primary_key:
                rules.append(UniqueRule(klass, field.name, (field.name,)))
        for together in opts.unique_together:
            rules.append(UniqueRule(klass, "__".join(together), tuple(together)))
    return rules


def unique_violation(error: IntegrityError) -> Violation | None:
    """What a unique violation names, from the driver's error; None for any other IntegrityError."""
    cause = error.__cause__
    diag = getattr(cause, "diag", None)
    if diag is not None:  # psycopg
        if getattr(cause, "sqlstate", None) != PG_UNIQUE_VIOLATION:
            return None
        match = _PG_KEY_COLUMNS.match(diag.message_detail or "")
        columns = [c.strip().strip('"') for c in match["columns"].split(",")] if match else []
        return Violation(
            name=diag.constraint_name or "",
            table=diag.table_name or "",
            columns=frozenset(columns),
        )
    if isinstance(cause, sqlite3.IntegrityError):
        message = str(cause)
        if match := _SQLITE_INDEX.match(message):
            return Violation(name=match["name"])
        if match := _SQLITE_COLUMNS.match(message):
            qualified = [c.strip().split(".", 1) for c in match["columns"].split(",")]
            if all(len(parts) == 2 for parts in qualified):
                return Violation(
                    table=qualified[0][0], columns=frozenset(column for _, column in qualified)
                )
    return None


def violated_rule(error: IntegrityError, *candidates: type[models.Model]) -> UniqueRule | None:
    """The unique rule of one of the `candidates` models that `error` reports, if it is one."""
    violation = unique_violation(error)
    if violation is None:
        return None
    rules = [rule for model in candidates for rule in unique_rules(model)]
    if violation.name:
        for rule in rules:
            if rule.constraint is not None and rule.name == violation.name:
                return rule
            if rule.constraint is None and _is_field_constraint_name(rule, violation.name):
                return rule
    if violation.columns:
        for rule in rules:
            table_matches = not violation.table or rule.model._meta.db_table == violation.table
            if table_matches and rule.columns == violation.columns:
                return rule
    return None


def _is_field_constraint_name(rule: UniqueRule, name: str) -> bool:
    """PostgreSQL's name for a unique field's constraint: `<table>_<column>_key` when the table
    was created with it, Django's `<table>_<column>_<hash>_uniq` when it was added later. The
    detail naming the columns is translated with lc_messages, the name never is."""
    if len(rule.fields) != 1:
        return False
    prefix = f"{rule.model._meta.db_table}_{next(iter(rule.columns))}_"
    return name == f"{prefix}key" or (name.startswith(prefix) and name.endswith("_uniq"))


def rule_error(
    instance: models.Model, rule: UniqueRule, *, field: str | None = None
) -> ValidationError:
    """The error full_clean() gives when `instance` breaks `rule`, keyed on the rule's field (or
    on `field`; a rule of several fields goes on top of the form, as full_clean puts it)."""
    constraint = rule.constraint
    if constraint is not None and not (
        constraint.fields
        and constraint.condition is None
        and constraint.violation_error_message == constraint.default_violation_error_message
    ):
        error = ValidationError(
            constraint.get_violation_error_message(), code=constraint.violation_error_code
        )
    else:
        # Django's own wording for unique fields and plain unique constraints
        # ("Contract with this Number already exists.").
        error = instance.unique_error_message(rule.model, rule.fields)
    key = field or (rule.fields[0] if len(rule.fields) == 1 else NON_FIELD_ERRORS)
    return ValidationError({key: [error]})


def unique_error(instance: models.Model, name: str, *, field: str | None = None):
    """The error of `instance`'s unique rule called `name`, for a service that checks a rule
    itself (under a lock) and answers as the database would."""
    for rule in unique_rules(type(instance)):
        if rule.name == name:
            return rule_error(instance, rule, field=field)
    raise LookupError(f"{type(instance).__name__} has no unique rule named {name!r}")


@contextmanager
def unique_violations_as_errors(
    instance: models.Model,
    *,
    fields: Mapping[str, str] | None = None,
):
    """Run the block in a savepoint; a unique rule of `instance`'s model that the database
    refuses becomes a ValidationError. `fields` maps a rule's name to the form field
    its error belongs beside, for rules of several fields whose varying part is one field.

    The savepoint keeps the caller's transaction usable, so a service can let the error go up
    and its own atomic block rolls back whatever it saved before: nothing is half-saved.
    """
    using = router.db_for_write(type(instance), instance=instance)
    try:
        with transaction.atomic(using=using):
            yield
    except IntegrityError as error:
        rule = violated_rule(error, type(instance))
        if rule is None:
            raise
        field = (fields or {}).get(rule.name)
        raise rule_error(instance, rule, field=field) from error


def save_or_raise_validation(
    instance: models.Model, *, fields: Mapping[str, str] | None = None, **save_kwargs
) -> models.Model:
    """`instance.save(**save_kwargs)`, a lost race on a unique rule raised as a ValidationError."""
    with unique_violations_as_errors(instance, fields=fields):
        instance.save(**save_kwargs)
    return instance
