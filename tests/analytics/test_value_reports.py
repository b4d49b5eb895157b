"""The customer value report: grades, LTV and reliability per segment and owner, the customers
whose grade moved, and relationships started and ended, on a small hand-built data set."""

from datetime import date, datetime
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from analytics import services, snapshots, tasks
from analytics.models import (
    CustomerScore,
    CustomerStateSnapshot,
    DailyActivity,
    GradeChange,
    ReportRefresh,
    ReportView,
    ScoringParameters,
)
from analytics.views import value as views
from core.models import OutboxMessage
from core.permissions import SALES
from relationships.models import Relationship
from tests.factories import CustomerFactory, SegmentFactory, UserFactory

pytestmark = pytest.mark.django_db

URL = reverse("analytics:value_report")


def graded(name, *, grade, ltv, reliability=None, owner=None, segments=()):
    customer = CustomerFactory(
        display_name=name,
        owner=owner,
        grade=grade,
        ltv=Decimal(ltv),
        ltv_currency="PLN",
        payment_reliability=None if reliability is None else Decimal(reliability),
        scored_at=timezone.now(),
    )
    customer.segments.set(segments)
    return customer


@pytest.fixture
def olga(db):
    return UserFactory(username="olga_owner", roles=[SALES])


@pytest.fixture
def book(sales_rep, olga):
    """Retail: Alfa (A), Beta (B), Echo (unscored); Enterprise: Alfa (A), Delta (D);
    no segment: Gamma (scored, not graded)."""
    retail, enterprise = SegmentFactory(name="Retail"), SegmentFactory(name="Enterprise")
    alfa = graded(
        "Alfa",
        grade="A",
        ltv="60000",
        reliability="95",
        owner=sales_rep,
        segments=[retail, enterprise],
    )
    beta = graded(
        "Beta", grade="B", ltv="20000", reliability="80", owner=sales_rep, segments=[retail]
    )
    delta = graded(
        "Delta", grade="D", ltv="500", reliability="40", owner=olga, segments=[enterprise]
    )
    gamma = graded("Gamma", grade=None, ltv="0")
    echo = CustomerFactory(display_name="Echo", owner=olga)
    echo.segments.set([retail])
    return {
        "retail": retail,
        "enterprise": enterprise,
        "alfa": alfa,
        "beta": beta,
        "delta": delta,
        "gamma": gamma,
        "echo": echo,
    }


def rows_by(rows, key):
    return {
        (getattr(row[key], "name", None) or getattr(row[key], "username", None)): row
        for row in rows
    }


def test_grades_ltv_and_reliability_per_segment_count_a_customer_in_each_of_its_segments(
    persona_client, manager, book
):
    response = persona_client(manager).get(URL)
    rows = rows_by(response.context["per_segment"], "segment")
    assert list(rows) == ["Enterprise", "Retail", None]
    retail = rows["Retail"]
    assert (retail["customers"], retail["A"], retail["B"], retail["D"], retail["ungraded"]) == (
        3,
        1,
        1,
        0,
        1,
    )
    assert retail["ltv_total"] == Decimal("80000")
    assert retail["ltv_average"] == Decimal("40000")  # the two scored customers; Echo is not
    assert retail["reliability"] == Decimal("87.5")
    enterprise = rows["Enterprise"]
    assert (enterprise["customers"], enterprise["A"], enterprise["D"]) == (2, 1, 1)
    assert enterprise["ltv_total"] == Decimal("60500")
    assert enterprise["reliability"] == Decimal("67.5")
    no_segment = rows[None]
    assert (no_segment["customers"], no_segment["ungraded"], no_segment["reliability"]) == (
        1,
        1,
        None,
    )


def test_grades_per_owner_and_the_owner_and_segment_filters(
    persona_client, manager, sales_rep, olga, book
):
    client = persona_client(manager)
    rows = rows_by(client.get(URL).context["per_owner"], "owner")
    assert [
        (name, row["customers"], row["A"], row["B"], row["D"]) for name, row in rows.items()
    ] == [
        ("olga_owner", 2, 0, 0, 1),
        ("sally_sales", 2, 1, 1, 0),
        (None, 1, 0, 0, 0),
    ]
    assert rows["sally_sales"]["ltv_total"] == Decimal("80000")

    mine = client.get(URL, {"owner": sales_rep.pk}).context
    assert {
        row["segment"].name: row["customers"] for row in mine["per_segment"] if row["segment"]
    } == {"Enterprise": 1, "Retail": 2}
    enterprise = client.get(URL, {"segment": book["enterprise"].pk}).context
    assert [row["segment"].name for row in enterprise["per_segment"]] == ["Enterprise"]
    assert {row["owner"].username: row["customers"] for row in enterprise["per_owner"]} == {
        "olga_owner": 1,
        "sally_sales": 1,
    }


