"""The sales pipeline: a kanban board per definition (its moves: tests/processes/test_board.py),
the instance page's plain move form, and a filterable, paginated list."""

from decimal import Decimal

import pytest
from django.core.cache import cache
from django.urls import reverse

from processes import services
from tests.factories import CustomerFactory

from .conftest import stage

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("personas_in_one_team")]


def _fill(definition, n, user):
    stages = [s for s in definition.stages.order_by("position") if not s.is_terminal]
    for i in range(n):
        instance = services.instance_open(
            definition=definition,
            customer=CustomerFactory(owner=user),
            title=f"Deal {i}",
            by=user,
            amount=1000 + i,
            currency="EUR" if i % 2 else "PLN",
        )
        target = stages[i % len(stages)]
        if target != instance.stage:
            services.instance_move(instance=instance, to_stage=target, by=user)


def test_the_board_shows_a_column_per_working_stage_with_its_cards(
    persona_client, sales_rep, sales_process
):
    _fill(sales_process, 4, sales_rep)
    response = persona_client(sales_rep).get(reverse("processes:board", args=[sales_process.pk]))
    columns = response.context["columns"]
    assert [c["stage"].name for c in columns] == ["Lead", "Qualified", "Proposal"]
    assert [c["count"] for c in columns] == [2, 1, 1]
    body = response.content.decode()
    assert "Deal 3" in body
    assert body.count("data-movable") == 4  # each card can be dragged and moved by keyboard


@pytest.mark.parametrize("cards", [3, 40])
def test_board_query_count_does_not_grow_with_cards(
    persona_client, sales_rep, sales_process, django_assert_max_num_queries, cards
):
    _fill(sales_process, cards, sales_rep)
    client = persona_client(sales_rep)
    columns = sales_process.stages.filter(outcome="").count()
    # Session, user, roles, definition, stages, totals, then one query per column.
    with django_assert_max_num_queries(7 + columns):  # + the bell's unread count
        response = client.get(reverse("processes:board", args=[sales_process.pk]))
    assert sum(c["shown"] for c in response.context["columns"]) == cards


def _column_figures(response):
    return [
        (c["stage"].name, c["count"], c["count_is_capped"], c["amounts"], c["shown"])
        for c in response.context["columns"]
    ]


def test_each_column_counts_and_totals_all_its_open_cards_beyond_those_shown(
    persona_client, sales_rep, sales_process, django_assert_max_num_queries
):
    # 21 cards per column, one more than a column shows; card i is worth 1000 + i, in EUR when
    # i is odd and PLN when even.
    _fill(sales_process, 63, sales_rep)
    lead = sales_process.instances.filter(stage__name="Lead")
    services.instance_move(
        instance=lead.get(title="Deal 0"),
        to_stage=stage(sales_process, "Won"),
        by=sales_rep,
        reason="Signed",
    )
    client = persona_client(sales_rep)
    # Session, user, roles, definition, stages, then per column its cards and (a column
    # fuller than it shows) its count, then the totals.
    with django_assert_max_num_queries(7 + 2 * 3):  # + the bell's unread count
        response = client.get(reverse("processes:board", args=[sales_process.pk]))

    # The won deal (Deal 0, 1000 PLN) leaves Lead's count and totals.
    assert _column_figures(response) == [
        ("Lead", 20, False, [("EUR", Decimal("10300")), ("PLN", Decimal("10330"))], 20),
        ("Qualified", 21, False, [("EUR", Decimal("11341")), ("PLN", Decimal("10310"))], 20),
        ("Proposal", 21, False, [("EUR", Decimal("10320")), ("PLN", Decimal("11352"))], 20),
    ]
    body = response.content.decode()
    assert body.count("Showing the 20 most recently active") == 2
    assert "Deal 0" not in body


def test_a_column_over_the_count_cap_shows_its_count_and_amounts_summed_at_most_a_minute_ago(
    persona_client, sales_rep, sales_process, monkeypatch, django_assert_max_num_queries
):
    from core.pagination import LargeTablePaginator
    from processes.views import boards

    monkeypatch.setattr(LargeTablePaginator, "count_cap", 3)
    monkeypatch.setattr(boards, "BOARD_CARDS_PER_STAGE", 2)
    _fill(sales_process, 10, sales_rep)  # Lead 4 cards (0, 3, 6, 9), the others 3 each
    client = persona_client(sales_rep)
    board = reverse("processes:board", args=[sales_process.pk])
    response = client.get(board)
    assert _column_figures(response) == [
        ("Lead", 4, True, [("EUR", Decimal("2012")), ("PLN", Decimal("2006"))], 2),
        ("Qualified", 3, False, [("EUR", Decimal("2008")), ("PLN", Decimal("1004"))], 2),
        ("Proposal", 3, False, [("EUR", Decimal("1005")), ("PLN", Decimal("2010"))], 2),
    ]
    body = response.content.decode()
    assert body.count("at most a minute old") == 1  # said under the capped column only
    # Within the minute the capped column's count and sum are reused: a deal won out of Lead
    # leaves its figures at the next sum.
    services.instance_move(
        instance=sales_process.instances.get(title="Deal 9"),
        to_stage=stage(sales_process, "Won"),
        by=sales_rep,
        reason="Signed",
    )
    # Session, user, roles, definition, stages, three columns' cards, two counts, totals.
    with django_assert_max_num_queries(12):  # + the bell's unread count
        response = client.get(board)
    assert _column_figures(response)[0][:3] == ("Lead", 4, True)
    cache.clear()  # a minute later
    response = client.get(board)
    assert _column_figures(response)[0] == (
        "Lead",
        3,
        False,
        [("EUR", Decimal("1003")), ("PLN", Decimal("2006"))],
        2,
    )
    assert "at most a minute old" not in response.content.decode()


