"""The sales forecast: today's weighted pipeline, the weekly snapshots of it, and how accurate the
snapshots taken before each past month turned out to be."""

from datetime import date, datetime, timedelta
from decimal import Decimal

import pytest
from django.conf import settings
from django.core.cache import cache
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from analytics import forecast, process_kpis, tasks
from analytics.models import ForecastSnapshot, ProcessKpiDay, WonDay
from analytics.periods import month_end, month_start
from core.models import UserProfile
from processes import services as process_services
from processes.models import ProcessInstance
from tests.dates import clock_today
from tests.factories import CustomerFactory, UserFactory
from tests.processes.conftest import stage

pytestmark = pytest.mark.django_db


def dates_from(today):
    """The months these tests are about, from `today` (tests/conftest.py `todays_date` calls it
    again if a run crosses midnight)."""
    return {
        "NEXT_MONTH": forecast.next_month(month_start(today)),
        "M1": month_start(today, 3),  # three months ago
        "M2": month_start(today, 2),
    }


TODAY = clock_today()
NEXT_MONTH, M1, M2 = (dates_from(TODAY)[name] for name in ("NEXT_MONTH", "M1", "M2"))


def opportunity(definition, *, by, stage_name, amount, currency="PLN", close=None, **extra):
    instance = process_services.instance_open(
        definition=definition,
        customer=CustomerFactory(),
        title=f"{stage_name} {amount}",
        by=by,
        owner=extra.get("owner"),
        amount=Decimal(amount) if amount is not None else None,
        currency=currency if amount is not None else "",
        expected_close_on=close,
        at=extra.get("opened"),
    )
    if extra.get("discount"):
        ProcessInstance.objects.filter(pk=instance.pk).update(discount_percent=extra["discount"])
    if stage_name != "Lead":
        process_services.instance_move(
            instance=instance,
            to_stage=stage(definition, stage_name),
            by=by,
            reason="decided",
            at=extra.get("moved"),
        )
    return instance


@pytest.fixture
def pipeline(sales_process, sales_rep):
    """Open SMB opportunities (Lead 10%, Qualified 30%, Proposal 60%):

    next month: 10,000 PLN in Lead (1,000 weighted), 5,000 PLN less 10% in Proposal (2,700),
    1,000 EUR in Qualified (300 EUR); undated: 2,000 PLN in Lead (200); one without an amount.
    """
    for stage_name, amount, currency, close, discount in [
        ("Lead", "10000", "PLN", NEXT_MONTH, 0),
        ("Proposal", "5000", "PLN", NEXT_MONTH + timedelta(days=3), 10),
        ("Qualified", "1000", "EUR", NEXT_MONTH, 0),
        ("Lead", "2000", "PLN", None, 0),
        ("Lead", None, "", NEXT_MONTH, 0),
    ]:
        opportunity(
            sales_process,
            by=sales_rep,
            stage_name=stage_name,
            amount=amount,
            currency=currency,
            close=close,
            discount=discount,
        )


def test_the_weighted_pipeline_is_net_amount_times_stage_probability_per_month_and_currency(
    sales_process, pipeline
):
    rows = forecast.pipeline_by_month(definitions=[sales_process])
    assert [(r.month, r.currency, r.count, r.amount, r.weighted) for r in rows] == [
        (NEXT_MONTH, "EUR", 1, Decimal("1000.00"), Decimal("300.00")),
        (NEXT_MONTH, "PLN", 2, Decimal("14500.00"), Decimal("3700.00")),
        (None, "PLN", 1, Decimal("2000.00"), Decimal("200.00")),
    ]
    # The same figure as each instance's own weighted amount.
    dated = ProcessInstance.objects.filter(expected_close_on__isnull=False, currency="PLN")
    assert sum(i.weighted_amount for i in dated) == Decimal("3700.00")


def test_a_snapshot_is_written_once_a_day_whoever_runs_it(sales_process, pipeline, sales_rep):
    assert forecast.forecast_snapshot_take() == 2
    assert tasks.snapshot_forecast() == 0
    call_command("snapshot_forecast")
    assert forecast.forecast_snapshot_take() == 0
    snapshots = ForecastSnapshot.objects.order_by("currency")
    assert [
        (s.snapshot_on, s.month, s.owner, s.currency, s.count, s.amount, s.weighted_amount)
        for s in snapshots
    ] == [
        (TODAY, NEXT_MONTH, sales_rep, "EUR", 1, Decimal("1000.00"), Decimal("300.00")),
        (TODAY, NEXT_MONTH, sales_rep, "PLN", 2, Decimal("14500.00"), Decimal("3700.00")),
    ]
    assert forecast.forecast_snapshot_take(on=TODAY + timedelta(days=7)) == 2


def test_the_snapshot_runs_weekly_from_beat():
    entry = settings.CELERY_BEAT_SCHEDULE["analytics-snapshot-forecast"]
    assert entry["task"] == "analytics.tasks.snapshot_forecast"
    assert entry["schedule"].day_of_week == {1}


