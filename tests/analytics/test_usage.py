"""System usage: the activity record, the figures of the usage report, its drop warning, CSV
export and who may open it."""

from datetime import date, datetime, timedelta

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.http import HttpResponse
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from analytics.middleware import SESSION_KEY, UserActivityMiddleware
from analytics.models import ReportView, UsageDay, UserActivity
from analytics.periods import Period
from analytics.tasks import rollup_usage
from analytics.usage import usage, usage_drop, usage_rollup, usage_rollup_nightly
from customers.models import Customer
from processes import services as process_services
from relationships.models import Interaction
from tests.factories import (
    CustomerFactory,
    InteractionFactory,
    ProcessDefinitionFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db

URL = reverse("analytics:usage_report")
# Two whole weeks, Monday to Sunday.
MARCH = {"period": "custom", "start": "2026-03-02", "end": "2026-03-15"}
PERIOD = Period(date(2026, 3, 2), date(2026, 3, 15))


def local(day, hour=12, minute=0):
    return timezone.make_aware(datetime(day.year, day.month, day.day, hour, minute))


def active(user, *days):
    UserActivity.objects.bulk_create([UserActivity(user=user, day=day) for day in days])


# --- The activity record ----------------------------------------------------------------------


def test_logging_in_records_the_day_once(client, sales_rep):
    client.force_login(sales_rep)
    client.get(reverse("home"))
    client.get(reverse("processes:task_list"))
    Client().force_login(sales_rep)  # a second browser the same day
    assert list(UserActivity.objects.values_list("user__username", "day")) == [
        ("sally_sales", timezone.localdate())
    ]


def test_the_first_request_of_a_new_day_records_it_and_later_requests_cost_no_query(
    client, sales_rep
):
    client.force_login(sales_rep)
    # A session that began yesterday, still open today.
    session = client.session
    session[SESSION_KEY] = (timezone.localdate() - timedelta(days=1)).isoformat()
    session.save()
    UserActivity.objects.all().delete()

    client.get(reverse("processes:task_list"))
    assert UserActivity.objects.filter(user=sales_rep, day=timezone.localdate()).count() == 1
    with CaptureQueriesContext(connection) as second:
        client.get(reverse("processes:task_list"))
    assert UserActivity.objects.count() == 1
    sql = " ".join(query["sql"] for query in second.captured_queries)
    assert "analytics_useractivity" not in sql
    assert 'UPDATE "django_session"' not in sql


def test_the_middleware_writes_once_and_then_runs_without_a_query(
    rf, sales_rep, django_assert_num_queries
):
    from django.contrib.sessions.backends.db import SessionStore

    middleware = UserActivityMiddleware(lambda request: HttpResponse("ok"))
    request = rf.get("/")
    request.user = sales_rep
    request.session = SessionStore()
    with django_assert_num_queries(1):  # the INSERT … ON CONFLICT DO NOTHING
        middleware(request)
    with django_assert_num_queries(0):
        middleware(request)
    # Another session of the user the same day: the conflict is ignored, still one row.
    other = rf.get("/")
    other.user, other.session = sales_rep, SessionStore()
    middleware(other)
    assert UserActivity.objects.filter(user=sales_rep).count() == 1


def test_anonymous_visitors_are_not_recorded(client):
    client.get(reverse("login"))
    assert not UserActivity.objects.exists()


# --- The figures ----------------------------------------------------------------------------


@pytest.fixture
def march(sales_rep, service_agent, manager, finance_clerk):
    """Two weeks of known use. Sally: 3 days, 2 customers; Sam: 1 day, 3 interactions;
    Mike: 2 days, 1 process, 2 reports; Fiona: nothing."""
    d = date(2026, 3, 1)
    active(sales_rep, d.replace(day=2), d.replace(day=3), d.replace(day=10), d.replace(day=16))
    active(service_agent, d.replace(day=3))
    active(manager, d.replace(day=10), d.replace(day=11))

    late_evening, other = CustomerFactory.create_batch(2, created_by=sales_rep)
    # 23:30 in Warsaw is 22:30 UTC: still the 3rd of March here.
    Customer.objects.filter(pk=late_evening.pk).update(created_at=local(d.replace(day=3), 23, 30))
    Customer.objects.filter(pk=other.pk).update(created_at=local(d.replace(day=3), 9))
    outside = CustomerFactory(created_by=service_agent)
    Customer.objects.filter(pk=outside.pk).update(created_at=local(d.replace(day=20)))

    for _n in range(3):
        interaction = InteractionFactory(customer=other, created_by=service_agent)
        Interaction.objects.filter(pk=interaction.pk).update(created_at=local(d.replace(day=10)))
    process_services.instance_open(
        definition=ProcessDefinitionFactory(),
        customer=other,
        title="Upsell",
        by=manager,
        at=local(d.replace(day=11)),
    )
    ReportView.objects.create(user=manager, report="usage", viewed_at=local(d.replace(day=10)))
    ReportView.objects.create(user=manager, report="kpi", viewed_at=local(d.replace(day=12)))


def _row(rows, key):
    return next(row for row in rows if row.key == key)


def test_active_users_per_day_and_week_and_records_per_user(
    march, sales_rep, service_agent, manager, finance_clerk
):
    figures = usage(PERIOD)
    active_days = {row.key: row.active for row in figures.days if row.active}
    assert active_days == {
        date(2026, 3, 2): 1,
        date(2026, 3, 3): 2,
        date(2026, 3, 10): 2,
        date(2026, 3, 11): 1,
    }
    assert [(row.key, row.active) for row in figures.weeks] == [
        (date(2026, 3, 2), 2),  # Sally and Sam
        (date(2026, 3, 9), 2),  # Sally and Mike
    ]
    assert [row.records for row in figures.weeks] == [
        {"customers": 2, "interactions": 0, "processes": 0, "reports": 0},
        {"customers": 0, "interactions": 3, "processes": 1, "reports": 2},
    ]
    by_user = {
        row.key.username: (row.active, row.last_active, row.cells()) for row in figures.users
    }
    assert by_user == {
        "fiona_finance": (0, None, [0, 0, 0, 0]),
        "mike_manager": (2, date(2026, 3, 11), [0, 0, 1, 2]),
        "sally_sales": (3, date(2026, 3, 10), [2, 0, 0, 0]),
        "sam_service": (1, date(2026, 3, 3), [0, 3, 0, 0]),
    }
    assert figures.active_users == 3
    assert figures.totals == {"customers": 2, "interactions": 3, "processes": 1, "reports": 2}
    assert _row(figures.days, date(2026, 3, 3)).records["customers"] == 2


def test_one_user_narrows_every_figure(march, sales_rep):
    figures = usage(PERIOD, user=sales_rep)
    assert [row.key for row in figures.users] == [sales_rep]
    assert [row.active for row in figures.weeks] == [1, 1]
    assert sum(row.active for row in figures.days) == 3  # the 16th is outside the period
    assert figures.totals == {"customers": 2, "interactions": 0, "processes": 0, "reports": 0}


# --- The nightly rollup ---------------------------------------------------------------------


def _figures(figures):
    return (
        [(row.key, row.active, row.records) for row in figures.days],
        [(row.key, row.active, row.records) for row in figures.weeks],
        [(row.key, row.active, row.last_active, row.records) for row in figures.users],
    )


def _rollup_rows():
    return sorted(
        UsageDay.objects.values_list(
            "day", "user__username", "customers", "interactions", "processes", "reports"
        ),
        key=lambda row: (row[0], row[1] or ""),
    )


def _sql(queries):
    return " ".join(query["sql"] for query in queries.captured_queries)


def test_the_rollup_holds_the_live_figures_by_local_day(march, sales_rep, service_agent, manager):
    # 00:30 in Warsaw on the 4th is 23:30 UTC on the 3rd: the 4th here.
    after_midnight = InteractionFactory(customer=Customer.objects.first(), created_by=sales_rep)
    Interaction.objects.filter(pk=after_midnight.pk).update(
        created_at=local(date(2026, 3, 4), 0, 30)
    )
    nobodys = CustomerFactory(created_by=None)  # an import
    Customer.objects.filter(pk=nobodys.pk).update(created_at=local(date(2026, 3, 4), 23, 59))
    live, live_sally = usage(PERIOD), usage(PERIOD, user=sales_rep)

    assert usage_rollup(first=PERIOD.start, last=PERIOD.end) == 14
    with CaptureQueriesContext(connection) as queries:
        rolled, rolled_sally = usage(PERIOD), usage(PERIOD, user=sales_rep)

    assert "relationships_interaction" not in _sql(queries)
    assert _figures(rolled) == _figures(live)
    assert _figures(rolled_sally) == _figures(live_sally)
    assert rolled.totals == {"customers": 3, "interactions": 4, "processes": 1, "reports": 2}
    recorded = [row for row in _rollup_rows() if row[2:] != (0, 0, 0, 0)]
    assert recorded == [
        (date(2026, 3, 3), "sally_sales", 2, 0, 0, 0),
        (date(2026, 3, 4), None, 1, 0, 0, 0),
        (date(2026, 3, 4), "sally_sales", 0, 1, 0, 0),
        (date(2026, 3, 10), "mike_manager", 0, 0, 0, 1),
        (date(2026, 3, 10), "sam_service", 0, 3, 0, 0),
        (date(2026, 3, 11), "mike_manager", 0, 0, 1, 0),
        (date(2026, 3, 12), "mike_manager", 0, 0, 0, 1),
    ]
    # Every computed day is marked, records or not.
    assert UsageDay.objects.filter(user=None).count() == 14


def test_running_the_rollup_again_gives_the_same_rows_and_follows_deletions(march):
    usage_rollup(first=PERIOD.start, last=PERIOD.end)
    first = _rollup_rows()
    usage_rollup(first=PERIOD.start, last=PERIOD.end)
    assert _rollup_rows() == first

    ReportView.objects.filter(report="kpi").delete()
    usage_rollup(first=PERIOD.start, last=PERIOD.end)
    assert (date(2026, 3, 12), "mike_manager", 0, 0, 0, 1) in first
    assert (date(2026, 3, 12), "mike_manager", 0, 0, 0, 1) not in _rollup_rows()
    assert usage(PERIOD).totals["reports"] == 1


def test_the_nightly_job_backfills_every_missing_day_and_refreshes_the_last_week(march):
    # The first run: all history, from the first record (3 March) to yesterday.
    assert usage_rollup_nightly(today=date(2026, 3, 16)) == 13
    marked = set(UsageDay.objects.filter(user=None).values_list("day", flat=True))
    assert marked == {date(2026, 3, 3) + timedelta(days=n) for n in range(13)}

    UsageDay.objects.filter(day__in=[date(2026, 3, 4), date(2026, 3, 5)]).delete()  # a gap
    # The gap, the new days 16-29 and nothing else before the last week.
    assert usage_rollup_nightly(today=date(2026, 3, 30)) == 2 + 14
    marked = set(UsageDay.objects.filter(user=None).values_list("day", flat=True))
    assert marked == {date(2026, 3, 3) + timedelta(days=n) for n in range(27)}
    assert usage_rollup_nightly(today=date(2026, 3, 30)) == 7
    assert _figures(usage(PERIOD))[0][2][2] == {  # the 4th and back in the report
        "customers": 0,
        "interactions": 0,
        "processes": 0,
        "reports": 0,
    }
    assert usage(PERIOD).totals == {
        "customers": 2,
        "interactions": 3,
        "processes": 1,
        "reports": 2,
    }


def test_the_nightly_task_is_scheduled_and_computes_up_to_yesterday(settings, sales_rep):
    schedule = settings.CELERY_BEAT_SCHEDULE["analytics-rollup-usage"]
    assert schedule["task"] == "analytics.tasks.rollup_usage"
    assert (schedule["schedule"].hour, schedule["schedule"].minute) == ({0}, {20})

    today = timezone.localdate()
    customer = CustomerFactory(created_by=sales_rep)
    Customer.objects.filter(pk=customer.pk).update(created_at=local(today - timedelta(days=2)))
    assert rollup_usage.delay().get() == 2
    assert UsageDay.objects.filter(user=None).latest("day").day == today - timedelta(days=1)
    assert UsageDay.objects.get(user=sales_rep).customers == 1


def test_todays_records_show_without_the_nightly_run(persona_client, manager, sales_rep):
    today = timezone.localdate()
    yesterdays = CustomerFactory(created_by=sales_rep)
    Customer.objects.filter(pk=yesterdays.pk).update(created_at=local(today - timedelta(days=1)))
    usage_rollup_nightly(today=today)
    CustomerFactory(created_by=sales_rep)  # now
    InteractionFactory(customer=yesterdays, created_by=sales_rep)

    response = persona_client(manager).get(URL)
    figures = response.context["usage"]
    assert figures.days[-1].key == today
    assert figures.days[-1].records["customers"] == 1
    assert figures.days[-1].records["interactions"] == 1
    assert figures.days[-2].records["customers"] == 1  # from the rollup
    assert _row(figures.users, sales_rep).records["customers"] == 2


def test_the_command_rebuilds_a_range_of_past_days_by_hand(march, capsys):
    call_command("rollup_usage", "--start", "2026-03-09", "--end", "2026-03-12")
    assert "Computed 4 days." in capsys.readouterr().out
    assert _rollup_rows() == [
        (date(2026, 3, 9), None, 0, 0, 0, 0),
        (date(2026, 3, 10), None, 0, 0, 0, 0),
        (date(2026, 3, 10), "mike_manager", 0, 0, 0, 1),
        (date(2026, 3, 10), "sam_service", 0, 3, 0, 0),
        (date(2026, 3, 11), None, 0, 0, 0, 0),
        (date(2026, 3, 11), "mike_manager", 0, 0, 1, 0),
        (date(2026, 3, 12), None, 0, 0, 0, 0),
        (date(2026, 3, 12), "mike_manager", 0, 0, 0, 1),
    ]
    with pytest.raises(CommandError, match="before the first"):
        call_command("rollup_usage", "--start", "2026-03-12", "--end", "2026-03-09")
    with pytest.raises(CommandError, match="today is counted live"):
        call_command("rollup_usage", "--start", timezone.localdate().isoformat())


@pytest.mark.parametrize("extra_users", [1, 15])
def test_a_year_of_rollup_costs_the_same_queries_and_one_live_scan_of_today(
    persona_client, manager, django_assert_max_num_queries, extra_users
):
    today = timezone.localdate()
    for n, user in enumerate(UserFactory.create_batch(extra_users, roles=["sales"])):
        interaction = InteractionFactory(created_by=user)
        Interaction.objects.filter(pk=interaction.pk).update(
            created_at=local(today - timedelta(days=1 + 20 * n % 360))
        )
    usage_rollup_nightly(today=today)
    client = persona_client(manager)
    with (
        CaptureQueriesContext(connection) as queries,
        django_assert_max_num_queries(14),
    ):
        response = client.get(URL)
    assert response.context["usage"].totals["interactions"] == extra_users
    scans = [q for q in queries.captured_queries if "relationships_interaction" in q["sql"]]
    assert len(scans) == 1  # today's, live


# --- The drop warning -----------------------------------------------------------------------

TODAY = date(2026, 6, 10)  # a Wednesday: the last complete week ended on Sunday 7 June


def _weekly(users, first_monday, weeks):
    for week in range(weeks):
        monday = first_monday + timedelta(weeks=week)
        active(users[0], monday)
        for user in users[1:]:
            active(user, monday + timedelta(days=2))


def test_a_sharp_drop_after_a_peak_raises_the_warning_with_its_numbers():
    team = UserFactory.create_batch(6)
    _weekly(team, date(2026, 1, 5), 4)  # six users a week in January
    _weekly(team[:2], date(2026, 5, 11), 4)  # two a week in the last four weeks
    active(team[5], TODAY)  # the current week is not complete: it does not count yet
    drop = usage_drop(today=TODAY)
    assert drop.is_drop
    assert (drop.peak_start, drop.peak_end, drop.peak_average) == (
        date(2026, 1, 5),
        date(2026, 2, 1),
        6,
    )
    assert (drop.recent_start, drop.recent_end, drop.recent_average) == (
        date(2026, 5, 11),
        date(2026, 6, 7),
        2,
    )
    assert drop.percent_of_peak == 33


def test_steady_use_or_a_tiny_team_raises_no_warning():
    team = UserFactory.create_batch(6)
    _weekly(team, date(2026, 1, 5), 4)
    _weekly(team[:3], date(2026, 5, 11), 4)  # half of the best is not below half
    drop = usage_drop(today=TODAY)
    assert (drop.recent_average, drop.peak_average, drop.is_drop) == (3, 6, False)

    UserActivity.objects.all().delete()
    _weekly(team[:1], date(2026, 1, 5), 4)  # one user, then nobody: noise, not a trend
    drop = usage_drop(today=TODAY)
    assert (drop.recent_average, drop.peak_average, drop.is_drop) == (0, 1, False)


def test_the_report_shows_the_warning_banner_only_after_a_drop(persona_client, manager):
    today = timezone.localdate()
    this_monday = today - timedelta(days=today.weekday())
    team = UserFactory.create_batch(4)
    _weekly(team, this_monday - timedelta(weeks=12), 4)
    client = persona_client(manager)
    page = client.get(URL).content.decode()
    assert "Usage has dropped sharply" in page
    assert "0 on average over the last four complete weeks" in page
    assert "against 4 in the best four weeks" in page

    _weekly(team, this_monday - timedelta(weeks=4), 4)
    page = client.get(URL).content.decode()
    assert "Usage has dropped sharply" not in page
    assert "No sharp drop in usage" in page


# --- The page -------------------------------------------------------------------------------


def test_only_managers_open_the_usage_report(client, persona_client, sales_rep):
    response = client.get(URL)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))
    assert persona_client(sales_rep).get(URL).status_code == 403


