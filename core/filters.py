"""The base of every list's filters (django-filter): Bootstrap's small controls, a stable order
for paging, and a search box that refuses a term longer than anything it searches."""

import django_filters
from django import forms
from django.db.models.expressions import OrderBy

from .bounds import SEARCH_TERM_MAX_LENGTH
from .forms import AmountField, DecimalNumberField, WholeNumberField


class StyledFilterSet(django_filters.FilterSet):
    """A FilterSet with Bootstrap's small controls and a stable order, for every app's lists."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for field in self.form.fields.values():
            if isinstance(field.widget, forms.HiddenInput):
                continue
            if isinstance(field.widget, forms.CheckboxInput):
                field.widget.attrs["class"] = "form-check-input d-block mt-2"
                continue
            is_select = hasattr(field.widget, "choices")
            field.widget.attrs["class"] = (
                "form-select form-select-sm" if is_select else "form-control form-control-sm"
            )

    @property
    def qs(self):
        qs = super().qs
        # A stable tie-breaker, in the direction of the sort so one index serves both columns,
        # so pages never repeat or skip rows.
        order = list(qs.query.order_by or qs.model._meta.ordering)
        first = order[0]
        descending = first.descending if isinstance(first, OrderBy) else str(first).startswith("-")
        return qs.order_by(*order, "-id" if descending else "id")


class OrderingFilter(django_filters.OrderingFilter):
    """A list's "Sort by": its choices are made when each form is, in the request's language.
    django-filter builds them once, at import, and formats the descending ones ("Grade
    (descending)") there, so they stayed English in every language."""

    def build_choices(self, fields, labels):
        # The lists name their labels by the parameter users see in the address (`close`), where
        # django-filter looks them up by the field (`expected_close_on`) and otherwise falls back
        # to the parameter's own name, run through gettext ("Close", a button's word): either key
        # is taken here.
        by_field = {}
        for field, param in fields.items():
            label = labels.get(param, labels.get(field))
            if label is not None:
                by_field[field] = label
        build = super().build_choices
        return lambda: build(fields, by_field)


class SearchFilter(django_filters.CharFilter):
    """A list's search box: a term longer than anything it searches is refused beside it."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("max_length", SEARCH_TERM_MAX_LENGTH)
        super().__init__(*args, **kwargs)


class NumberFilter(django_filters.NumberFilter):
    """A number typed as text in the reader's format, as the forms read it (core.forms): a
    number input follows the browser's language, not the page's, and an English Chromium turns
    a Polish "1,5" into 15. A thousands separator that another language reads as its decimal
    point is refused: the value lives on in the address, for readers of other languages.

    One upper limit: the filter's own `max_value`. django-filter adds a second one (1e50) to
    every number filter, whose message ("≤ 1e+50") appeared beside the real limit's for a value
    above both."""

    field_class = DecimalNumberField

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("grouping_marks", False)
        super().__init__(*args, **kwargs)

    def get_max_validator(self):
        if self.extra.get("max_value") is not None:
            return None
        return super().get_max_validator()


class AmountFilter(NumberFilter):
    """An amount (a lifetime value), with an amount's messages."""

    field_class = AmountField


class WholeNumberFilter(NumberFilter):
    """A count of days or a record's id: "1,5" is refused, never read as 15 or cut to 1."""

    field_class = WholeNumberField
