"""System usage and each user's own settings (the daily digest)."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from core.alerts import alerts_at_once
from core.models import UserProfile

from .. import digest
from ..forms import DigestSubscriptionForm
from ..models import DigestLog, DigestSubscription
from ..reports import ReportFilterForm, chart, csv_response, report, wants_csv
from ..usage import RECORDS, usage

# --- System usage ---------------------------------------------------------------------------

USAGE_TABLES = ("weeks", "days", "users")
# The page shows the most recent rows of the week and day tables; the rest, the same rows the
# CSV holds, come on request (htmx swaps the whole table in, or the page reloads with it).
RECENT_ROWS = {"weeks": 8, "days": 14}


def _usage_csv(request, figures, table):
    labels = [str(label) for _key, label, *_rest in RECORDS]
    if table == "users":
        header = [_("User"), _("Active days"), _("Last active"), *labels]
        rows = (
            [row.key.get_username(), row.active, row.last_active, *row.cells()]
            for row in figures.users
        )
    else:
        first = _("Week starting") if table == "weeks" else _("Day")
        header = [first, _("Active users"), *labels]
        rows = ([row.key, row.active, *row.cells()] for row in getattr(figures, table))
    period = figures.period
    return csv_response(
        request, f"usage-{table}-{period.start:%Y%m%d}-{period.end:%Y%m%d}", header, rows
    )


@report("usage")
def usage_report(request):
    """System usage: active users per day and week, records added and reports viewed per user,
    and a warning when activity has dropped after a peak."""
    data = request.GET.copy()
    # A drop shows over months: the whole last year unless asked otherwise, shown as selected.
    data.setdefault("period", "last_12_months")
    filters = ReportFilterForm(data, fields=("period", "owner"))
    filters.fields["owner"].label = _("User")
    figures = usage(filters.selected_period, user=filters.value("owner"))
    if wants_csv(request):
        table = request.GET.get("table")
        return _usage_csv(request, figures, table if table in USAGE_TABLES else "users")
    query = request.GET.copy()
    for name in ("format", "table"):
        query.pop(name, None)
    expanded = request.GET.get("table")
    tables = {
        name: _table(figures, name, full=name == expanded, query=query.urlencode())
        for name in RECENT_ROWS
    }
    if request.htmx and expanded in RECENT_ROWS:
        return render(
            request,
            "analytics/_usage_table.html",
            {"table": tables[expanded], "record_labels": _record_labels()},
        )
    weekly = chart(
        "bar",
        [date_format(row.key, "SHORT_DATE_FORMAT") for row in figures.weeks],
        [{"label": _("Active users"), "data": [row.active for row in figures.weeks]}],
        plugins={"legend": {"display": False}},
        scales={"y": {"beginAtZero": True, "ticks": {"precision": 0}}},
    )
    return render(
        request,
        "analytics/usage_report.html",
        {
            "filters": filters,
            "usage": figures,
            "drop": figures.drop,
            "record_labels": _record_labels(),
            "weeks": tables["weeks"],
            "days": tables["days"],
            "totals": [(label, figures.totals[key]) for key, label, *_rest in RECORDS],
            "weekly_chart": weekly,
            "query": query.urlencode(),
        },
    )


def _record_labels():
    return [label for _key, label, *_rest in RECORDS]


def _table(figures, name, *, full, query):
    """The week or day table as the template shows it: its most recent rows (newest last, as in
    the CSV) unless `full`, how many rows it has, and the URL that shows all of them."""
    rows = getattr(figures, name)
    shown = rows if full else rows[-RECENT_ROWS[name] :]
    separator = "&" if query else ""
    return {
        "name": name,
        "rows": shown,
        "total": len(rows),
        "hidden": len(rows) - len(shown),
        "all_url": f"?{query}{separator}table={name}",
        "csv_url": f"?{query}{separator}format=csv&table={name}",
    }


# --- My settings ----------------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def my_settings(request):
    """The user's own preferences: the daily digest on or off, alerts by e-mail at once or only
    in the digest (saved by core.views.alerts_choose), the language."""
    subscription = DigestSubscription.objects.filter(user=request.user).first()
    form = DigestSubscriptionForm(
        request.POST if request.method == "POST" else None,
        instance=subscription or DigestSubscription(user=request.user),
    )
    if form.is_valid():
        enabled = form.cleaned_data["enabled"]
        digest.digest_subscription_set(user=request.user, enabled=enabled)
        if enabled:
            messages.success(request, _("You will get the daily digest."))
        else:
            messages.success(request, _("You will no longer get the daily digest."))
        return redirect("analytics:my_settings")
    return render(
        request,
        "analytics/my_settings.html",
        {
            "form": form,
            "last_digest": DigestLog.objects.filter(user=request.user).first(),
            "alert_choices": UserProfile.Alerts.choices,
            "alerts_by_email": (
                UserProfile.Alerts.AT_ONCE
                if alerts_at_once(request.user)
                else UserProfile.Alerts.DIGEST
            ),
        },
    )