def test_the_report_covers_the_last_twelve_months_unless_asked_otherwise(persona_client, manager):
    response = persona_client(manager).get(URL)
    assert response.context["filters"]["period"].value() == "last_12_months"
    assert response.context["usage"].period.days > 300


def test_the_report_shows_tables_and_the_weekly_chart(march, persona_client, manager):
    response = persona_client(manager).get(URL, MARCH)
    assert response.status_code == 200
    page = response.content.decode()
    assert 'data-chart="usage-weekly-chart"' in page
    assert "vendor/chartjs/chart.umd.min.js" in page
    chart = response.context["weekly_chart"]
    assert chart["data"]["datasets"][0]["data"] == [2, 2]
    assert [row.key.username for row in response.context["usage"].users] == [
        "fiona_finance",
        "mike_manager",
        "sally_sales",
        "sam_service",
    ]
    # Opening the report is itself recorded (today, outside March).
    assert ReportView.objects.filter(user=manager, report="usage").count() == 2


@pytest.mark.parametrize("extra_users", [1, 15])
def test_the_report_query_count_does_not_grow_with_users(
    persona_client, manager, django_assert_max_num_queries, extra_users
):
    for user in UserFactory.create_batch(extra_users, roles=["sales"]):
        active(user, date(2026, 3, 3))
    client = persona_client(manager)
    # session, user, roles, report view, owner choices, activity x3, records x4, users, drop
    with django_assert_max_num_queries(14):
        response = client.get(URL, MARCH)
    assert len(response.context["usage"].users) == extra_users + 1


