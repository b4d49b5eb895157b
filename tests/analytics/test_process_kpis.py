"""The process KPI dashboard: each KPI on a small hand-built March, against its target, filtered,
drilled down to its instances and exported."""

from datetime import datetime
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from analytics import process_kpis, tasks
from analytics.aggregates import percentile
from analytics.models import DurationHistogram, ProcessKpiDay, StageKpiDay, StageStay
from analytics.periods import Period
from processes import services
from processes.models import KpiTarget, ProcessInstance
from tests.factories import CustomerFactory, UserFactory
from tests.processes.conftest import stage

pytestmark = pytest.mark.django_db

MARCH = Period(datetime(2026, 3, 1).date(), datetime(2026, 3, 31).date())
MARCH_QUERY = {"period": "custom", "start": "2026-03-01", "end": "2026-03-31"}


def at(day, hour=12, month=3):
    return timezone.make_aware(datetime(2026, month, day, hour))


def run(definition, *, by, opened, moves, owner=None, amount=None, currency="", **extra):
    """An instance opened at `opened` and moved through `moves` [(stage name, when)]."""
    instance = services.instance_open(
        definition=definition,
        customer=CustomerFactory(),
        title=f"Deal {opened:%d %H}",
        by=by,
        owner=owner,
        amount=amount,
        currency=currency,
        at=opened,
    )
    if extra.get("discount"):
        ProcessInstance.objects.filter(pk=instance.pk).update(discount_percent=extra["discount"])
    if extra.get("minutes"):
        services.instance_log_work(instance=instance, user=by, minutes=extra["minutes"])
    for name, when in moves:
        services.instance_move(
            instance=instance, to_stage=stage(definition, name), by=by, reason="done", at=when
        )
    return instance


@pytest.fixture
def other_rep(db):
    return UserFactory(username="otto_sales", roles=["sales"])


@pytest.fixture
def march_sales(sales_process, sales_rep, other_rep):
    """SMB sales in March (Lead has a 48-hour SLA, the hourly rate is 120):

    A: Lead 1 d, Qualified 3 d, won 10,000 PLN; 60 min of work (120.00); cycle 4 days.
    B: Lead 2 d (exactly its SLA), lost; 30 min of work (60.00); cycle 2 days.
    C: Lead 4 d (SLA missed), Qualified 6 d, won 2,000 EUR less 10%; cycle 10 days (other rep).
    D: opened 20 March, still open (other rep).
    """
    return {
        "A": run(
            sales_process,
            by=sales_rep,
            opened=at(2),
            moves=[("Qualified", at(3)), ("Won", at(6))],
            amount=Decimal("10000"),
            currency="PLN",
            minutes=60,
        ),
        "B": run(sales_process, by=sales_rep, opened=at(2), moves=[("Lost", at(4))], minutes=30),
        "C": run(
            sales_process,
            by=sales_rep,
            owner=other_rep,
            opened=at(1),
            moves=[("Qualified", at(5)), ("Won", at(11))],
            amount=Decimal("2000"),
            currency="EUR",
            discount=10,
        ),
        "D": run(sales_process, by=sales_rep, owner=other_rep, opened=at(20), moves=[]),
    }


@pytest.fixture
def march_tickets(standard_support, support_24_7, service_agent):
    """Standard support (New has a 4-hour SLA):

    T1 high (respond 4 h, resolve 16 h): answered after 1 h, resolved after 11 h: all met.
    T2 normal (8 h, 40 h): never answered, resolved after 48 h: response, resolution and the
    4-hour stay in New all missed.
    """
    first = services.ticket_open(
        definition=standard_support,
        customer=CustomerFactory(),
        subject="Printer jams",
        description="…",
        priority="high",
        by=service_agent,
        at=at(10, 9),
    )
    services.ticket_record_first_response(ticket=first, by=service_agent, at=at(10, 10))
    services.instance_move(
        instance=first.instance,
        to_stage=stage(standard_support, "In progress"),
        by=service_agent,
        at=at(10, 10),
    )
    services.instance_move(
        instance=first.instance,
        to_stage=stage(standard_support, "Resolved"),
        by=service_agent,
        reason="fixed",
        at=at(10, 20),
    )
    second = services.ticket_open(
        definition=standard_support,
        customer=CustomerFactory(),
        subject="Toner",
        description="…",
        priority="normal",
        by=service_agent,
        at=at(12, 9),
    )
    services.instance_move(
        instance=second.instance,
        to_stage=stage(standard_support, "Resolved"),
        by=service_agent,
        reason="sent toner",
        at=at(14, 9),
    )
    return first, second


