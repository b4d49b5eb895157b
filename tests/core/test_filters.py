"""The base of every list's filters: styled controls, a stable order, a bounded search box."""

import django_filters
import pytest
from django import forms
from django.utils import translation

from core.bounds import SEARCH_TERM_MAX_LENGTH
from core.filters import OrderingFilter, SearchFilter, StyledFilterSet
from customers.models import Customer
from tests.factories import CustomerFactory

pytestmark = pytest.mark.django_db


class NameFilter(StyledFilterSet):
    q = SearchFilter(field_name="display_name", lookup_expr="icontains")
    status = django_filters.ChoiceFilter(choices=Customer.Status.choices)
    unnamed = django_filters.BooleanFilter(
        field_name="legal_name", lookup_expr="isnull", widget=forms.CheckboxInput
    )
    ordering = OrderingFilter(fields=(("display_name", "name"),))

    class Meta:
        model = Customer
        fields = []


def test_controls_are_bootstraps_small_ones():
    fields = NameFilter({}, queryset=Customer.objects.all()).form.fields
    assert fields["q"].widget.attrs["class"] == "form-control form-control-sm"
    assert fields["status"].widget.attrs["class"] == "form-select form-select-sm"
    assert fields["unnamed"].widget.attrs["class"] == "form-check-input d-block mt-2"


def test_sort_choices_are_in_the_requests_language():
    """django-filter words the descending choices once, at import; ours each time a form is made."""

    def choices():
        return dict(NameFilter({}, queryset=Customer.objects.all()).form.fields["ordering"].choices)

    with translation.override("pl"):
        assert choices()["-name"] == "Nazwa (malejąco)"
    with translation.override("ru"):
        assert choices()["-name"] == "Имя / название (по убыванию)"
    assert choices()["-name"] == "Name (descending)"


def test_sort_labels_named_by_the_parameter_are_the_ones_shown():
    """A list names its sort labels by the address's parameter (`close`), not by the field."""

    class Deals(StyledFilterSet):
        ordering = OrderingFilter(
            fields=(("display_name", "name"), ("last_contact_at", "contact")),
            field_labels={"contact": "Last contacted"},
        )

        class Meta:
            model = Customer
            fields = []

    choices = dict(Deals({}, queryset=Customer.objects.all()).form.fields["ordering"].choices)
    assert choices["contact"] == "Last contacted"
    assert choices["-contact"] == "Last contacted (descending)"
    assert choices["name"] == "Name"


@pytest.mark.parametrize(("ordering", "tie_breaker"), [("name", "id"), ("-name", "-id")])
def test_rows_that_sort_alike_keep_one_order_in_the_sorts_direction(ordering, tie_breaker):
    twins = [CustomerFactory(display_name="Twin") for _ in range(3)]
    qs = NameFilter({"ordering": ordering}, queryset=Customer.objects.all()).qs
    assert qs.query.order_by[-1] == tie_breaker
    ids = [c.pk for c in twins]
    assert [c.pk for c in qs] == (ids if tie_breaker == "id" else ids[::-1])


def test_a_search_term_longer_than_anything_searched_is_refused_beside_the_box():
    CustomerFactory(display_name="Acme")
    too_long = NameFilter(
        {"q": "A" * (SEARCH_TERM_MAX_LENGTH + 1)}, queryset=Customer.objects.all()
    )
    assert not too_long.is_valid()
    assert "q" in too_long.errors
    longest = NameFilter({"q": "a" * SEARCH_TERM_MAX_LENGTH}, queryset=Customer.objects.all())
    assert longest.is_valid()
