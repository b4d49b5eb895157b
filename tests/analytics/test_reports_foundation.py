"""What every manager report shares: periods, the filter form, CSV export and the usage record."""

from datetime import date

import pytest
from django.http import HttpResponse
from django.test import RequestFactory
from django.urls import reverse

from analytics.models import ReportView
from analytics.reports import ReportFilterForm, csv_response, period_for, report
from core.models import AuditEvent
from tests.factories import ProcessDefinitionFactory


@pytest.mark.parametrize(
    ("preset", "start", "end"),
    [
        ("this_month", date(2026, 5, 1), date(2026, 5, 20)),
        ("last_month", date(2026, 4, 1), date(2026, 4, 30)),
        ("last_30_days", date(2026, 4, 21), date(2026, 5, 20)),
        ("this_quarter", date(2026, 4, 1), date(2026, 5, 20)),
        ("last_quarter", date(2026, 1, 1), date(2026, 3, 31)),
        ("this_year", date(2026, 1, 1), date(2026, 5, 20)),
        ("last_12_months", date(2025, 6, 1), date(2026, 5, 20)),
    ],
)
def test_named_periods_end_today_or_at_the_end_of_their_month(preset, start, end):
    period = period_for(preset, today=date(2026, 5, 20))
    assert (period.start, period.end) == (start, end)


def test_last_quarter_in_january_is_the_previous_years_last_quarter():
    period = period_for("last_quarter", today=date(2026, 1, 15))
    assert (period.start, period.end) == (date(2025, 10, 1), date(2025, 12, 31))


@pytest.mark.django_db
def test_a_custom_period_needs_both_dates_beside_the_field():
    form = ReportFilterForm({"period": "custom", "start": "2026-01-01"}, fields=("period",))
    assert not form.is_valid()
    assert "Give both dates" in str(form.errors["start"])
    form = ReportFilterForm(
        {"period": "custom", "start": "2026-03-31", "end": "2026-01-01"}, fields=("period",)
    )
    assert form.is_valid()
    assert (form.selected_period.start, form.selected_period.end) == (
        date(2026, 1, 1),
        date(2026, 3, 31),
    )


@pytest.mark.django_db
def test_a_report_keeps_only_the_filters_it_uses():
    form = ReportFilterForm({}, fields=("period", "owner"))
    assert list(form.fields) == ["period", "start", "end", "owner"]


@pytest.mark.django_db
def test_csv_export_is_utf8_with_a_header_and_empty_cells_for_none(manager):
    request = RequestFactory().get("/reports/value/", {"format": "csv", "owner": "3"})
    request.user = manager
    rows = (row for row in [["Zakład Łódź", "A"], ["X", None]])  # streamed, counted as written
    response = csv_response(request, "grades", ["Customer", "Grade"], rows)
    assert response["Content-Disposition"] == 'attachment; filename="grades.csv"'
    assert response.content.decode("utf-8-sig").splitlines() == [
        "Customer,Grade",
        "Zakład Łódź,A",
        "X,",
    ]
    export = AuditEvent.objects.get(action="export")
    assert (export.user, export.source) == (manager, "/reports/value/")
    assert export.details == {"list": "grades", "filters": {"owner": "3"}, "rows": 2}


@pytest.mark.django_db
def test_every_report_view_is_recorded_and_only_managers_get_in(manager, sales_rep):
    @report("test-report")
    def view(request):
        return HttpResponse("ok")

    request = RequestFactory().get("/")
    request.user = manager
    assert view(request).status_code == 200
    request.user = sales_rep
    with pytest.raises(Exception) as refused:
        view(request)
    assert refused.type.__name__ == "PermissionDenied"
    assert list(ReportView.objects.values_list("user__username", "report")) == [
        ("mike_manager", "test-report")
    ]


@pytest.mark.django_db
def test_the_filter_bar_keeps_the_choice_and_marks_a_refused_one(persona_client, manager):
    """The report filters' selects are built by core_tags.filter_control (no per-option widget
    templates): the chosen option selected, a refused value marked for assistive technology,
    its error beside it, the labels escaped."""
    ProcessDefinitionFactory(name="<b>Deals</b> & co", kind="sales")
    client = persona_client(manager)
    page = client.get(reverse("analytics:process_kpis"), {"period": "last_quarter"})
    html = page.content.decode()
    assert '<option value="last_quarter" selected>' in html
    assert "&lt;b&gt;Deals&lt;/b&gt; &amp; co</option>" in html
    assert 'aria-invalid="true"' not in html
    refused = client.get(reverse("analytics:process_kpis"), {"owner": "999999"}).content.decode()
    owner = '<select class="form-select form-select-sm" id="id_owner" name="owner"'
    assert f'{owner} aria-describedby="id_owner_error" aria-invalid="true">' in refused
    assert 'class="invalid-feedback d-block" id="id_owner_error"' in refused