def kpis_of(definition, **filters):
    process_kpis.stage_stays_refresh()
    rows = process_kpis.process_kpis(
        period=MARCH, definitions=process_kpis.definitions_shown(), **filters
    )
    return next(row for row in rows if row.definition == definition)


def test_volume_conversion_cycle_time_cost_and_value_per_cost_of_a_known_month(
    sales_process, march_sales
):
    kpis = kpis_of(sales_process)
    assert (kpis.started, kpis.closed, kpis.succeeded) == (4, 3, 2)
    assert kpis.conversion == pytest.approx(200 / 3)
    # Cycles 2, 4 and 10 days: median 4, p90 interpolated 4 + 0.8 x 6, average 16 / 3.
    assert kpis.cycle_median_days == pytest.approx(4)
    assert kpis.cycle_p90_days == pytest.approx(8.8)
    assert kpis.cycle_avg_days == pytest.approx(16 / 3)
    # The chart's cycle-time buckets: 0-1, 1-3, 3-7, 7-14, … days.
    assert process_kpis.cycle_distribution([kpis])[1] == [0, 1, 1, 1, 0, 0, 0, 0]
    assert kpis.cost_total == Decimal("180.00")
    assert kpis.cost_avg == Decimal("60.00")
    assert kpis.won == {"PLN": Decimal("10000.00"), "EUR": Decimal("1800.00")}
    # Each currency over the same PLN cost; the two are never added.
    assert [(code, round(ratio, 2)) for code, ratio in kpis.value_per_cost] == [
        ("EUR", Decimal("10.00")),
        ("PLN", Decimal("55.56")),
    ]


def test_time_in_each_stage_and_stage_sla_come_from_the_log_of_moves(sales_process, march_sales):
    stages = {row.stage.name: row for row in kpis_of(sales_process).stages}
    lead, qualified = stages["Lead"], stages["Qualified"]
    # Lead: 1, 2 and 4 days; its SLA is 48 hours, met exactly by B, missed by C.
    assert lead.stays == 3
    assert lead.median_days == pytest.approx(2)
    assert lead.p90_days == pytest.approx(3.6)
    assert (lead.sla_met, lead.sla_total) == (2, 3)
    # Qualified: 3 and 6 days, no SLA.
    assert qualified.stays == 2
    assert qualified.median_days == pytest.approx(4.5)
    assert qualified.p90_days == pytest.approx(5.7)
    assert qualified.sla_total == 0
    assert stages["Proposal"].stays == 0
    assert stages["Proposal"].median_days is None


def test_ticket_sla_counts_responses_resolutions_and_stage_stays(
    standard_support, support_24_7, march_tickets
):
    kpis = kpis_of(standard_support)
    assert kpis.conversion == 100
    assert (kpis.response_met, kpis.response_total) == (1, 2)
    assert (kpis.resolution_met, kpis.resolution_total) == (1, 2)
    assert (kpis.stages[0].sla_met, kpis.stages[0].sla_total) == (1, 2)
    assert kpis.sla_rate == 50
    idle = kpis_of(support_24_7)
    assert (idle.started, idle.closed, idle.sla_rate, idle.conversion) == (0, 0, None, None)


