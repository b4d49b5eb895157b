"""Customer value, segment and data quality reports for managers."""

from django import forms
from django.contrib import messages
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from core.permissions import permission_required
from core.views.helpers import render_object_form, run_service
from customers.models import Customer
from relationships.models import Relationship

from .. import quality, selectors, services, tasks, value_reports
from ..forms import DataQualityTemplateForm
from ..models import DataQualityTemplate
from ..permissions import MANAGE_DATA_QUALITY
from ..reports import ReportFilterForm, chart, csv_response, report, wants_csv

# --- Customer value, segment and data quality reports -----------------------------------------

REPORT_PAGE_SIZE = 25
COUNTS = {"precision": 0}  # chart axes of counts: no 0.5 customers
GRADE_COLOURS = {
    "A": "#198754",
    "B": "#0d6efd",
    "C": "#ffc107",
    "D": "#dc3545",
    "ungraded": "#adb5bd",
}


def _grade_label(grade):
    return grade if grade in value_reports.GRADES else _("Not graded")


def _segment_name(segment):
    return segment.name if segment else _("No segment")


def _owner_name(owner):
    return owner.get_username() if owner else _("No owner")


def _with_period(data, default):
    """The query with the report's default period filled in, so the form shows the period the
    figures are for (an empty choice would display the first one, "This month")."""
    if data.get("period"):
        return data
    data = data.copy()
    data["period"] = default
    return data


def _table(request, choices):
    """The table a CSV export asks for (`?format=csv&table=...`), the first one by default."""
    table = request.GET.get("table", choices[0])
    return table if table in choices else choices[0]


def _bucket_label(day, kind):
    return date_format(day, "SHORT_DATE_FORMAT") if kind == "week" else date_format(day, "M Y")


def _decimal(value, places):
    """A CSV cell: the same number of decimals whatever the database returned."""
    return None if value is None else f"{value:.{places}f}"


def _value_row_cells(row):
    return [
        row["customers"],
        *(row[grade] for grade in (*value_reports.GRADES, value_reports.NOT_GRADED)),
        _decimal(row["ltv_total"] or 0, 2),
        _decimal(row["ltv_average"], 2),
        _decimal(row["reliability"], 1),
    ]


def _value_header(first):
    return [
        first,
        _("Customers"),
        *value_reports.GRADES,
        _("Not graded"),
        _("LTV total"),
        _("LTV average"),
        _("Average reliability"),
    ]


@report("customer-value")
def value_report(request):
    """Customer value by segment and owner, the customers whose grade moved, and relationships
    started and ended over the period."""
    form = ReportFilterForm(
        _with_period(request.GET, "last_12_months"),
        fields=("period", "owner", "segment"),
        default_period="last_12_months",
    )
    period = form.selected_period
    owner, segment = form.value("owner"), form.value("segment")
    refreshed = services.last_refresh()
    if wants_csv(request):
        return _value_report_csv(request, period=period, owner=owner, segment=segment)
    per_segment = value_reports.grades_per_segment(owner=owner, segment=segment)
    per_owner = value_reports.grades_per_owner(owner=owner, segment=segment)
    movers = value_reports.seek_page(
        value_reports.movers(period, owner=owner, segment=segment),
        request.GET.get("page"),
        REPORT_PAGE_SIZE,
    )
    kind, periods, reasons = value_reports.relationships_started_ended(
        period, owner=owner, segment=segment
    )
    labels = [_bucket_label(bucket.starts_on, kind) for bucket in periods]
    reason_labels = dict(Relationship.EndReason.choices)
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "analytics/value_report.html",
        {
            "filters": form,
            "refreshed": refreshed,
            "base_currency": selectors.current_parameters().base_currency,
            "per_segment": per_segment,
            "per_owner": per_owner,
            "movers": movers,
            "query": query.urlencode(),
            "bucket_kind": kind,
            "periods": [
                (label, bucket, [bucket.reasons.get(reason, 0) for reason in reasons])
                for label, bucket in zip(labels, periods, strict=True)
            ],
            "reasons": [(reason_labels.get(r, r), total) for r, total in reasons.items()],
            "grades_chart": chart(
                "bar",
                [_segment_name(row["segment"]) for row in per_segment],
                [
                    {
                        "label": str(_grade_label(grade)),
                        "data": [row[grade] for row in per_segment],
                        "backgroundColor": GRADE_COLOURS[grade],
                    }
                    for grade in (*value_reports.GRADES, value_reports.NOT_GRADED)
                ],
                scales={"x": {"stacked": True}, "y": {"stacked": True, "ticks": COUNTS}},
            ),
            "relationships_chart": chart(
                "bar",
                labels,
                [
                    {
                        "label": str(_("Started")),
                        "data": [b.started for b in periods],
                        "backgroundColor": "#198754",
                    },
                    {
                        "label": str(_("Ended")),
                        "data": [b.ended for b in periods],
                        "backgroundColor": "#dc3545",
                    },
                ],
                scales={"y": {"ticks": COUNTS}},
            ),
        },
    )


