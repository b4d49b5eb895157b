"""Process KPI dashboard with its drill-down, and the sales forecast with its accuracy."""

from itertools import groupby
from urllib.parse import urlencode

from django.conf import settings
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from core.views.helpers import paginate
from processes.models import ProcessDefinition, Stage

from .. import forecast, process_kpis
from ..aggregates import report_transaction
from ..reports import ReportFilterForm, chart, csv_response, report, wants_csv

# --- Process KPI dashboard ------------------------------------------------------------------

KPI_FILTERS = ("period", "owner", "definition")


def _drill_urls(request):
    """drill_url(show, definition, **extra): the drill-down of one number with the page's
    filters; the filters are encoded once per page, not once per link."""
    query = request.GET.copy()
    for name in ("format", "page", "definition", "show", "stage"):
        query.pop(name, None)
    base = f"{reverse('analytics:process_kpi_instances')}?{query.urlencode()}"
    separator = "&" if query else ""

    def drill_url(show, definition, **extra):
        return f"{base}{separator}{urlencode({'definition': definition.pk, 'show': show, **extra})}"

    return drill_url


def _kpi_csv(rows):
    """(header, rows) of the dashboard's table."""
    Metric = process_kpis.Metric
    header = [
        _("Kind"),
        _("Process"),
        _("Started"),
        _("Closed"),
        _("Won or resolved"),
        _("Conversion (%)"),
        _("Cycle median (days)"),
        _("Cycle p90 (days)"),
        _("Cycle average (days)"),
        _("SLA met (%)"),
        _("Average cost"),
        _("Cost currency"),
        _("Value won per unit of cost"),
        _("Conversion target"),
        _("Cycle target"),
        _("SLA target"),
        _("Cost target"),
    ]

    def number(value, places=1):
        return "" if value is None else f"{value:.{places}f}"

    def target(kpis, metric):
        measure = kpis.measures.get(metric)
        return "" if measure is None or measure.target is None else measure.target

    body = []
    for kpis in rows:
        conversion = process_kpis.conversion_metric(kpis.definition.kind)
        body.append(
            [
                kpis.definition.get_kind_display(),
                kpis.definition.name,
                kpis.started,
                kpis.closed,
                kpis.succeeded,
                number(kpis.conversion),
                number(kpis.cycle_median_days),
                number(kpis.cycle_p90_days),
                number(kpis.cycle_avg_days),
                number(kpis.sla_rate),
                "" if kpis.cost_avg is None else kpis.cost_avg,
                kpis.definition.currency,
                " ".join(f"{code} {ratio:.2f}" for code, ratio in kpis.value_per_cost),
                target(kpis, conversion),
                target(kpis, Metric.AVG_CYCLE_DAYS),
                target(kpis, Metric.SLA_MET_RATE),
                target(kpis, Metric.AVG_COST),
            ]
        )
    return header, body


@report("process-kpis")
def process_kpi_dashboard(request):
    """Per process definition, variants of one kind side by side: volume, conversion, cycle
    time, time in stage, SLA compliance, cost and value per cost against their targets."""
    form = ReportFilterForm(request.GET, fields=KPI_FILTERS)
    # The job measures stays every few minutes; the moves since then are caught up here.
    process_kpis.stage_stays_refresh(max_batches=1)
    period = form.selected_period
    owner = form.value("owner")
    definitions = process_kpis.definitions_shown(form.value("definition"))
    if form.value("definition") is None:
        # Every definition was just read, in the select's order (the model's): its options
        # from those rows, not from one more query.
        field = form.fields["definition"]
        field.choices = [
            ("", field.empty_label),
            *((definition.pk, field.label_from_instance(definition)) for definition in definitions),
        ]
    with report_transaction():
        # Which days the rollup has computed, and whether the others hold anything: read once
        # for both.
        computed = process_kpis.computed_days_of(period, definitions=definitions, owner=owner)
        rows = process_kpis.process_kpis(
            period=period, definitions=definitions, owner=owner, computed_days=computed
        )
        weeks, started, closed = process_kpis.weekly_volume(
            period=period, definitions=definitions, owner=owner, computed_days=computed
        )
    if wants_csv(request):
        return csv_response(request, f"process-kpis-{period.start}-{period.end}", *_kpi_csv(rows))
    drill_url = _drill_urls(request)
    for kpis in rows:
        kpis.links = {
            show: drill_url(show, kpis.definition)
            for show in process_kpis.DRILLDOWNS
            if show != "stage"
        }
        for stage in kpis.stages:
            stage.link = drill_url("stage", kpis.definition, stage=stage.stage.pk)
    buckets, counts = process_kpis.cycle_distribution(rows)
    kinds = dict(ProcessDefinition.Kind.choices)
    return render(
        request,
        "analytics/process_kpis.html",
        {
            "filters": form,
            "groups": [
                (kinds.get(kind, kind), list(group))
                for kind, group in groupby(rows, key=lambda k: k.definition.kind)
            ],
            "metric": process_kpis.Metric,
            "volume_chart": chart(
                "line",
                [date_format(week, "SHORT_DATE_FORMAT") for week in weeks],
                [
                    {"label": _("Started"), "data": started, "borderColor": "#0d6efd"},
                    {"label": _("Closed"), "data": closed, "borderColor": "#198754"},
                ],
                scales={"y": {"beginAtZero": True, "ticks": {"precision": 0}}},
            ),
            "cycle_chart": chart(
                "bar",
                buckets,
                [{"label": _("Instances closed"), "data": counts, "backgroundColor": "#6c757d"}],
                scales={"y": {"beginAtZero": True, "ticks": {"precision": 0}}},
            ),
        },
    )