def test_the_beat_task_sums_large_boards_so_that_no_board_request_does(
    persona_client, sales_rep, sales_process, enterprise_sales, monkeypatch
):
    from core.pagination import LargeTablePaginator
    from processes import selectors, tasks
    from processes.views import boards

    monkeypatch.setattr(LargeTablePaginator, "count_cap", 3)
    monkeypatch.setattr(boards, "BOARD_CARDS_PER_STAGE", 2)
    _fill(sales_process, 10, sales_rep)
    _fill(enterprise_sales, 2, sales_rep)  # a small board: summed per request, not by the task
    cache.clear()
    sums = []
    open_totals = selectors.open_totals

    def counted_sum(definition_id):
        sums.append(definition_id)
        return open_totals(definition_id)

    monkeypatch.setattr(selectors, "open_totals", counted_sum)

    assert tasks.refresh_board_totals() == {"refreshed": 1}
    assert sums == [sales_process.pk]
    client = persona_client(sales_rep)
    board = reverse("processes:board", args=[sales_process.pk])
    lead = ("Lead", 4, True, [("EUR", Decimal("2012")), ("PLN", Decimal("2006"))])
    assert _column_figures(client.get(board))[0][:4] == lead
    # A deal won out of Lead after the sum: the board still shows the task's figures.
    services.instance_move(
        instance=sales_process.instances.get(title="Deal 9"),
        to_stage=stage(sales_process, "Won"),
        by=sales_rep,
        reason="Signed",
    )
    assert _column_figures(client.get(board))[0][:4] == lead
    assert sums == [sales_process.pk]  # no board request summed
    # The task's next run sums again.
    assert tasks.refresh_board_totals() == {"refreshed": 1}
    assert _column_figures(client.get(board))[0][:4] == (
        "Lead",
        3,
        True,
        [("EUR", Decimal("1003")), ("PLN", Decimal("2006"))],
    )
    # With nothing in the cache (the task not running, Redis away) the request sums itself.
    cache.clear()
    _fill(sales_process, 1, sales_rep)  # Lead over the cap again
    client.get(board)
    assert sums == [sales_process.pk] * 3


def test_a_card_moves_with_a_plain_post_and_returns_to_the_board(
    persona_client, sales_rep, sales_process, opportunity
):
    board = reverse("processes:board", args=[sales_process.pk])
    response = persona_client(sales_rep).post(
        reverse("processes:instance_move", args=[opportunity.pk]),
        {"stage": stage(sales_process, "Proposal").pk, "next": board},
    )
    assert response.status_code == 302
    assert response.url == board
    opportunity.refresh_from_db()
    assert opportunity.stage.name == "Proposal"


def test_a_move_elsewhere_than_our_site_is_not_followed(
    persona_client, sales_rep, sales_process, opportunity
):
    response = persona_client(sales_rep).post(
        reverse("processes:instance_move", args=[opportunity.pk]),
        {"stage": stage(sales_process, "Qualified").pk, "next": "https://evil.example/"},
    )
    assert response.url == opportunity.get_absolute_url()


def test_winning_without_a_reason_shows_the_error_beside_the_field_and_saves_nothing(
    persona_client, sales_rep, sales_process, opportunity
):
    response = persona_client(sales_rep).post(
        reverse("processes:instance_move", args=[opportunity.pk]),
        {"stage": stage(sales_process, "Won").pk, "reason": ""},
    )
    assert response.status_code == 200
    assert response.context["move_form"].errors["reason"]
    assert "Say why the process ends" in response.content.decode()
    opportunity.refresh_from_db()
    assert opportunity.is_open
    assert opportunity.transitions.count() == 1


def test_a_stage_of_another_process_is_not_a_valid_choice(
    persona_client, sales_rep, enterprise_sales, opportunity
):
    response = persona_client(sales_rep).post(
        reverse("processes:instance_move", args=[opportunity.pk]),
        {"stage": stage(enterprise_sales, "Qualified").pk},
    )
    assert response.context["move_form"].errors["stage"]
    opportunity.refresh_from_db()
    assert opportunity.stage.name == "Lead"