def _value_report_csv(request, *, period, owner, segment):
    table = _table(request, ("segments", "owners", "movers", "relationships"))
    if table == "segments":
        rows = value_reports.grades_per_segment(owner=owner, segment=segment)
        return csv_response(
            request,
            "customer-value-per-segment",
            _value_header(_("Segment")),
            ([_segment_name(row["segment"]), *_value_row_cells(row)] for row in rows),
        )
    if table == "owners":
        rows = value_reports.grades_per_owner(owner=owner, segment=segment)
        return csv_response(
            request,
            "customer-value-per-owner",
            _value_header(_("Owner")),
            ([_owner_name(row["owner"]), *_value_row_cells(row)] for row in rows),
        )
    if table == "movers":
        changes = value_reports.movers(period, owner=owner, segment=segment)
        return csv_response(
            request,
            "grade-movers",
            [_("Customer"), _("Customer id"), _("Previous grade"), _("New grade"), _("When")],
            (
                [
                    change.customer.display_name,
                    change.customer_id,
                    _grade_label(change.previous_grade),
                    _grade_label(change.grade),
                    timezone.localtime(change.changed_at).isoformat(timespec="minutes"),
                ]
                for change in changes.iterator(chunk_size=2000)
            ),
        )
    kind, periods, reasons = value_reports.relationships_started_ended(
        period, owner=owner, segment=segment
    )
    reason_labels = dict(Relationship.EndReason.choices)
    return csv_response(
        request,
        "relationships-started-ended",
        [
            _("Week of") if kind == "week" else _("Month"),
            _("Started"),
            _("Ended"),
            *(reason_labels.get(reason, reason) for reason in reasons),
        ],
        (
            [
                bucket.starts_on.isoformat(),
                bucket.started,
                bucket.ended,
                *(bucket.reasons.get(reason, 0) for reason in reasons),
            ]
            for bucket in periods
        ),
    )


@report("segments")
def segment_report(request):
    """Per segment: the customers' current state and the period's activity."""
    form = ReportFilterForm(request.GET, fields=("period", "owner"))
    refreshed = services.last_refresh()
    rows = value_reports.segment_summary(form.selected_period, owner=form.value("owner"))
    revenue_currencies = value_reports.currencies(rows, "revenue")
    overdue_currencies = value_reports.currencies(rows, "overdue")
    statuses = [(s, Customer.Status(s).label) for s in value_reports.STATUSES]
    grades = [(g, _grade_label(g)) for g in (*value_reports.GRADES, value_reports.NOT_GRADED)]
    if wants_csv(request):
        return csv_response(
            request,
            "segments",
            [
                _("Segment"),
                _("Customers"),
                *(label for _s, label in statuses),
                *(
                    _("Grade %(grade)s") % {"grade": g} if g in value_reports.GRADES else label
                    for g, label in grades
                ),
                _("Contacts"),
                _("Open processes"),
                *(_("Revenue %(currency)s") % {"currency": c} for c in revenue_currencies),
                *(_("Overdue %(currency)s") % {"currency": c} for c in overdue_currencies),
            ],
            (
                [
                    _segment_name(row["segment"]),
                    row["customers"],
                    *(row[s] for s, _label in statuses),
                    *(row[g] for g, _label in grades),
                    row["contacts"],
                    row["open_processes"],
                    *(_decimal(row["revenue"].get(c, 0), 2) for c in revenue_currencies),
                    *(_decimal(row["overdue"].get(c, 0), 2) for c in overdue_currencies),
                ]
                for row in rows
            ),
        )
    return render(
        request,
        "analytics/segment_report.html",
        {
            "filters": form,
            "refreshed": refreshed,
            "rows": rows,
            "statuses": statuses,
            "grades": grades,
            "activity_chart": chart(
                "bar",
                [_segment_name(row["segment"]) for row in rows],
                [
                    {
                        "label": str(label),
                        "data": [row[status] for row in rows],
                        "backgroundColor": colour,
                    }
                    for (status, label), colour in zip(
                        statuses, ("#0dcaf0", "#198754", "#6c757d"), strict=True
                    )
                ],
                scales={"x": {"stacked": True}, "y": {"stacked": True, "ticks": COUNTS}},
            ),
        },
    )