@pytest.fixture
def other_rep(db):
    return UserFactory(username="otto_sales", roles=["sales"])


@pytest.fixture
def history(sales_process, sales_rep, other_rep):
    """Snapshots around two past months, and what was won in them.

    M1: the latest snapshot before it forecast 12,000 PLN; 9,000 PLN was won: 75 %.
    M2: the latest snapshot before it (taken during M1) forecast 6,000 (sally) + 4,000 (otto);
    sally won 6,000 (100 %), otto 5,000 (75 %), together 11,000 of 10,000 (90 %); 500 EUR won
    without a forecast; a lost deal and a snapshot taken during M2 do not count.
    """

    def snap(taken, month, amount, owner=sales_rep):
        ForecastSnapshot.objects.create(
            snapshot_on=taken,
            month=month,
            owner=owner,
            definition=sales_process,
            currency="PLN",
            weighted_amount=Decimal(amount),
            amount=Decimal(amount) * 2,
            count=1,
        )

    snap(M1 - timedelta(days=10), M1, "10000")
    snap(M1 - timedelta(days=10), M2, "8000")
    snap(M1 - timedelta(days=3), M1, "12000")
    snap(M1 - timedelta(days=3), M2, "5000")
    snap(M1 + timedelta(days=5), M2, "6000")
    snap(M1 + timedelta(days=5), M2, "4000", owner=other_rep)
    snap(M2 + timedelta(days=1), M2, "999")

    def won(month, amount, *, owner=sales_rep, currency="PLN", discount=0, outcome="Won"):
        closing = timezone.make_aware(
            datetime.combine(month + timedelta(days=14), datetime.min.time())
        )
        opportunity(
            sales_process,
            by=sales_rep,
            owner=owner,
            stage_name=outcome,
            amount=amount,
            currency=currency,
            discount=discount,
            opened=closing - timedelta(days=20),
            moved=closing,
        )

    won(M1, "10000", discount=10)
    won(M2, "6000")
    won(M2, "5000", owner=other_rep)
    won(M2, "500", currency="EUR")
    won(M2, "7000", outcome="Lost")


@pytest.fixture(params=["live", "rolled up", "first month rolled up"])
def won_source(request, history):
    """The same history, with the amounts won read live, from the nightly rollup (WonDay), or
    the first month from the rollup and the second live."""
    if request.param == "rolled up":
        process_kpis.process_kpi_rollup(first=M1, last=month_end(M2))
    elif request.param == "first month rolled up":
        process_kpis.process_kpi_rollup(first=M1, last=month_end(M1))
    return request.param


def test_the_rollup_sums_won_deals_per_day_definition_owner_and_currency(
    sales_process, history, sales_rep, other_rep
):
    process_kpis.process_kpi_rollup(first=M1, last=month_end(M2))
    day1, day2 = M1 + timedelta(days=14), M2 + timedelta(days=14)
    assert sorted(
        WonDay.objects.values_list("day", "definition", "owner", "currency", "amount", "deals")
    ) == sorted(
        [
            (day1, sales_process.pk, sales_rep.pk, "PLN", Decimal("9000.00"), 1),
            (day2, sales_process.pk, sales_rep.pk, "EUR", Decimal("500.00"), 1),
            (day2, sales_process.pk, sales_rep.pk, "PLN", Decimal("6000.00"), 1),
            (day2, sales_process.pk, other_rep.pk, "PLN", Decimal("5000.00"), 1),
        ]
    )
    # The day's KPI row still sums its owners per currency.
    kpi = ProcessKpiDay.objects.get(day=day2, definition=sales_process)
    assert {c: Decimal(v) for c, v in kpi.won.items()} == {"PLN": 11000, "EUR": 500}


def test_a_rolled_up_month_is_read_from_the_rollup(sales_process, history):
    process_kpis.process_kpi_rollup(first=M1, last=month_end(M1))
    # A deal of M1 deleted behind the rollup's back: M1 still shows what the rollup summed,
    # M2 (not rolled up) is measured live.
    ProcessInstance.objects.filter(amount=Decimal("10000")).delete()
    ProcessInstance.objects.filter(amount=Decimal("500")).delete()
    rows = forecast.totals_of(
        forecast.forecast_accuracy(months=[M1, M2], definitions=[sales_process], by_owner=True)
    )
    assert [(r.month, r.currency, r.actual) for r in rows] == [
        (M1, "PLN", Decimal("9000.00")),
        (M2, "PLN", Decimal("11000.00")),
    ]


def test_accuracy_compares_the_last_snapshot_before_each_month_with_what_was_won(
    sales_process, won_source
):
    rows = forecast.totals_of(
        forecast.forecast_accuracy(months=[M1, M2], definitions=[sales_process], by_owner=True)
    )
    assert [(r.month, r.currency, r.forecast, r.actual) for r in rows] == [
        (M1, "PLN", Decimal("12000.00"), Decimal("9000.00")),
        (M2, "EUR", Decimal("0.00"), Decimal("500.00")),
        (M2, "PLN", Decimal("10000.00"), Decimal("11000.00")),
    ]
    assert [r.accuracy for r in rows] == [75, None, 90]