def score(customer, grade, when):
    return CustomerScore.objects.create(
        customer=customer,
        computed_at=timezone.make_aware(when),
        as_of=when.date(),
        parameters=ScoringParameters.objects.current(),
        currency="PLN",
        ltv=Decimal("1"),
        net_revenue_12m=Decimal("0"),
        overdue_amount=Decimal("0"),
        interactions_90d=0,
        open_tickets=0,
        grade=grade,
        is_current=False,
    )


@pytest.fixture
def history(book):
    alfa, beta, delta = book["alfa"], book["beta"], book["delta"]
    score(alfa, "B", datetime(2026, 1, 10, 3))
    score(alfa, "A", datetime(2026, 3, 5, 3))  # B → A
    score(beta, "B", datetime(2026, 3, 1, 3))  # first score: not a move
    score(beta, "B", datetime(2026, 3, 20, 3))  # a new LTV, the same grade: not a move
    score(delta, "C", datetime(2025, 12, 1, 3))
    score(delta, "D", datetime(2026, 2, 10, 3))  # C → D
    score(delta, None, datetime(2026, 4, 2, 3))  # D → not graded
    return book


def period(start, end):
    return {"period": "custom", "start": start, "end": end}


def test_movers_are_the_grade_changes_of_the_period_newest_first(persona_client, manager, history):
    client = persona_client(manager)
    movers = client.get(URL, period("2026-02-01", "2026-04-30")).context["movers"]
    assert [(c.customer.display_name, c.previous_grade, c.grade) for c in movers] == [
        ("Delta", "D", ""),
        ("Alfa", "B", "A"),
        ("Delta", "C", "D"),
    ]
    march = client.get(URL, period("2026-03-01", "2026-03-31"))
    assert [s.customer.display_name for s in march.context["movers"]] == ["Alfa"]
    body = march.content.decode()
    movers_card = body[body.index('id="movers"') :][:2500]
    assert history["alfa"].get_absolute_url() in movers_card


def test_movers_follow_the_owner_filter_and_are_paginated(
    persona_client, manager, olga, history, monkeypatch
):
    client = persona_client(manager)
    owned = client.get(URL, {**period("2026-01-01", "2026-06-30"), "owner": olga.pk})
    assert [s.customer.display_name for s in owned.context["movers"]] == ["Delta", "Delta"]
    monkeypatch.setattr(views, "REPORT_PAGE_SIZE", 2)
    first = client.get(URL, period("2026-01-01", "2026-06-30")).context["movers"]
    assert (len(first.object_list), first.has_next) == (2, True)
    second = client.get(URL, {**period("2026-01-01", "2026-06-30"), "page": 2}).context["movers"]
    assert [s.customer.display_name for s in second] == ["Delta"]
    assert (second.has_previous, second.has_next) == (True, False)


def relationship(started_on, *, ended_on=None, reason="", by=None, owner=None, segments=()):
    customer = CustomerFactory(relationship=False, first_contact_on=started_on, owner=owner)
    customer.segments.set(segments)
    if ended_on is None:
        return Relationship.objects.create(customer=customer, started_on=started_on)
    return Relationship.objects.create(
        customer=customer,
        started_on=started_on,
        status=Relationship.Status.ENDED,
        ended_at=timezone.make_aware(
            datetime.combine(ended_on, datetime.min.time()).replace(hour=12)
        ),
        ended_by=by,
        end_reason=reason,
    )


