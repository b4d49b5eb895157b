"""Reads of the shared kernel."""

from dataclasses import dataclass

from django.apps import apps
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models.functions import Cast, Length
from django.urls import NoReverseMatch, reverse

from . import bounds


@dataclass(frozen=True)
class BoundedColumn:
    model: type
    field: models.Field
    rule: str  # what the bound is, in words

    def violated(self) -> models.Q:
        """The rows outside the bound, as a condition the database evaluates: values Python
        cannot even load (dates BC) are found too."""
        name = self.field.name
        window = bounds.window_of(self.field)
        if window is not None:
            if isinstance(self.field, models.DateTimeField):
                low, high = window.start_instant(), window.end_instant()
                return models.Q(**{f"{name}__lt": low}) | models.Q(**{f"{name}__gte": high})
            return models.Q(**{f"{name}__lt": window.start}) | models.Q(
                **{f"{name}__gt": window.end_date()}
            )
        if isinstance(self.field, models.TextField):
            return models.Q(**{f"_length_{name}__gt": self.field.max_length})
        if bounds.validate_mailbox_address in self.field.validators:
            # At a bare IP, or at a domain without a dot (bounds.validate_mailbox_address).
            return models.Q(**{f"{name}__contains": "@["}) | (
                models.Q(**{f"{name}__contains": "@"})
                & ~models.Q(**{f"{name}__regex": r"@[^@]*\."})
            )
        condition = models.Q(pk__in=[])
        for validator in self.field.validators:
            if isinstance(validator, MaxValueValidator):
                condition |= models.Q(**{f"{name}__gt": validator.limit_value})
            elif isinstance(validator, MinValueValidator):
                condition |= models.Q(**{f"{name}__lt": validator.limit_value})
        return condition

    def shown(self):
        """What the rows show of the stored value: its text as the database writes it, or a
        text's length."""
        if isinstance(self.field, models.TextField):
            return Length(self.field.name)
        return Cast(self.field.name, models.TextField())


@dataclass(frozen=True)
class OutOfBounds:
    model: type
    field: str
    pk: object
    value: str
    rule: str

    @property
    def label(self):
        return f"{self.model._meta.label}.{self.field}"

    @property
    def admin_url(self):
        opts = self.model._meta
        try:
            return reverse(f"admin:{opts.app_label}_{opts.model_name}_change", args=[self.pk])
        except NoReverseMatch:
            return None


def _is_history(model):
    # django-simple-history's copies of the tracked models keep every old version as it was.
    return model._meta.object_name.startswith("Historical") and any(
        f.name == "history_date" for f in model._meta.fields
    )


def bounded_columns():
    """Every bounded column of every model (core.bounds): dates and times with a window, texts
    with a length, numbers with a minimum or maximum, e-mail addresses at an internet domain."""
    columns = []
    for model in apps.get_models():
        if _is_history(model) or model._meta.proxy or not model._meta.managed:
            continue
        for field in model._meta.concrete_fields:
            window = bounds.window_of(field)
            if window is not None:
                end = window.end_date() if window.end else "today"
                rule = f"{window.start} .. {end}"
            elif isinstance(field, models.TextField) and field.max_length:
                rule = f"<= {field.max_length} characters"
            elif bounds.validate_mailbox_address in field.validators:
                rule = "an e-mail address at an internet domain"
            elif isinstance(field, models.DecimalField) and any(
                isinstance(v, MaxValueValidator | MinValueValidator) for v in field.validators
            ):
                limits = [
                    f"{'<=' if isinstance(v, MaxValueValidator) else '>='} {v.limit_value}"
                    for v in field.validators
                    if isinstance(v, MaxValueValidator | MinValueValidator)
                ]
                rule = ", ".join(limits)
            else:
                continue
            columns.append(BoundedColumn(model, field, rule))
    return columns


def out_of_bounds_rows(*, limit_per_column=100):
    """The stored rows outside the bounds, per column, at most `limit_per_column` of each
    (ordered by primary key): one query per model, whatever the number of its columns."""
    by_model = {}
    for column in bounded_columns():
        by_model.setdefault(column.model, []).append(column)
    found = []
    for model, columns in by_model.items():
        annotations = {f"_length_{c.field.name}": Length(c.field.name) for c in columns}
        annotations = {
            name: expression
            for name, expression in annotations.items()
            if isinstance(model._meta.get_field(name.removeprefix("_length_")), models.TextField)
        }
        for column in columns:
            annotations[f"_bad_{column.field.name}"] = models.Case(
                models.When(column.violated(), then=True),
                default=False,
                output_field=models.BooleanField(),
            )
            annotations[f"_shown_{column.field.name}"] = column.shown()
        condition = models.Q(pk__in=[])
        for column in columns:
            condition |= models.Q(**{f"_bad_{column.field.name}": True})
        names = ["pk", *(n for n in annotations if not n.startswith("_length_"))]
        rows = (
            model._base_manager.annotate(**annotations)
            .filter(condition)
            .order_by("pk")
            .values(*names)
        )
        counts = dict.fromkeys((c.field.name for c in columns), 0)
        for row in rows.iterator():
            for column in columns:
                name = column.field.name
                if not row[f"_bad_{name}"] or counts[name] >= limit_per_column:
                    continue
                counts[name] += 1
                shown = row[f"_shown_{name}"]
                if isinstance(column.field, models.TextField):
                    shown = f"{shown} characters"
                found.append(OutOfBounds(model, name, row["pk"], str(shown), column.rule))
            if all(count >= limit_per_column for count in counts.values()):
                break
    return found