def test_stage_stays_are_measured_once_from_the_log_of_moves(sales_process, march_sales):
    # A: Lead, Qualified; B: Lead; C: Lead, Qualified. D has not left Lead yet.
    assert tasks.measure_stage_stays() == 5
    assert process_kpis.stage_stays_refresh() == 0
    stays = {
        (stay.instance_id, stay.stage.name): (stay.seconds / 86400, stay.sla_met)
        for stay in StageStay.objects.select_related("stage")
    }
    deals = march_sales
    assert stays == {
        (deals["A"].pk, "Lead"): (1, True),
        (deals["A"].pk, "Qualified"): (3, None),
        (deals["B"].pk, "Lead"): (2, True),
        (deals["C"].pk, "Lead"): (4, False),
        (deals["C"].pk, "Qualified"): (6, None),
    }


def test_stays_are_measured_in_batches_and_a_late_committed_move_is_still_found(
    sales_process, march_sales
):
    assert process_kpis.stage_stays_refresh(batch_size=2, max_batches=1) == 2
    assert process_kpis.stage_stays_refresh(batch_size=2) == 3
    StageStay.objects.filter(instance=march_sales["A"]).order_by("pk").first().delete()
    assert process_kpis.stage_stays_refresh() == 1
    assert StageStay.objects.count() == 5


def test_the_sla_drill_down_lists_tickets_that_missed_a_deadline(
    persona_client, manager, standard_support, march_tickets
):
    response = persona_client(manager).get(
        reverse("analytics:process_kpi_instances"),
        {**MARCH_QUERY, "definition": standard_support.pk, "show": "sla_missed"},
    )
    _answered_in_time, never_answered = march_tickets
    assert [i.pk for i in response.context["page"]] == [never_answered.pk]


@pytest.mark.parametrize(
    ("metric", "value", "target", "status"),
    [
        ("win_rate", 70, 70, "green"),
        ("win_rate", 63, 70, "amber"),
        ("win_rate", 62.9, 70, "red"),
        ("avg_cycle_days", 5, 5, "green"),
        ("avg_cycle_days", 5.5, 5, "amber"),
        ("avg_cycle_days", 5.6, 5, "red"),
        ("avg_cost", 40, 50, "green"),
        ("avg_cost", None, 50, None),
        ("sla_met_rate", 99, None, None),
    ],
)
def test_rag_is_amber_within_ten_percent_on_the_wrong_side(metric, value, target, status):
    assert process_kpis.rag(metric, value, target) == status


def test_each_kpi_is_coloured_against_its_target(sales_process, march_sales):
    for metric, target, period in [
        ("win_rate", 70, "month"),  # 66.7 %: amber
        ("avg_cycle_days", 5, "month"),  # 5.33 days: amber (lower is better)
        ("avg_cost", 50, "month"),  # 60.00: red
        ("sla_met_rate", 60, "month"),  # 66.7 %: green
        ("amount_recovered", 9000, "month"),  # 10,000 PLN vs 9,000 x 31 / 30.44: green
        ("win_rate", 10, "year"),  # a yearly target loses to the monthly one for a month
    ]:
        KpiTarget.objects.create(
            definition=sales_process, metric=metric, target=target, period=period
        )
    measures = kpis_of(sales_process).measures
    assert {metric: m.status for metric, m in measures.items()} == {
        "win_rate": "amber",
        "avg_cycle_days": "amber",
        "avg_cost": "red",
        "sla_met_rate": "green",
        "amount_recovered": "green",
    }
    assert measures["amount_recovered"].target == Decimal("9165.57")


def test_owner_and_definition_filters_narrow_every_figure(
    sales_process, enterprise_sales, march_sales, sales_rep
):
    kpis = kpis_of(sales_process, owner=sales_rep)
    assert (kpis.started, kpis.closed, kpis.succeeded) == (2, 2, 1)
    assert kpis.won == {"PLN": Decimal("10000.00")}
    assert [s.stays for s in kpis.stages][:2] == [2, 1]
    rows = process_kpis.process_kpis(period=MARCH, definitions=[enterprise_sales])
    assert [row.definition for row in rows] == [enterprise_sales]
    assert rows[0].started == 0