def _csv(response):
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    return response.content.decode("utf-8-sig").splitlines()


def test_each_table_exports_to_csv(march, persona_client, manager, sales_rep):
    client = persona_client(manager)
    weeks = _csv(client.get(URL, {**MARCH, "format": "csv", "table": "weeks"}))
    assert weeks == [
        "Week starting,Active users,Customers added,Interactions logged,Processes opened,"
        "Reports viewed",
        "2026-03-02,2,2,0,0,0",
        "2026-03-09,2,0,3,1,2",
    ]
    days = _csv(client.get(URL, {**MARCH, "format": "csv", "table": "days"}))
    assert len(days) == 1 + 14
    assert days[2] == "2026-03-03,2,2,0,0,0"
    users = _csv(client.get(URL, {**MARCH, "format": "csv", "table": "users"}))
    assert users[0] == (
        "User,Active days,Last active,Customers added,Interactions logged,Processes opened,"
        "Reports viewed"
    )
    assert "sally_sales,3,2026-03-10,2,0,0,0" in users
    one = _csv(client.get(URL, {**MARCH, "owner": sales_rep.pk, "format": "csv"}))
    assert one[1:] == ["sally_sales,3,2026-03-10,2,0,0,0"]


WINTER = {"period": "custom", "start": "2026-01-01", "end": "2026-03-15"}  # 74 days, 11 weeks


