"""The pipeline board: its cards and drop targets, and the move endpoint its drag and drop and
"Move to…" dialog POST to (static/js/board.js), with the same rules as the instance page."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from processes import services
from processes.models import Approval, ProcessInstance
from tests.factories import CustomerFactory, UserFactory

from .conftest import stage

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("personas_in_one_team")]

MOVE_QUERY_BUDGET = 52


def _move(client, instance, to_stage, *, from_stage=None, reason="", htmx=True):
    headers = {"HTTP_HX_REQUEST": "true"} if htmx else {}
    return client.post(
        reverse("processes:board_move", args=[instance.pk]),
        {
            "stage": to_stage.pk,
            "from_stage": (from_stage or instance.stage).pk,
            "reason": reason,
        },
        **headers,
    )


def _outcome(response):
    assert response.status_code == 200
    return response["X-Board-Move"]


def _card(body, pk):
    return body[body.index(f'id="card-{pk}"') :].split("</li>")[0]


def _summary(body, stage_pk):
    return body[body.index(f'id="stage-{stage_pk}-summary"') :].split("</div>")[0]


def test_the_board_has_a_drop_target_per_outcome_and_a_move_button_per_movable_card(
    persona_client, sales_rep, sales_process, opportunity
):
    body = (
        persona_client(sales_rep)
        .get(reverse("processes:board", args=[sales_process.pk]))
        .content.decode()
    )
    won, lost = stage(sales_process, "Won"), stage(sales_process, "Lost")
    for outcome in (won, lost):
        assert f'data-stage="{outcome.pk}" data-terminal="{outcome.outcome}"' in body
    card = _card(body, opportunity.pk)
    assert "data-movable" in card and "board-move" in card
    assert f'data-stage="{opportunity.stage_id}"' in card
    assert "10,000.00 PLN" in card and "sally_sales" in card
    # One dialog serves the keyboard and the reasons: every stage, those that close it marked.
    assert body.count('data-needs-reason="1"') == 4  # two drop targets, two dialog options
    assert "vendor/sortablejs/Sortable.min.js" in body and "js/board.js" in body
    assert "<script>" not in body  # the CSP allows no inline script


def test_each_card_is_movable_by_who_owns_it_and_its_customer(
    persona_client, sales_rep, sales_process
):
    outsider = UserFactory(username="olga_other", roles=["sales"])  # in no team of sally's

    def opened(title, *, customer_owner, owner):
        return services.instance_open(
            definition=sales_process,
            customer=CustomerFactory(owner=customer_owner),
            title=title,
            by=sales_rep,
            owner=owner,
        )

    # Cards sharing who owns them and their customer are decided together; each pair alike.
    others = [opened(f"Other {n}", customer_owner=outsider, owner=outsider) for n in range(2)]
    own = [opened(f"Own {n}", customer_owner=outsider, owner=sales_rep) for n in range(2)]
    mine = opened("Mine", customer_owner=sales_rep, owner=outsider)
    body = (
        persona_client(sales_rep)
        .get(reverse("processes:board", args=[sales_process.pk]))
        .content.decode()
    )
    for instance in others:
        assert "data-movable" not in _card(body, instance.pk)
    for instance in [*own, mine]:
        assert "data-movable" in _card(body, instance.pk)


def test_a_service_agent_sees_the_board_without_drag_handles_or_drop_targets(
    persona_client, service_agent, sales_process, opportunity
):
    body = (
        persona_client(service_agent)
        .get(reverse("processes:board", args=[sales_process.pk]))
        .content.decode()
    )
    card = _card(body, opportunity.pk)
    assert "data-movable" not in card and "board-move" not in card
    assert "data-terminal" not in body and "board-dialog" not in body


def test_a_held_card_shows_why_and_cannot_be_dragged(
    persona_client, sales_rep, sales_process, opportunity
):
    Approval.objects.create(
        instance=opportunity, action="start", requested_by=sales_rep, reason="Grade C"
    )
    client = persona_client(sales_rep)
    body = client.get(reverse("processes:board", args=[sales_process.pk])).content.decode()
    card = _card(body, opportunity.pk)
    assert "awaiting approval" in card and "data-movable" not in card
    response = _move(client, opportunity, stage(sales_process, "Qualified"))
    assert _outcome(response) == "refused"
    assert "waits for a manager" in response.content.decode()
    opportunity.refresh_from_db()
    assert opportunity.stage.name == "Lead"


def test_a_move_answers_with_both_columns_new_counts_and_totals(
    persona_client, sales_rep, sales_process, opportunity
):
    services.instance_open(
        definition=sales_process,
        customer=CustomerFactory(owner=sales_rep),
        title="Second deal",
        by=sales_rep,
        amount=500,
        currency="EUR",
    )
    lead, proposal = stage(sales_process, "Lead"), stage(sales_process, "Proposal")
    response = _move(persona_client(sales_rep), opportunity, proposal)
    assert _outcome(response) == "moved"
    body = response.content.decode()
    assert "“Printers for the new office” moved to Proposal." in body
    assert 'id="board-status"' in body and 'hx-swap-oob="true"' in body
    from_column, to_column = _summary(body, lead.pk), _summary(body, proposal.pk)
    assert ">1</span>" in from_column and "500.00 EUR" in from_column
    assert "PLN" not in from_column
    assert ">1</span>" in to_column and "10,000.00 PLN" in to_column
    opportunity.refresh_from_db()
    assert opportunity.stage == proposal
    assert opportunity.transitions.latest("at").by == sales_rep


@pytest.mark.parametrize("outcome", ["Won", "Lost"])
def test_won_or_lost_with_a_reason_closes_the_deal(
    persona_client, sales_rep, sales_process, opportunity, outcome
):
    lead = stage(sales_process, "Lead")
    response = _move(
        persona_client(sales_rep), opportunity, stage(sales_process, outcome), reason=" Price "
    )
    assert _outcome(response) == "moved"
    body = response.content.decode()
    assert f"closed: {outcome}." in body
    # The column it left is summed again; the outcome has no column.
    assert ">0</span>" in _summary(body, lead.pk)
    assert f'id="stage-{stage(sales_process, outcome).pk}-summary"' not in body
    opportunity.refresh_from_db()
    assert (opportunity.outcome, opportunity.outcome_reason) == (outcome.lower(), "Price")
    assert not opportunity.is_open


def test_a_move_that_ends_the_deal_without_a_reason_is_refused_beside_the_card(
    persona_client, sales_rep, sales_process, opportunity
):
    response = _move(persona_client(sales_rep), opportunity, stage(sales_process, "Won"))
    assert _outcome(response) == "refused"
    body = response.content.decode()
    assert f'id="card-{opportunity.pk}-note"' in body and 'role="alert"' in body
    assert "Say why the process ends as “Won”." in body
    opportunity.refresh_from_db()
    assert opportunity.is_open and opportunity.transitions.count() == 1


def test_a_reason_over_its_length_is_refused(persona_client, sales_rep, sales_process, opportunity):
    response = _move(
        persona_client(sales_rep), opportunity, stage(sales_process, "Lost"), reason="x" * 501
    )
    assert _outcome(response) == "refused"
    assert "at most 500 characters" in response.content.decode()
    opportunity.refresh_from_db()
    assert opportunity.is_open


def test_a_collection_write_off_by_drag_is_refused_with_the_rule(
    persona_client, finance_clerk, collections_process, customer
):
    case = services.instance_open(
        definition=collections_process, customer=customer, title="Invoice 7", by=finance_clerk
    )
    lost = collections_process.stages.get(outcome="lost")
    response = _move(persona_client(finance_clerk), case, lost, reason="Bankrupt")
    assert _outcome(response) == "refused"
    assert "Writing off a collection case needs a manager" in response.content.decode()
    case.refresh_from_db()
    assert case.is_open


@pytest.mark.parametrize(
    "bad",
    [{"stage": "abc"}, {"stage": ""}, {"from_stage": "x"}, {"from_stage": "-1"}],
    ids=["stage-text", "stage-empty", "from-text", "from-negative"],
)
def test_bad_input_is_refused_not_a_500(persona_client, sales_rep, sales_process, opportunity, bad):
    data = {"stage": stage(sales_process, "Qualified").pk, "from_stage": opportunity.stage_id}
    response = persona_client(sales_rep).post(
        reverse("processes:board_move", args=[opportunity.pk]),
        {**data, **bad},
        HTTP_HX_REQUEST="true",
    )
    assert _outcome(response) == "refused"
    opportunity.refresh_from_db()
    assert opportunity.stage.name == "Lead"


def test_without_javascript_a_move_answers_with_a_message_on_the_board(
    persona_client, sales_rep, sales_process, opportunity
):
    client = persona_client(sales_rep)
    moved = _move(client, opportunity, stage(sales_process, "Qualified"), htmx=False)
    assert moved.status_code == 302
    assert moved.url == reverse("processes:board", args=[sales_process.pk])
    page = client.get(moved.url).content.decode()
    assert "moved to Qualified" in page
    opportunity.refresh_from_db()
    refused = _move(client, opportunity, stage(sales_process, "Lost"), htmx=False)  # no reason
    assert refused.status_code == 302
    assert "alert-danger" in client.get(refused.url).content.decode()
    opportunity.refresh_from_db()
    assert opportunity.stage.name == "Qualified"


def test_a_stage_of_another_process_is_refused(
    persona_client, sales_rep, enterprise_sales, opportunity
):
    response = _move(persona_client(sales_rep), opportunity, stage(enterprise_sales, "Qualified"))
    assert _outcome(response) == "refused"
    opportunity.refresh_from_db()
    assert opportunity.stage.name == "Lead"


def test_a_card_someone_else_moved_first_is_a_clear_conflict(
    persona_client, sales_rep, manager, sales_process, opportunity
):
    lead, qualified = stage(sales_process, "Lead"), stage(sales_process, "Qualified")
    proposal = stage(sales_process, "Proposal")
    # The manager moves it while the rep's board still shows it in Lead.
    services.instance_move(instance=opportunity, to_stage=qualified, by=manager)
    client = persona_client(sales_rep)
    for target in (proposal, qualified):  # elsewhere, or where it already is
        response = _move(client, opportunity, target, from_stage=lead)
        assert _outcome(response) == "conflict"
        body = response.content.decode()
        assert "Someone else moved this card to “Qualified” meanwhile." in body
        assert response["X-Board-Stage"] == str(qualified.pk)  # the board shows it there
        # Both columns the rep sees wrongly are recounted.
        assert ">0</span>" in _summary(body, lead.pk)
        assert ">1</span>" in _summary(body, qualified.pk)
    opportunity.refresh_from_db()
    assert opportunity.stage == qualified
    assert opportunity.transitions.count() == 2


def test_a_card_someone_else_closed_first_is_a_clear_conflict(
    persona_client, sales_rep, manager, sales_process, opportunity
):
    services.instance_move(
        instance=opportunity, to_stage=stage(sales_process, "Lost"), by=manager, reason="Gone"
    )
    response = _move(
        persona_client(sales_rep),
        opportunity,
        stage(sales_process, "Won"),
        from_stage=stage(sales_process, "Lead"),
        reason="Signed",
    )
    assert _outcome(response) == "conflict"
    assert "Someone else closed this process meanwhile (Lost)." in response.content.decode()
    assert response["X-Board-Stage"] == ""
    opportunity.refresh_from_db()
    assert opportunity.outcome == "lost"


def test_the_service_refuses_a_move_from_a_stage_the_card_has_left(
    sales_rep, sales_process, opportunity
):
    # Two movers past the view's checks at once: the row lock makes the second see the first.
    from django.core.exceptions import ValidationError

    stale = ProcessInstance.objects.get(pk=opportunity.pk)
    services.instance_move(
        instance=opportunity, to_stage=stage(sales_process, "Qualified"), by=sales_rep
    )
    with pytest.raises(ValidationError) as error:
        services.instance_move(
            instance=stale,
            to_stage=stage(sales_process, "Proposal"),
            by=sales_rep,
            from_stage_id=stale.stage_id,
        )
    assert error.value.error_dict["stage"][0].code == "moved_meanwhile"


def test_anonymous_users_are_sent_to_log_in(client, sales_process, opportunity):
    response = _move(client, opportunity, stage(sales_process, "Qualified"), htmx=False)
    assert response.status_code == 302
    assert response.url.startswith(reverse("login"))
    opportunity.refresh_from_db()
    assert opportunity.stage.name == "Lead"


@pytest.mark.parametrize("persona", ["service_agent", "outsider"])
def test_who_may_not_work_sales_is_refused(
    persona_client, sales_process, opportunity, request, persona
):
    response = _move(
        persona_client(request.getfixturevalue(persona)),
        opportunity,
        stage(sales_process, "Qualified"),
    )
    assert response.status_code == 403
    opportunity.refresh_from_db()
    assert opportunity.stage.name == "Lead"


def test_get_is_not_allowed(persona_client, sales_rep, opportunity):
    url = reverse("processes:board_move", args=[opportunity.pk])
    assert persona_client(sales_rep).get(url).status_code == 405


def test_a_card_out_of_sight_is_not_found(persona_client, sales_rep, sales_process, settings):
    settings.CRM_VISIBILITY = "team"
    hidden = services.instance_open(
        definition=sales_process,
        customer=CustomerFactory(owner=UserFactory()),  # another team's customer
        title="Elsewhere",
        by=sales_rep,
    )
    ProcessInstance.objects.filter(pk=hidden.pk).update(owner=None)
    response = _move(persona_client(sales_rep), hidden, stage(sales_process, "Qualified"))
    assert response.status_code == 404
    hidden.refresh_from_db()
    assert hidden.stage.name == "Lead"


@pytest.mark.parametrize("cards", [2, 30])
def test_a_moves_query_count_does_not_grow_with_the_columns(
    persona_client, sales_rep, sales_process, opportunity, django_assert_max_num_queries, cards
):
    for i in range(cards):
        services.instance_open(
            definition=sales_process,
            customer=CustomerFactory(owner=sales_rep),
            title=f"Deal {i}",
            by=sales_rep,
            amount=100 + i,
            currency="EUR",
        )
    client = persona_client(sales_rep)
    # The move's own writes (the row lock, the instance, its log, the event, the webhooks'
    # outbox, the audit, which on SQLite is written by signals, with their savepoints), then two
    # counts and one sum: 52 on SQLite, whatever the columns hold.
    with django_assert_max_num_queries(MOVE_QUERY_BUDGET):
        response = _move(client, opportunity, stage(sales_process, "Qualified"))
    assert _outcome(response) == "moved"


def test_a_card_dropped_back_on_its_own_column_stays_and_nothing_is_refused(
    persona_client, sales_rep, sales_process, opportunity
):
    response = _move(persona_client(sales_rep), opportunity, opportunity.stage)
    assert _outcome(response) == "moved"
    assert "stays in Lead" in response.content.decode()
    opportunity.refresh_from_db()
    assert opportunity.stage.name == "Lead"


def test_a_moved_card_shows_what_is_true_in_its_new_stage(
    persona_client, sales_rep, sales_process, opportunity
):
    """Late in Lead (its 48-hour SLA passed), the card loses the badge in Qualified (no SLA):
    the answer replaces the card's body in place, not the card the drag holds."""
    ProcessInstance.objects.filter(pk=opportunity.pk).update(
        stage_due_at=timezone.now() - timedelta(hours=1)
    )
    board = persona_client(sales_rep).get(reverse("processes:board", args=[sales_process.pk]))
    assert "late" in _card(board.content.decode(), opportunity.pk)

    response = _move(persona_client(sales_rep), opportunity, stage(sales_process, "Qualified"))
    assert _outcome(response) == "moved"
    body = response.content.decode()
    card = body[body.index(f'id="card-{opportunity.pk}-body"') :].split("</li>")[0]
    assert card.startswith(f'id="card-{opportunity.pk}-body" hx-swap-oob="true"')
    assert "Printers for the new office" in card and ">late<" not in card
    assert 'id="board-status"' in body  # and the status line still says it moved