def test_the_period_decides_which_instances_count(sales_process, march_sales):
    process_kpis.stage_stays_refresh()
    april = Period(datetime(2026, 4, 1).date(), datetime(2026, 4, 30).date())
    rows = process_kpis.process_kpis(period=april, definitions=[sales_process])
    assert (rows[0].started, rows[0].closed, rows[0].stages[0].stays) == (0, 0, 0)


def test_the_dashboard_shows_variants_side_by_side_with_links_to_their_instances(
    persona_client,
    manager,
    sales_process,
    enterprise_sales,
    standard_support,
    support_24_7,
    march_sales,
    march_tickets,
    django_assert_max_num_queries,
):
    client = persona_client(manager)
    with django_assert_max_num_queries(24):
        response = client.get(reverse("analytics:process_kpis"), MARCH_QUERY)
    assert response.status_code == 200
    page = response.content.decode()
    sales_card = page[page.index('id="kpi-sales"') : page.index('id="kpi-support"')]
    assert "Enterprise sales" in sales_card and "SMB sales" in sales_card
    support_card = page[page.index('id="kpi-support"') :]
    assert "24/7 support" in support_card and "Standard support" in support_card
    assert "66.7%" in sales_card
    assert "4.0 / 8.8" in sales_card
    assert "10.00 EUR per 1 PLN" in sales_card
    assert 'data-chart="chart-volume"' in page and 'data-chart="chart-cycle"' in page
    assert "within 10%" in page  # the legend


def test_drilling_down_lists_the_instances_behind_a_number(
    persona_client, manager, sales_process, march_sales, django_assert_max_num_queries
):
    client = persona_client(manager)
    url = reverse("analytics:process_kpi_instances")

    def titles(**params):
        with django_assert_max_num_queries(12):
            response = client.get(url, {**MARCH_QUERY, "definition": sales_process.pk, **params})
        assert response.status_code == 200
        return {i.pk for i in response.context["page"]}

    deals = march_sales
    assert titles(show="started") == {deals[k].pk for k in "ABCD"}
    assert titles(show="closed") == {deals[k].pk for k in "ABC"}
    assert titles(show="succeeded") == {deals["A"].pk, deals["C"].pk}
    assert titles(show="sla_missed") == {deals["C"].pk}
    lead = stage(sales_process, "Lead")
    assert titles(show="stage", stage=lead.pk) == {deals[k].pk for k in "ABC"}
    response = client.get(url, {**MARCH_QUERY, "definition": sales_process.pk, "show": "cycle"})
    assert [i.pk for i in response.context["page"]] == [deals[k].pk for k in "CAB"]


def test_the_dashboard_page_links_each_number_to_its_drill_down(
    persona_client, manager, sales_process, march_sales
):
    response = persona_client(manager).get(
        reverse("analytics:process_kpis"), {**MARCH_QUERY, "definition": sales_process.pk}
    )
    kpis = response.context["groups"][0][1][0]
    assert "show=started" in kpis.links["started"]
    assert f"definition={sales_process.pk}" in kpis.links["started"]
    assert "start=2026-03-01" in kpis.links["started"]
    assert kpis.links["started"] in response.content.decode().replace("&amp;", "&")


def test_csv_export_has_one_row_per_definition(persona_client, manager, sales_process, march_sales):
    response = persona_client(manager).get(
        reverse("analytics:process_kpis"),
        {**MARCH_QUERY, "definition": sales_process.pk, "format": "csv"},
    )
    lines = response.content.decode("utf-8-sig").splitlines()
    assert lines[0].startswith("Kind,Process,Started,Closed,Won or resolved,Conversion (%)")
    assert lines[1].startswith(
        "Sales,SMB sales,4,3,2,66.7,4.0,8.8,5.3,66.7,60.00,PLN,EUR 10.00 PLN 55.56"
    )
    assert len(lines) == 2


@pytest.mark.parametrize("name", ["process_kpis", "process_kpi_instances"])
def test_only_managers_see_the_kpis(client, persona_client, sales_rep, name):
    url = reverse(f"analytics:{name}")
    response = client.get(url)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))
    assert persona_client(sales_rep).get(url).status_code == 403