def test_the_page_shows_the_recent_weeks_and_days_and_links_to_all_of_them(
    march, persona_client, manager
):
    response = persona_client(manager).get(URL, WINTER)
    weeks, days = response.context["weeks"], response.context["days"]
    assert (len(weeks["rows"]), weeks["total"]) == (8, 11)
    assert (len(days["rows"]), days["total"]) == (14, 74)
    assert days["rows"][-1].key == date(2026, 3, 15)  # the most recent, newest last
    page = response.content.decode()
    assert page.count("<tr><td>") == 8 + 14
    assert "Show all 74 rows" in page
    assert 'hx-get="?period=custom&amp;start=2026-01-01&amp;end=2026-03-15&amp;table=days"' in page


def test_show_all_answers_htmx_with_the_whole_table_and_reloads_the_page_without_it(
    march, persona_client, manager
):
    client = persona_client(manager)
    partial = client.get(URL, {**WINTER, "table": "days"}, headers={"HX-Request": "true"})
    html = partial.content.decode()
    assert "<html" not in html
    assert html.count("<tr><td>") == 74
    assert html.index(">Thu 01/01/2026<") < html.index(">Sun 03/15/2026<")
    assert "Show all" not in html
    # Without htmx the whole page comes back with that table in full, the other one short.
    page = client.get(URL, {**WINTER, "table": "weeks"})
    assert (len(page.context["weeks"]["rows"]), len(page.context["days"]["rows"])) == (11, 14)
    # The CSV holds every row whatever is shown.
    assert len(_csv(client.get(URL, {**WINTER, "format": "csv", "table": "days"}))) == 1 + 74


def test_a_reports_period_is_written_as_the_reader_writes_dates():
    from django.utils import translation

    from analytics.periods import Period

    period = Period(date(2026, 1, 1), date(2026, 12, 7))
    with translation.override("pl"):
        assert str(period) == "01.01.2026 - 07.12.2026"
    with translation.override("en"):
        assert str(period) == "01/01/2026 - 12/07/2026"
