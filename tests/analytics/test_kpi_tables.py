"""The KPI dashboard's tables as analytics_tags renders them (kpi_table_body, stage_table_body):
the figures, badges and targets of each cell, what is missing, and escaping; and the days the
rollup has computed, which the dashboard reads once per request."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.utils import translation

from analytics import process_kpis
from analytics.models import ProcessKpiDay
from analytics.process_kpis import DefinitionKpis, Measure, Metric, StageKpis
from analytics.templatetags.analytics_tags import kpi_table_body, stage_table_body
from processes.models import ProcessDefinition, Stage

LINKS = {
    show: f"/reports/process-kpis/instances/?show={show}&definition=7&x=\"'<>"
    for show in ("started", "closed", "succeeded", "cycle", "sla_missed", "cost", "won")
}


def kpis(name="<i>Deals & co</i>", kind="sales", **figures):
    definition = ProcessDefinition(pk=7, name=name, kind=kind, currency="PLN")
    row = DefinitionKpis(definition=definition, **figures)
    row.links = dict(LINKS)
    return row


def cells(html, kpi):
    """The contents of the cells of one data-kpi row."""
    marker = f'<td data-kpi="{kpi}">'
    return [part.split("</td>")[0] for part in html.split(marker)[1:]]


@pytest.fixture(autouse=True)
def english():
    with translation.override("en"):
        yield


def test_each_figure_links_to_its_instances_with_its_badge_and_target():
    row = kpis(started=12, closed=9, succeeded=6, cycle_median_days=4.04, cycle_p90_days=8.75)
    row.measures = {
        Metric.WIN_RATE: Measure(value=66.666, target=Decimal("70"), status="amber"),
        Metric.AVG_CYCLE_DAYS: Measure(value=5.25, status=None),
        Metric.AVG_COST: Measure(value=Decimal("1234.5"), target=Decimal("1000"), status="red"),
        Metric.SLA_MET_RATE: Measure(value=None, target=Decimal("90"), status=None),
    }
    html = str(kpi_table_body([row]))
    started = cells(html, "started")[0]
    assert started == (
        '<a href="/reports/process-kpis/instances/?show=started&amp;definition=7'
        '&amp;x=&quot;&#x27;&lt;&gt;">12</a>'
    )
    conversion = cells(html, "conversion")[0]
    assert ">66.7%</a>" in conversion
    assert 'data-rag="amber"' in conversion
    assert '<div class="small text-muted">target 70.0%</div>' in conversion
    assert ">4.0 / 8.8</a>" in cells(html, "cycle-percentiles")[0]
    average = cells(html, "cycle-average")[0]
    assert ">5.3</a>" in average  # rounded half up, as floatformat does
    assert "data-rag" not in average and "target" not in average
    cost = cells(html, "cost")[0]
    assert ">1,234.50 PLN</a>" in cost and 'data-rag="red"' in cost
    assert "target 1,000.00 PLN" in cost
    # A target but nothing measured: a dash, the target, no colour.
    sla = cells(html, "sla")[0]
    assert '<span class="text-muted">—</span>' in sla and "target 90.0%" in sla
    assert "data-rag" not in sla
    assert html.count("<tr>") == 9 and html.count('<th scope="row">') == 9


def test_a_definition_without_figures_shows_dashes():
    html = str(kpi_table_body([kpis()]))
    for kpi in ("conversion", "cycle-percentiles", "cycle-average", "cost", "value-per-cost"):
        assert cells(html, kpi)[0].startswith('<span class="text-muted">—</span>'), kpi
    assert cells(html, "started")[0].endswith(">0</a>")


def test_the_labels_follow_the_kind():
    support = str(kpi_table_body([kpis(kind="support")]))
    assert "Resolution rate (resolved ÷ closed)" in support and "Amount won" in support
    collections = str(kpi_table_body([kpis(kind="collections")]))
    assert "Win rate (won ÷ closed)" in collections and "Amount recovered" in collections


def test_sla_detail_other_currencies_and_value_per_cost():
    lead = StageKpis(stage=Stage(name="Lead"), sla_total=4, sla_met=3)
    row = kpis(
        closed=3,
        cost_total=Decimal("200"),
        won={"PLN": Decimal("1000"), "EUR": Decimal("400")},
        stages=[lead],
        response_total=2,
        response_met=1,
    )
    row.measures = {Metric.AMOUNT_RECOVERED: Measure(value=Decimal("1000"))}
    html = str(kpi_table_body([row, kpis(name="Second")]))
    assert len(cells(html, "sla")) == 2
    assert "4 of 6 deadlines · responses 1/2</div>" in cells(html, "sla")[0]
    assert "deadlines" not in cells(html, "sla")[1]
    amount = cells(html, "amount")[0]
    assert ">1,000.00 PLN</a>" in amount and ">400.00 EUR</a></div>" in amount
    ratios = cells(html, "value-per-cost")[0]
    assert ">2.00 EUR per 1 PLN</a></div>" in ratios and ">5.00 PLN per 1 PLN</a>" in ratios


def test_names_and_labels_are_escaped():
    stage = Stage(pk=3, name='<script>alert("x")</script> & co', sla_hours=1)
    figures = StageKpis(stage=stage, stays=2, median_days=1.25, p90_days=2, sla_total=2, sla_met=1)
    figures.link = '/x/?stage=3&show="stage"'
    html = str(stage_table_body(kpis(stages=[figures])))
    assert "<script>" not in html
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; co" in html
    assert '<a href="/x/?stage=3&amp;show=&quot;stage&quot;">2</a>' in html
    assert "(SLA 1 hour)" in html and ">1.3 / 2.0<" in html and ">50%<" in html
    with translation.override("pl"):
        polish = str(stage_table_body(kpis(stages=[figures])))
    assert ">1,3 / 2,0<" in polish


def test_a_stage_without_stays_shows_zero_and_dashes():
    html = str(stage_table_body(kpis(stages=[StageKpis(stage=Stage(name="Qualified"))])))
    assert html == (
        '<tr><td>Qualified</td><td class="text-end">0</td><td class="text-end">—</td>'
        '<td class="text-end">—</td></tr>'
    )


@pytest.mark.django_db
def test_computed_days_are_exact_with_a_gap_in_the_rollup(django_assert_num_queries):
    first = date(2026, 3, 1)
    days = [first + timedelta(days=n) for n in range(10) if n != 4]
    for day in days:
        ProcessKpiDay.objects.create(day=day, definition=None)
    today = date(2026, 4, 1)
    with django_assert_num_queries(2):  # the summary, then the days themselves
        computed, stamp = process_kpis.computed_days_stamped(first, date(2026, 3, 31), today=today)
    assert computed == set(days) and stamp is not None
    with django_assert_num_queries(1):  # one day per marker, every day of their span
        computed, _ = process_kpis.computed_days_stamped(first, first + timedelta(3), today=today)
    assert computed == set(days[:4])
    assert process_kpis.computed_days(date(2026, 3, 11), date(2026, 3, 31), today=today) == set()