@pytest.fixture
def relationships(manager):
    competitor, creditworthy = (
        Relationship.EndReason.MOVED_TO_COMPETITOR,
        Relationship.EndReason.NOT_CREDITWORTHY,
    )
    relationship(date(2026, 1, 15))
    relationship(date(2026, 1, 20), ended_on=date(2026, 2, 10), reason=competitor, by=manager)
    relationship(date(2025, 11, 1), ended_on=date(2026, 2, 20), reason=creditworthy, by=manager)
    relationship(date(2026, 3, 3), ended_on=date(2026, 3, 30), reason=competitor, by=manager)
    relationship(date(2025, 5, 1))


def test_relationships_started_and_ended_per_month_with_the_end_reasons(
    persona_client, manager, relationships
):
    context = persona_client(manager).get(URL, period("2026-01-01", "2026-06-30")).context
    assert context["bucket_kind"] == "month"
    table = [
        (bucket.starts_on, bucket.started, bucket.ended, counts)
        for _label, bucket, counts in context["periods"]
    ]
    assert [row[0] for row in table] == [date(2026, m, 1) for m in range(1, 7)]
    reasons = [label for label, _total in context["reasons"]]
    competitor = reasons.index("Moved to a competitor")
    creditworthy = reasons.index("Not creditworthy")
    assert table[0][1:3] == (2, 0)
    assert table[1][1:3] == (0, 2)
    assert table[1][3][competitor] == 1 and table[1][3][creditworthy] == 1
    assert table[2][1:3] == (1, 1)
    assert table[2][3][competitor] == 1
    assert all(row[1:3] == (0, 0) for row in table[3:])
    assert dict(context["reasons"]) == {"Moved to a competitor": 2, "Not creditworthy": 1}


def test_a_short_period_is_shown_per_week(persona_client, manager, relationships):
    context = persona_client(manager).get(URL, period("2026-03-01", "2026-03-31")).context
    assert context["bucket_kind"] == "week"
    weeks = {b.starts_on: (b.started, b.ended) for _label, b, _counts in context["periods"]}
    assert min(weeks) == date(2026, 2, 23)  # the Monday of the week of 1 March
    assert weeks[date(2026, 3, 2)] == (1, 0)
    assert weeks[date(2026, 3, 30)] == (0, 1)
    assert sum(started for started, _ended in weeks.values()) == 1


def test_relationships_started_and_ended_follow_the_owner_and_segment_filters(
    persona_client, manager, sales_rep, relationships
):
    retail, other = SegmentFactory(name="Retail"), SegmentFactory(name="Other")
    competitor = Relationship.EndReason.MOVED_TO_COMPETITOR
    relationship(date(2026, 2, 2), owner=sales_rep, segments=[retail, other])
    relationship(
        date(2026, 1, 5),
        ended_on=date(2026, 2, 3),
        reason=competitor,
        by=manager,
        owner=sales_rep,
        segments=[retail],
    )
    client = persona_client(manager)

    def february(**filters):
        context = client.get(URL, {**period("2026-01-01", "2026-06-30"), **filters}).context
        bucket = context["periods"][1][1]
        return bucket.started, bucket.ended

    assert february() == (1, 3)  # a customer in two segments is one relationship
    assert february(owner=sales_rep.pk) == (1, 1)
    assert february(segment=retail.pk) == (1, 1)
    assert february(segment=other.pk) == (1, 0)


def csv_lines(response):
    assert response["Content-Type"].startswith("text/csv")
    return response.content.decode("utf-8-sig").splitlines()


def test_every_table_exports_to_its_own_csv(persona_client, manager, history, relationships):
    client = persona_client(manager)
    segments = csv_lines(client.get(URL, {"format": "csv", "table": "segments"}))
    assert segments[0] == (
        "Segment,Customers,A,B,C,D,Not graded,LTV total,LTV average,Average reliability"
    )
    assert "Retail,3,1,1,0,0,1,80000.00,40000.00,87.5" in segments
    owners = csv_lines(client.get(URL, {"format": "csv", "table": "owners"}))
    assert owners[0].startswith("Owner,Customers")
    assert any(line.startswith("sally_sales,2,1,1,0,0,0,80000.00") for line in owners)
    movers = csv_lines(
        client.get(URL, {**period("2026-02-01", "2026-04-30"), "format": "csv", "table": "movers"})
    )
    assert movers[0] == "Customer,Customer id,Previous grade,New grade,When"
    assert movers[1].startswith(f"Delta,{history['delta'].pk},D,Not graded,2026-04-02")
    assert len(movers) == 4
    started = csv_lines(
        client.get(
            URL, {**period("2026-01-01", "2026-06-30"), "format": "csv", "table": "relationships"}
        )
    )
    assert started[0].startswith("Month,Started,Ended,")
    assert started[1].startswith("2026-01-01,2,0")
    assert len(started) == 7


