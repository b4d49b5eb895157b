"""Which models are audited, and which of their columns are left out of the audit.

Each app registers its models in its AppConfig.ready(); core knows none of them by name.
"""

from dataclasses import dataclass

from django.db import models


@dataclass(frozen=True)
class AuditedModel:
    model: type
    # Field names left out: computed columns (a job's scores, denormalised timestamps) whose
    # changes are no person's doing and would flood the audit.
    exclude: frozenset
    # What str(record) reads, fetched with the record so a page of names costs one query.
    select_related: tuple

    @property
    def label(self):
        return self.model._meta.label_lower

    def columns(self):
        """The audited columns: every concrete column but the excluded and generated ones."""
        return [
            field.column
            for field in self.model._meta.concrete_fields
            if field.name not in self.exclude and not isinstance(field, models.GeneratedField)
        ]

    def excluded_columns(self):
        return [
            field.column
            for field in self.model._meta.concrete_fields
            if field.name in self.exclude or isinstance(field, models.GeneratedField)
        ]


_registry: dict[str, AuditedModel] = {}


def register(model, *, exclude=(), select_related=()):
    names = {field.name for field in model._meta.concrete_fields}
    unknown = set(exclude) - names
    if unknown:
        raise ValueError(f"{model._meta.label}: no fields named {sorted(unknown)} to exclude.")
    entry = AuditedModel(
        model=model, exclude=frozenset(exclude), select_related=tuple(select_related)
    )
    _registry[entry.label] = entry
    return model


def audited():
    return list(_registry.values())


def get(label):
    return _registry.get(label)


def is_audited(model):
    return model._meta.label_lower in _registry