# --- The nightly rollup (analytics.process_kpis.rollup) -----------------------------------------

MARCH_1, MARCH_31 = MARCH.start, MARCH.end
APRIL_1 = datetime(2026, 4, 1).date()


def rollup_rows():
    return (
        sorted(
            ProcessKpiDay.objects.values_list(
                "day", "definition", "started", "closed", "succeeded", "cost_total", "won"
            ),
            key=str,
        ),
        sorted(StageKpiDay.objects.values_list("day", "stage", "stays", "sla_met"), key=str),
        sorted(
            DurationHistogram.objects.values_list("span", "day", "stage", "bucket", "count"),
            key=str,
        ),
    )


def test_a_rolled_up_month_gives_the_live_figures_percentiles_within_three_percent(
    sales_process, march_sales
):
    assert process_kpis.process_kpi_rollup(first=MARCH_1, last=MARCH_31) == 31
    kpis = kpis_of(sales_process)
    assert (kpis.started, kpis.closed, kpis.succeeded) == (4, 3, 2)
    assert kpis.cycle_avg_days == pytest.approx(16 / 3)
    assert kpis.cycle_median_days == pytest.approx(4, rel=0.03)
    assert kpis.cycle_p90_days == pytest.approx(8.8, rel=0.03)
    assert process_kpis.cycle_distribution([kpis])[1] == [0, 1, 1, 1, 0, 0, 0, 0]
    assert (kpis.cost_total, kpis.cost_avg) == (Decimal("180.00"), Decimal("60.00"))
    assert kpis.won == {"PLN": Decimal("10000.00"), "EUR": Decimal("1800.00")}
    lead, qualified = kpis.stages[0], kpis.stages[1]
    assert (lead.stays, lead.sla_met, lead.sla_total) == (3, 2, 3)
    assert lead.median_days == pytest.approx(2, rel=0.03)
    assert lead.p90_days == pytest.approx(3.6, rel=0.03)
    assert lead.avg_days == pytest.approx(7 / 3)
    assert qualified.median_days == pytest.approx(4.5, rel=0.03)
    # The whole month is read from its month histogram.
    assert DurationHistogram.objects.filter(span="month", day=MARCH_1).exists()


def test_ticket_deadlines_add_up_across_rolled_up_days(
    standard_support, support_24_7, march_tickets
):
    process_kpis.process_kpi_rollup(first=MARCH_1, last=MARCH_31)
    kpis = kpis_of(standard_support)
    assert (kpis.response_met, kpis.response_total) == (1, 2)
    assert (kpis.resolution_met, kpis.resolution_total) == (1, 2)
    assert kpis.sla_rate == 50


def test_the_rollup_is_idempotent(sales_process, march_sales):
    process_kpis.process_kpi_rollup(first=MARCH_1, last=MARCH_31)
    first = rollup_rows()
    process_kpis.process_kpi_rollup(first=MARCH_1, last=MARCH_31)
    process_kpis.process_kpi_rollup(first=datetime(2026, 3, 5).date(), last=MARCH_31)
    assert rollup_rows() == first
    assert ProcessKpiDay.objects.filter(definition=None).count() == 31


def test_days_not_computed_are_measured_live_beside_the_computed_ones(sales_process, march_sales):
    # Only the first five days computed: A's and C's stays in Lead end later, and are live.
    process_kpis.process_kpi_rollup(first=MARCH_1, last=datetime(2026, 3, 5).date())
    kpis = kpis_of(sales_process)
    assert (kpis.started, kpis.closed, kpis.succeeded) == (4, 3, 2)
    assert kpis.won == {"PLN": Decimal("10000.00"), "EUR": Decimal("1800.00")}
    assert kpis.cycle_median_days == pytest.approx(4, rel=0.03)
    assert [s.stays for s in kpis.stages][:2] == [3, 2]
    assert not DurationHistogram.objects.filter(span="month").exists()


