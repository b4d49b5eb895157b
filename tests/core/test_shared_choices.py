"""core.forms.share_choices: two selects of the same choices on one page, one query."""

import django_filters
from django import forms
from django.db import connection
from django.test.utils import CaptureQueriesContext

from core.forms import share_choices
from customers.models import Segment
from tests.factories import SegmentFactory


class _SegmentFilter(django_filters.FilterSet):
    segment = django_filters.ModelChoiceFilter(
        field_name="segments", queryset=Segment.objects.all(), null_label="No segment"
    )


class _BulkForm(forms.Form):
    segment = forms.ModelChoiceField(queryset=Segment.objects.all(), empty_label="Segment…")


def _render(*forms_):
    return [str(form["segment"]) for form in forms_]


def test_the_selects_render_as_before_from_one_query(db):
    SegmentFactory(name="Wholesale")
    SegmentFactory(name="Retail")
    plain = _render(_SegmentFilter(queryset=Segment.objects.none()).form, _BulkForm())

    filter_form, bulk_form = _SegmentFilter(queryset=Segment.objects.none()).form, _BulkForm()
    with CaptureQueriesContext(connection) as queries:
        share_choices("segment", filter_form, bulk_form)
        shared = _render(filter_form, bulk_form)

    assert len(queries) == 1
    assert shared == plain
    assert "No segment" in shared[0] and "Segment…" in shared[1]
    assert "Wholesale" in shared[0] and "Retail" in shared[1]


def test_a_posted_choice_is_still_checked_against_the_database(db):
    kept = SegmentFactory()
    gone = SegmentFactory()
    filter_form = _SegmentFilter(queryset=Segment.objects.none()).form
    bulk_form = _BulkForm({"segment": gone.pk})
    share_choices("segment", filter_form, bulk_form)
    gone.delete()

    assert not bulk_form.is_valid()
    assert "segment" in bulk_form.errors
    assert _BulkForm({"segment": kept.pk}).is_valid()