def test_the_page_draws_its_charts_from_json_without_inline_scripts(persona_client, manager, book):
    body = persona_client(manager).get(URL).content.decode()
    assert 'data-chart="grades-chart"' in body and 'id="grades-chart"' in body
    assert 'data-chart="relationships-chart"' in body
    assert "chart.umd.min.js" in body and "<script>" not in body


def test_only_managers_open_the_report_and_each_opening_is_recorded(
    client, persona_client, sales_rep, manager
):
    response = client.get(URL)
    assert response.status_code == 302 and reverse("login") in response["Location"]
    assert persona_client(sales_rep).get(URL).status_code == 403
    assert persona_client(manager).get(URL).status_code == 200
    assert list(ReportView.objects.values_list("report", flat=True)) == ["customer-value"]


def test_the_report_needs_a_fixed_number_of_queries(
    persona_client, manager, history, relationships, django_assert_max_num_queries
):
    client = persona_client(manager)
    snapshots.refresh()
    with django_assert_max_num_queries(15):  # + the bell's unread count
        response = client.get(URL, period("2026-01-01", "2026-06-30"))
    assert response.status_code == 200


def test_figures_are_those_of_the_last_nightly_refresh_which_the_page_states(
    persona_client, manager, book
):
    client = persona_client(manager)
    first = client.get(URL)
    assert "As of" in first.content.decode()
    graded("Late Arrival", grade="A", ltv="1000", segments=[book["retail"]])
    retail = rows_by(client.get(URL).context["per_segment"], "segment")["Retail"]
    assert retail["customers"] == 3  # not yet: the snapshot is from before
    snapshots.refresh()
    retail = rows_by(client.get(URL).context["per_segment"], "segment")["Retail"]
    assert (retail["customers"], retail["A"]) == (4, 2)


def test_the_refresh_is_idempotent_and_reads_only_new_scores(history):
    first = snapshots.refresh()
    state = sorted(CustomerStateSnapshot.objects.values_list("scope", "segment", "customers"))
    daily = DailyActivity.objects.count()
    assert GradeChange.objects.count() == 3
    second = snapshots.refresh()
    assert second.last_score_id == first.last_score_id
    assert GradeChange.objects.count() == 3
    assert sorted(CustomerStateSnapshot.objects.values_list("scope", "segment", "customers")) == (
        state
    )
    assert DailyActivity.objects.count() == daily
    score(history["beta"], "A", datetime(2026, 5, 1, 3))
    snapshots.refresh()
    assert GradeChange.objects.order_by("-changed_at").first().customer == history["beta"]
    recent = score(history["beta"], "C", timezone.localtime().replace(tzinfo=None))
    snapshots.refresh()  # scores of the last minutes wait for the next refresh
    assert not GradeChange.objects.filter(score=recent).exists()


def test_the_refresh_runs_every_night_after_scoring():
    from django.conf import settings

    schedule = settings.CELERY_BEAT_SCHEDULE
    job = next(e for e in schedule.values() if e["task"].endswith("refresh_report_snapshots"))
    scoring = schedule["analytics-score-customers"]["schedule"]
    assert (min(job["schedule"].hour), min(job["schedule"].minute)) > (
        min(scoring.hour),
        min(scoring.minute),
    )
    assert tasks.refresh_report_snapshots()["refresh"] == ReportRefresh.objects.get().pk


def test_a_big_database_queues_its_first_refresh_instead_of_computing_it_in_the_request(
    persona_client, manager, book, monkeypatch
):
    monkeypatch.setattr(services, "FIRST_RUN_INLINE_LIMIT", 2)
    client = persona_client(manager)
    body = client.get(URL).content.decode()
    assert "being computed for the first time" in body
    client.get(reverse("analytics:segment_report"))
    client.get(URL)
    queued = OutboxMessage.objects.filter(task=tasks.refresh_report_snapshots.name)
    assert queued.count() == 1  # once, however often the pages are opened meanwhile
    assert not ReportRefresh.objects.exists()