def test_today_is_measured_live_after_the_nightly_rollup(
    sales_process, sales_rep, django_capture_on_commit_callbacks
):
    today = timezone.localdate()
    yesterday = timezone.now() - timezone.timedelta(days=1)
    run(sales_process, by=sales_rep, opened=yesterday, moves=[("Lost", yesterday)])
    assert tasks.rollup_process_kpis() >= 1
    assert process_kpis.computed_days(today - timezone.timedelta(days=1), today) == {
        today - timezone.timedelta(days=1)
    }
    run(sales_process, by=sales_rep, opened=timezone.now(), moves=[("Lost", timezone.now())])
    period = Period(today - timezone.timedelta(days=1), today)
    rows = process_kpis.process_kpis(period=period, definitions=[sales_process])
    assert (rows[0].started, rows[0].closed) == (2, 2)
    _weeks, started, closed = process_kpis.weekly_volume(period=period, definitions=[sales_process])
    assert (sum(started), sum(closed)) == (2, 2)


def test_the_days_left_are_checked_for_anything_to_measure(
    sales_process, standard_support, sales_rep
):
    deal = run(
        sales_process,
        by=sales_rep,
        opened=at(2),
        moves=[("Qualified", at(10)), ("Lost", at(20))],
    )
    process_kpis.stage_stays_refresh()

    def holds(first, last, definitions=(sales_process,)):
        return process_kpis.hold_anything(
            [(datetime(2026, 3, first).date(), datetime(2026, 3, last).date())],
            definitions=list(definitions),
        )

    assert holds(2, 2)  # opened
    assert holds(10, 10)  # only a stay in Lead ended
    assert not holds(3, 9)
    assert not holds(21, 31)
    assert not holds(2, 20, definitions=[standard_support])
    # The closing alone, its stay in Qualified set aside:
    StageStay.objects.filter(instance=deal, left_at=at(20)).delete()
    assert holds(20, 20)
    two_runs = [(at(5).date(), at(6).date()), (at(20).date(), at(20).date())]
    assert process_kpis.hold_anything(two_runs, definitions=[sales_process])


def test_days_left_that_hold_nothing_are_not_measured(
    sales_process, march_sales, django_assert_num_queries
):
    process_kpis.process_kpi_rollup(first=MARCH_1, last=datetime(2026, 3, 24).date())
    definitions = process_kpis.definitions_shown()
    days = process_kpis.computed_days_of(MARCH, definitions=definitions, today=APRIL_1)
    assert (len(days.computed), days.live) == (24, [])  # 25 to 31 March: nothing happened
    kpis_of(sales_process)  # the rolled-up part cached
    with django_assert_num_queries(2):  # the stages, the targets
        rows = process_kpis.process_kpis(period=MARCH, definitions=definitions, computed_days=days)
    kpis = next(row for row in rows if row.definition == sales_process)
    assert (kpis.started, kpis.closed, kpis.succeeded) == (4, 3, 2)
    assert [s.stays for s in kpis.stages][:2] == [3, 2]


@pytest.mark.parametrize(
    ("opened", "moves", "started", "closed", "lead_stays"),
    [
        (at(25), [], 5, 3, 3),
        (at(2), [("Qualified", at(25))], 5, 3, 4),
        (at(2), [("Lost", at(25))], 5, 4, 4),
    ],
    ids=["opened", "a stay ended", "closed"],
)
def test_days_left_that_hold_anything_are_measured_live(
    sales_process, sales_rep, march_sales, opened, moves, started, closed, lead_stays
):
    run(sales_process, by=sales_rep, opened=opened, moves=moves)
    process_kpis.process_kpi_rollup(first=MARCH_1, last=datetime(2026, 3, 24).date())
    definitions = process_kpis.definitions_shown()
    days = process_kpis.computed_days_of(MARCH, definitions=definitions, today=APRIL_1)
    assert days.live == [(datetime(2026, 3, 25).date(), MARCH_31)]
    rows = process_kpis.process_kpis(period=MARCH, definitions=definitions, computed_days=days)
    kpis = next(row for row in rows if row.definition == sales_process)
    assert (kpis.started, kpis.closed, kpis.stages[0].stays) == (started, closed, lead_stays)
    _weeks, by_week, closed_by_week = process_kpis.weekly_volume(
        period=MARCH, definitions=definitions, computed_days=days
    )
    assert (sum(by_week), sum(closed_by_week)) == (started, closed)