def test_accuracy_per_owner(sales_process, won_source, other_rep):
    rows = forecast.forecast_accuracy(months=[M2], definitions=[sales_process], by_owner=True)
    pln = {r.owner_name: r.accuracy for r in rows if r.currency == "PLN"}
    assert pln == {"sally_sales": 100, "otto_sales": 75}
    only_otto = forecast.forecast_accuracy(
        months=[M2], definitions=[sales_process], owner=other_rep
    )
    assert [(r.forecast, r.actual, r.accuracy) for r in only_otto] == [
        (Decimal("4000.00"), Decimal("5000.00"), 75)
    ]


def test_the_month_after_december_is_january():
    assert forecast.next_month(date(2026, 12, 1)) == date(2027, 1, 1)


def test_only_months_that_have_ended_are_judged():
    period = forecast.Period(date(2026, 1, 10), date(2026, 4, 20))
    assert forecast.past_months(period, today=date(2026, 4, 20)) == [
        date(2026, 1, 1),
        date(2026, 2, 1),
        date(2026, 3, 1),
    ]


def test_the_forecast_page_shows_pipeline_accuracy_and_the_formula(
    persona_client, manager, sales_process, pipeline, history, django_assert_max_num_queries
):
    client = persona_client(manager)
    with django_assert_max_num_queries(16):
        response = client.get(reverse("analytics:forecast"))
    assert response.status_code == 200
    page = response.content.decode()
    assert "1 − |actual − forecast| ÷ forecast" in page  # noqa: RUF001
    assert 'data-chart="chart-accuracy"' in page
    # The pipeline is drawn per currency, never CZK, EUR and PLN on one axis.
    assert 'data-chart="chart-pipeline-PLN"' in page and 'data-chart="chart-pipeline-EUR"' in page
    assert page.count('data-chart="chart-pipeline-') == 2
    assert "3,700.00" in page  # next month's weighted PLN pipeline
    assert "90.0%" in page and "75.0%" in page


def test_the_page_reuses_a_pipeline_summed_less_than_a_minute_ago(
    persona_client, manager, sales_process, sales_rep, pipeline
):
    client = persona_client(manager)
    assert "3,700.00" in client.get(reverse("analytics:forecast")).content.decode()
    opportunity(
        sales_process, by=sales_rep, stage_name="Lead", amount="1000", close=NEXT_MONTH
    )  # 100 weighted
    response = client.get(reverse("analytics:forecast"))
    assert "3,700.00" in response.content.decode()
    assert "at most a minute old" in response.content.decode()
    assert timezone.now() - response.context["pipeline_at"] < timedelta(minutes=1)
    cache.clear()  # a minute later
    assert "3,800.00" in client.get(reverse("analytics:forecast")).content.decode()


def test_forecast_csv_has_a_row_per_month_owner_and_currency(
    persona_client, manager, sales_process, history
):
    response = persona_client(manager).get(reverse("analytics:forecast"), {"format": "csv"})
    lines = response.content.decode("utf-8-sig").splitlines()
    assert lines[0] == "Month,Owner,Currency,Forecast,Actual won,Accuracy (%)"
    assert f"{M1:%Y-%m},sally_sales,PLN,12000.00,9000.00,75.0" in lines
    assert f"{M2:%Y-%m},otto_sales,PLN,4000.00,5000.00,75.0" in lines
    assert f"{M2:%Y-%m},sally_sales,EUR,0.00,500.00," in lines


def test_csv_numbers_stay_machine_readable_in_the_users_language(
    persona_client, manager, sales_process, history
):
    """The page writes 12 000,00 for a Polish manager; the spreadsheet still gets 12000.00."""
    UserProfile.objects.create(user=manager, language="pl")
    client = persona_client(manager)
    assert "12\xa0000,00" in client.get(reverse("analytics:forecast")).content.decode()

    response = client.get(reverse("analytics:forecast"), {"format": "csv"})

    lines = response.content.decode("utf-8-sig").splitlines()
    assert f"{M1:%Y-%m},sally_sales,PLN,12000.00,9000.00,75.0" in lines


def test_only_managers_see_the_forecast(client, persona_client, sales_rep):
    url = reverse("analytics:forecast")
    response = client.get(url)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))
    assert persona_client(sales_rep).get(url).status_code == 403


def test_admins_read_snapshots_but_cannot_edit_them(client, admin_user, sales_process, history):
    client.force_login(admin_user)
    url = reverse("admin:analytics_forecastsnapshot_changelist")
    assert client.get(url).status_code == 200
    snapshot = ForecastSnapshot.objects.first()
    change = client.post(
        reverse("admin:analytics_forecastsnapshot_change", args=[snapshot.pk]),
        {"weighted_amount": "1"},
    )
    assert change.status_code == 403
    snapshot.refresh_from_db()
    assert snapshot.weighted_amount != Decimal("1")