@report("process-kpis-instances")
def process_kpi_instances(request):
    """The instances behind one number of the KPI dashboard, with the same filters."""
    form = ReportFilterForm(request.GET, fields=KPI_FILTERS)
    process_kpis.stage_stays_refresh(max_batches=1)
    show = request.GET.get("show")
    if show not in process_kpis.DRILLDOWNS:
        show = "closed"
    stage = None
    if show == "stage":
        stage = (
            Stage.objects.filter(pk=request.GET.get("stage") or 0).first()
            if (request.GET.get("stage", "").isdigit())
            else None
        )
    definitions = process_kpis.definitions_shown(form.value("definition"))
    queryset = process_kpis.drilldown(
        show=show,
        period=form.selected_period,
        definitions=definitions,
        owner=form.value("owner"),
        stage=stage,
    ).select_related("definition", "stage", "customer", "owner")
    page, query = paginate(request, queryset, settings.PROCESS_LIST_PAGE_SIZE)
    back = request.GET.copy()
    for name in ("show", "stage", "page"):
        back.pop(name, None)
    return render(
        request,
        "analytics/process_kpi_instances.html",
        {
            "filters": form,
            "title": process_kpis.DRILLDOWNS[show],
            "stage": stage,
            "definition": form.value("definition"),
            "page": page,
            "query": query,
            "back": f"{reverse('analytics:process_kpis')}?{back.urlencode()}",
        },
    )


# --- Forecast and its accuracy --------------------------------------------------------------


@report("forecast")
def forecast_report(request):
    """The weighted pipeline by expected close month, and how accurate past forecasts were."""
    data = request.GET.copy()
    data.setdefault("period", "last_12_months")  # so the select shows the period used
    form = ReportFilterForm(data, fields=KPI_FILTERS, default_period="last_12_months")
    form.fields["definition"].queryset = ProcessDefinition.objects.filter(
        kind=ProcessDefinition.Kind.SALES
    )
    owner = form.value("owner")
    definitions = forecast.sales_definitions(form.value("definition"))
    months = forecast.past_months(form.selected_period, today=timezone.localdate())
    with report_transaction():
        by_owner = forecast.forecast_accuracy(
            months=months, definitions=definitions, owner=owner, by_owner=True
        )
        pipeline, pipeline_at = forecast.recent_pipeline_by_month(
            definitions=definitions, owner=owner
        )
    if wants_csv(request):
        return csv_response(
            request,
            "forecast-accuracy",
            [
                _("Month"),
                _("Owner"),
                _("Currency"),
                _("Forecast"),
                _("Actual won"),
                _("Accuracy (%)"),
            ],
            [
                [
                    f"{row.month:%Y-%m}",
                    row.owner_name,
                    row.currency,
                    f"{row.forecast:.2f}",
                    f"{row.actual:.2f}",
                    "" if row.accuracy is None else f"{row.accuracy:.1f}",
                ]
                for row in by_owner
            ],
        )
    totals = forecast.totals_of(by_owner)
    # Each month's owners beside its total, grouped here once: looking them up in the template
    # compared every owner row with every total.
    lines = {}
    for line in by_owner:
        lines.setdefault((line.month, line.currency), []).append(line)
    for row in totals:
        row.lines = lines.get((row.month, row.currency), [])
    currencies = sorted({row.currency for row in totals} | {row.currency for row in pipeline})
    month_labels = [date_format(month, "YEAR_MONTH_FORMAT") for month in months]
    pipeline_months = sorted({row.month for row in pipeline if row.month})
    return render(
        request,
        "analytics/forecast.html",
        {
            "filters": form,
            "pipeline": pipeline,
            "pipeline_at": pipeline_at,
            "totals": totals,
            "by_owner": by_owner,
            "accuracy_chart": chart(
                "bar",
                month_labels,
                [
                    {
                        "label": code,
                        "data": [
                            forecast.rounded(
                                next(
                                    (
                                        row.accuracy
                                        for row in totals
                                        if row.month == month and row.currency == code
                                    ),
                                    None,
                                )
                            )
                            for month in months
                        ],
                    }
                    for code in currencies
                ],
                scales={"y": {"suggestedMin": 0, "suggestedMax": 100}},
            ),
            # One chart per currency: amounts in CZK, EUR and PLN on one axis would compare
            # numbers that are not comparable.
            "pipeline_charts": [
                (
                    code,
                    chart(
                        "bar",
                        [date_format(month, "YEAR_MONTH_FORMAT") for month in pipeline_months],
                        [
                            {
                                "label": code,
                                "data": [
                                    float(
                                        sum(
                                            (
                                                row.weighted
                                                for row in pipeline
                                                if row.month == month and row.currency == code
                                            ),
                                            0,
                                        )
                                    )
                                    for month in pipeline_months
                                ],
                            }
                        ],
                        scales={"y": {"beginAtZero": True}},
                        plugins={"legend": {"display": False}},
                    ),
                )
                for code in sorted({row.currency for row in pipeline})
            ],
        },
    )
