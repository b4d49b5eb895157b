"""What every manager report shares: the period and filter form, CSV export, charts, and the
record of reports viewed (the usage report counts it).

A report view is a small function decorated with `@report("slug")`: managers only, every view
recorded, its reads from the read replica when there is one (core.db.replica), and `?format=csv`
answered by the view with `csv_response`.
"""

import csv
from datetime import date, timedelta
from functools import wraps

from django import forms
from django.contrib.auth import get_user_model
from django.db import connection
from django.http import HttpResponse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from core import audit, bounds
from core.db import replica
from core.forms import DateField
from core.permissions import permission_required
from core.users import staff_users
from customers.models import Segment
from processes.models import ProcessDefinition

from .models import ReportView
from .periods import Period, month_end, month_start
from .permissions import VIEW_REPORTS


def period_for(preset, *, today=None, start=None, end=None) -> Period:
    """The dates of a named period ending today (or of a custom one)."""
    today = today or timezone.localdate()
    if preset == "custom" and start and end:
        return Period(min(start, end), max(start, end))
    if preset == "last_month":
        first = month_start(today, 1)
        return Period(first, month_end(first))
    if preset == "this_quarter":
        first = date(today.year, 3 * ((today.month - 1) // 3) + 1, 1)
        return Period(first, today)
    if preset == "last_quarter":
        first = month_start(date(today.year, 3 * ((today.month - 1) // 3) + 1, 1), 3)
        return Period(first, month_end(month_start(first, -2)))
    if preset == "this_year":
        return Period(date(today.year, 1, 1), today)
    if preset == "last_12_months":
        return Period(month_start(today, 11), today)
    if preset == "last_30_days":
        return Period(today - timedelta(days=29), today)
    return Period(month_start(today), today)  # this month


# A custom report period spans at most ten years: the reports add up days and months, and a
# period of centuries (a typo such as 1900) would only make a page very slow.
MAX_REPORT_DAYS = 10 * 366

PERIOD_CHOICES = [
    ("this_month", _("This month")),
    ("last_month", _("Last month")),
    ("last_30_days", _("Last 30 days")),
    ("this_quarter", _("This quarter")),
    ("last_quarter", _("Last quarter")),
    ("this_year", _("This year")),
    ("last_12_months", _("Last 12 months")),
    ("custom", _("Custom dates")),
]


class ReportFilterForm(forms.Form):
    """Period, owner, segment and process definition; a report keeps the fields it uses:
    `ReportFilterForm(request.GET, fields=("period", "owner"))`."""

    period = forms.ChoiceField(label=_("Period"), choices=PERIOD_CHOICES, required=False)
    start = DateField(
        label=_("From"),
        required=False,
        validators=[bounds.WindowValidator("business")],
    )
    end = DateField(
        label=_("To"),
        required=False,
        validators=[bounds.WindowValidator("business")],
    )
    owner = forms.ModelChoiceField(
        label=_("Owner"), queryset=get_user_model().objects.none(), required=False
    )
    segment = forms.ModelChoiceField(
        label=_("Segment"), queryset=Segment.objects.all(), required=False
    )
    definition = forms.ModelChoiceField(
        label=_("Process"), queryset=ProcessDefinition.objects.all(), required=False
    )

    def __init__(
        self,
        data=None,
        *,
        fields=("period", "owner", "segment", "definition"),
        default_period="this_month",
        **kwargs,
    ):
        super().__init__(data, **kwargs)
        self.default_period = default_period
        if "owner" in self.fields:
            self.fields["owner"].queryset = staff_users()
        keep = set(fields) | ({"start", "end"} if "period" in fields else set())
        for name in list(self.fields):
            if name not in keep:
                del self.fields[name]
        for field in self.fields.values():
            is_select = hasattr(field.widget, "choices")
            field.widget.attrs["class"] = (
                "form-select form-select-sm" if is_select else "form-control form-control-sm"
            )

    def clean(self):
        cleaned = super().clean()
        start, end = cleaned.get("start"), cleaned.get("end")
        if cleaned.get("period") == "custom" and not (start and end):
            self.add_error("start", _("Give both dates for a custom period."))
        elif start and end and abs((end - start).days) >= MAX_REPORT_DAYS:
            self.add_error(
                "start",
                ngettext(
                    "A report covers at most %(years)s year.",
                    "A report covers at most %(years)s years.",
                    MAX_REPORT_DAYS // 366,
                )
                % {"years": MAX_REPORT_DAYS // 366},
            )
        return cleaned

    def value(self, name):
        """The cleaned value of `name`, or None (also when the form is invalid)."""
        if not self.is_valid():
            return None
        return self.cleaned_data.get(name) or None

    @property
    def selected_period(self) -> Period:
        data = self.cleaned_data if self.is_valid() else {}
        return period_for(
            data.get("period") or self.default_period, start=data.get("start"), end=data.get("end")
        )


def wants_csv(request):
    return request.GET.get("format") == "csv"


def csv_response(request, filename, header, rows):
    """A CSV download; `rows` may be any iterable of sequences (written as they come). The
    audit records who exported which list, with which filters, and how many rows."""
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}.csv"'
    response.write("\ufeff")  # so spreadsheet programs read UTF-8 names correctly
    writer = csv.writer(response)
    writer.writerow([str(cell) for cell in header])
    written = 0
    for row in rows:
        writer.writerow(["" if cell is None else cell for cell in row])
        written += 1
    audit.record_export(request, name=filename, rows=written)
    return response


def chart(kind, labels, datasets, **options):
    """A Chart.js configuration for analytics/_chart.html (drawn by static/js/charts.js)."""
    return {
        "type": kind,
        "data": {"labels": list(labels), "datasets": datasets},
        "options": options,
    }


def record_view(*, user, report):
    """Records one opening of a report. On PostgreSQL without waiting for the commit to reach
    the disk (synchronous_commit off for this one statement's transaction): a view lost in a
    crash is harmless, and that wait was the largest, most variable part of a report's time
    on a busy server. One statement, so a report's query count stays as it was."""
    if connection.vendor != "postgresql":
        ReportView.objects.create(user=user, report=report)
        return
    table = connection.ops.quote_name(ReportView._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            "WITH unflushed AS (SELECT set_config('synchronous_commit', 'off', true)) "
            f"INSERT INTO {table} (user_id, report, viewed_at) "
            "SELECT %s, %s, %s FROM unflushed",
            [user.pk, report, timezone.now()],
        )


def report(slug, *, permission=VIEW_REPORTS):
    """A report view: for those who hold `permission` (managers by default), every view
    recorded for the usage report, its reads from the read replica where one may serve them."""

    def decorator(view):
        @wraps(view)
        def recorded(request, *args, **kwargs):
            record_view(user=request.user, report=slug)
            with replica.reads():
                return view(request, *args, **kwargs)

        guarded = permission_required(permission)(recorded)
        guarded.report_slug = slug
        return guarded

    return decorator