def test_won_with_a_reason_closes_the_deal(persona_client, sales_rep, sales_process, opportunity):
    persona_client(sales_rep).post(
        reverse("processes:instance_move", args=[opportunity.pk]),
        {"stage": stage(sales_process, "Won").pk, "reason": "Best service offer"},
    )
    opportunity.refresh_from_db()
    assert opportunity.outcome == "won"
    assert opportunity.outcome_reason == "Best service offer"


def test_a_service_agent_sees_the_board_but_cannot_move_sales_cards(
    persona_client, service_agent, sales_process, opportunity
):
    client = persona_client(service_agent)
    response = client.get(reverse("processes:board", args=[sales_process.pk]))
    assert response.status_code == 200
    assert "data-movable" not in response.content.decode()
    response = client.post(
        reverse("processes:instance_move", args=[opportunity.pk]),
        {"stage": stage(sales_process, "Qualified").pk},
    )
    assert response.status_code == 403
    opportunity.refresh_from_db()
    assert opportunity.stage.name == "Lead"


@pytest.mark.parametrize("rows", [3, 30])
def test_instance_list_query_count_does_not_grow_with_rows(
    persona_client, sales_rep, sales_process, settings, django_assert_max_num_queries, rows
):
    settings.PROCESS_LIST_PAGE_SIZE = 25
    _fill(sales_process, rows, sales_rep)
    client = persona_client(sales_rep)
    # +3: the saved views, the user's teams and the bulk action's owners (core.lists)
    with django_assert_max_num_queries(11):
        response = client.get(reverse("processes:instance_list"), {"state": "open"})
    assert len(response.context["page"]) == min(rows, 25)


def test_the_list_filters_by_definition_state_and_search(
    persona_client, sales_rep, sales_process, enterprise_sales
):
    _fill(sales_process, 3, sales_rep)
    services.instance_open(
        definition=enterprise_sales,
        customer=CustomerFactory(display_name="Globex"),
        title="Big one",
        by=sales_rep,
    )
    client = persona_client(sales_rep)
    url = reverse("processes:instance_list")
    page = client.get(url, {"definition": enterprise_sales.pk}).context["page"]
    assert [i.title for i in page] == ["Big one"]
    page = client.get(url, {"q": "globex"}).context["page"]
    assert [i.title for i in page] == ["Big one"]
    page = client.get(url, {"state": "won"}).context["page"]
    assert list(page) == []


def test_opening_an_opportunity_from_the_customer(
    persona_client, sales_rep, sales_process, customer
):
    response = persona_client(sales_rep).post(
        reverse("processes:instance_create", args=[customer.pk]),
        {
            "definition": sales_process.pk,
            "title": "Fleet of printers",
            "owner": sales_rep.pk,
            "amount": "25000",
            "currency": "",
            "expected_close_on": "2031-03-01",
        },
    )
    instance = customer.process_instances.get()
    assert response.url == instance.get_absolute_url()
    assert instance.currency == "PLN"  # the definition's currency when none is given
    assert instance.stage.name == "Lead"


def test_opening_with_bad_input_shows_errors_beside_the_fields(
    persona_client, sales_rep, sales_process, customer
):
    response = persona_client(sales_rep).post(
        reverse("processes:instance_create", args=[customer.pk]),
        {"definition": sales_process.pk, "title": "", "amount": "-5", "currency": "XXX"},
    )
    errors = response.context["form"].errors
    assert {"title", "amount", "currency"} <= set(errors)
    assert not customer.process_instances.exists()


def test_a_service_agent_is_not_offered_sales_processes(
    persona_client, service_agent, sales_process, customer
):
    response = persona_client(service_agent).post(
        reverse("processes:instance_create", args=[customer.pk]),
        {"definition": sales_process.pk, "title": "Sneaky deal"},
    )
    assert "definition" in response.context["form"].errors
    assert not customer.process_instances.exists()


def test_editing_an_opportunity_with_bad_input_saves_nothing(
    persona_client, sales_rep, opportunity
):
    client = persona_client(sales_rep)
    url = reverse("processes:instance_edit", args=[opportunity.pk])
    response = client.post(url, {"title": "", "amount": "abc", "currency": "PLN"})
    assert {"title", "amount"} <= set(response.context["form"].errors)
    opportunity.refresh_from_db()
    assert opportunity.title == "Printers for the new office"
    response = client.post(
        url, {"title": "Printers, 2nd floor", "amount": "12000", "currency": "EUR"}
    )
    assert response.status_code == 302
    opportunity.refresh_from_db()
    assert (opportunity.title, opportunity.amount, opportunity.currency) == (
        "Printers, 2nd floor",
        12000,
        "EUR",
    )


def test_logging_work_with_bad_input_shows_the_error(persona_client, sales_rep, opportunity):
    client = persona_client(sales_rep)
    url = reverse("processes:instance_log_work", args=[opportunity.pk])
    response = client.post(url, {"minutes": "0"})
    assert response.context["work_form"].errors["minutes"]
    assert not opportunity.work.exists()
    assert client.post(url, {"minutes": "45", "note": "Demo"}).status_code == 302
    assert opportunity.work.get().minutes == 45