class DataQualityFilterForm(ReportFilterForm):
    check = forms.ChoiceField(label=gettext_lazy("Failing check"), required=False)

    def __init__(self, data=None, *, template, **kwargs):
        super().__init__(data, fields=("owner", "check"), **kwargs)
        self.fields["check"].choices = [("", _("any"))] + [
            (check.code, check.label) for check in quality.enabled_checks(template)
        ]


@report("data-quality")
def data_quality(request):
    """Completeness of the customer records against the template: overall, per owner, and the
    records to fix, the least complete first."""
    template = DataQualityTemplate.objects.current()
    if template.computed_at is None:
        services.first_run(quality.compute_all, tasks.compute_data_quality, key="data-quality")
        template = DataQualityTemplate.objects.current()
    form = DataQualityFilterForm(request.GET, template=template)
    owner = form.value("owner")
    check = quality.CHECKS_BY_CODE.get(form.value("check") or "")
    if wants_csv(request):
        if _table(request, ("records", "owners")) == "owners":
            return csv_response(
                request,
                "data-quality-per-owner",
                [
                    _("Owner"),
                    _("Records"),
                    _("Average completeness"),
                    _("Complete"),
                    _("Below target"),
                ],
                (
                    [
                        _owner_name(row["owner"]),
                        row["checked"],
                        _decimal(row["average"], 1),
                        row["complete"],
                        row["below_target"],
                    ]
                    for row in quality.per_owner(template, owner=owner)
                ),
            )
        records = quality.records_to_fix(owner=owner, check=check)
        return csv_response(
            request,
            "data-quality-records",
            [_("Customer"), _("Customer id"), _("Owner"), _("Completeness"), _("Missing")],
            (
                [
                    record.customer.display_name,
                    record.customer_id,
                    _owner_name(record.customer.owner),
                    record.score,
                    "; ".join(quality.failed_labels(record.failed_checks)),
                ]
                for record in records.iterator(chunk_size=2000)
            ),
        )
    page = value_reports.seek_page(
        quality.records_to_fix(owner=owner, check=check),
        request.GET.get("page"),
        REPORT_PAGE_SIZE,
    )
    query = request.GET.copy()
    query.pop("page", None)
    for record in page:
        record.missing = quality.failed_labels(record.failed_checks)
    summary = quality.summary(template, owner=owner)
    return render(
        request,
        "analytics/data_quality.html",
        {
            "filters": form,
            "template": template,
            "checks": quality.enabled_checks(template),
            "summary": summary,
            "per_owner": quality.per_owner(template, owner=owner),
            "page": page,
            "query": query.urlencode(),
            "recomputing": template.computed_at is None
            or template.computed_at < template.updated_at,
            "failing_chart": chart(
                "bar",
                [str(check.label) for check, _count in summary["failing"]],
                [
                    {
                        "label": str(_("Records failing")),
                        "data": [count for _check, count in summary["failing"]],
                        "backgroundColor": "#dc3545",
                    }
                ],
                indexAxis="y",
                scales={"x": {"ticks": COUNTS}},
                plugins={"legend": {"display": False}},
            ),
        },
    )


@permission_required(MANAGE_DATA_QUALITY)
def data_quality_template_edit(request):
    template = DataQualityTemplate.objects.current()
    form = DataQualityTemplateForm(request.POST or None, instance=template)
    if (
        request.method == "POST"
        and form.is_valid()
        and run_service(
            form, services.data_quality_template_update, data=form.cleaned_data, by=request.user
        )
    ):
        messages.success(
            request, _("Template saved; every customer's completeness is being recomputed.")
        )
        return redirect("analytics:data_quality")
    return render_object_form(
        request,
        form,
        title=_("What a complete customer record holds"),
        submit=_("Save the template"),
        cancel_url=reverse("analytics:data_quality"),
    )