def test_the_nightly_job_fills_every_past_day_then_only_the_last_week(sales_process, march_sales):
    today = datetime(2026, 4, 3).date()
    days = process_kpis.process_kpi_rollup_nightly(today=today)
    assert days == (today - datetime(2026, 3, 1).date()).days  # 1 March to 2 April
    assert process_kpis.process_kpi_rollup_nightly(today=today) == process_kpis.ROLLUP_REFRESH_DAYS


def test_an_owner_filter_is_measured_live(sales_process, march_sales, sales_rep):
    process_kpis.process_kpi_rollup(first=MARCH_1, last=MARCH_31)
    kpis = kpis_of(sales_process, owner=sales_rep)
    assert (kpis.started, kpis.closed, kpis.succeeded) == (2, 2, 1)
    assert kpis.cycle_median_days == pytest.approx(3)  # 2 and 4 days, exactly


def test_histogram_percentiles_are_within_the_bucket_precision():
    values = [60 * 1.37**n for n in range(40)] + [86400 * 4] * 7
    counts = {}
    for value in values:
        counts[process_kpis.bucket_of(value)] = counts.get(process_kpis.bucket_of(value), 0) + 1
    for fraction in (0.5, 0.9):
        exact = percentile(values, fraction)
        assert process_kpis.histogram_percentile(counts, fraction) == pytest.approx(exact, rel=0.03)
    assert process_kpis.histogram_percentile({}, 0.5) is None


def test_the_rolled_up_dashboard_keeps_its_query_budget(
    persona_client,
    manager,
    sales_process,
    standard_support,
    march_sales,
    march_tickets,
    django_assert_max_num_queries,
):
    process_kpis.process_kpi_rollup(first=MARCH_1, last=MARCH_31)
    client = persona_client(manager)
    with django_assert_max_num_queries(24):
        response = client.get(reverse("analytics:process_kpis"), MARCH_QUERY)
    assert "66.7%" in response.content.decode()


def test_the_rolled_up_part_is_cached_until_the_rollup_computes_its_days_again(
    sales_process, sales_rep, march_sales, django_assert_num_queries
):
    process_kpis.process_kpi_rollup(first=MARCH_1, last=MARCH_31)
    assert kpis_of(sales_process).started == 4
    run(sales_process, by=sales_rep, opened=at(20), moves=[("Lost", at(22))])
    # Still the rollup's figure, now from the cache: none of the rollup's tables is read.
    definitions = process_kpis.definitions_shown()
    with django_assert_num_queries(3):  # the computed days, the stages, the targets
        rows = process_kpis.process_kpis(period=MARCH, definitions=definitions)
    assert next(r for r in rows if r.definition == sales_process).started == 4
    process_kpis.process_kpi_rollup(first=datetime(2026, 3, 20).date(), last=MARCH_31)
    kpis = kpis_of(sales_process)
    assert (kpis.started, kpis.closed, kpis.succeeded) == (5, 4, 2)


def test_a_newly_computed_day_gives_a_new_cache_entry(sales_process, sales_rep, march_sales):
    process_kpis.process_kpi_rollup(first=MARCH_1, last=datetime(2026, 3, 19).date())
    assert kpis_of(sales_process).started == 4
    run(sales_process, by=sales_rep, opened=at(20), moves=[("Lost", at(22))])
    assert kpis_of(sales_process).started == 5  # 20 March not computed: live
    process_kpis.process_kpi_rollup(first=datetime(2026, 3, 20).date(), last=MARCH_31)
    assert kpis_of(sales_process).closed == 4
