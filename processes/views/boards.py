"""The process overview and each definition's kanban board."""

from django.db.models import Count, Q, Sum
from django.shortcuts import render
from django.utils import timezone

from core import visibility
from core.pagination import LargeTablePaginator
from core.permissions import permission_required

from .. import selectors
from ..access import can_work, get_definition_for_user, may_work_on
from ..forms import MoveForm
from ..models import ProcessDefinition, ProcessInstance
from ..permissions import VIEW_PROCESSES

# A column shows its most recently active cards; the list view has them all.
BOARD_CARDS_PER_STAGE = 20


@permission_required(VIEW_PROCESSES)
def process_overview(request):
    # The open counts cover the processes of the customers the user sees (core.visibility).
    counted = Q(instances__closed_at__isnull=True)
    seen = visibility.visible_q(request.user, "instances__customer__")
    if seen is not None:
        counted &= seen | Q(instances__owner=request.user.pk)
    definitions = ProcessDefinition.objects.filter(active=True).annotate(
        open_count=Count("instances", filter=counted)
    )
    return render(request, "processes/overview.html", {"definitions": definitions})


@permission_required(VIEW_PROCESSES)
def board(request, pk):
    """The kanban board: one column per working stage, the most recently active cards first."""
    definition = get_definition_for_user(request, pk)
    stages = list(definition.stages.order_by("position"))
    working = [stage for stage in stages if not stage.is_terminal]
    may_move = can_work(request.user, definition.kind)
    # In team mode a non-manager's board shows the cards of the customers they see; the sums
    # over all open cards (selectors.recent_open_totals) are everybody's, so such a board counts
    # its own columns (up to the lists' cap) and sums only the columns counted in full.
    filtered = visibility.visible_q(request.user) is not None
    now = timezone.now()
    columns = []
    for stage in working:
        in_stage = (
            ProcessInstance.objects.visible_to(request.user)
            .open()
            .filter(definition=definition, stage=stage)
            .order_by("-last_activity_at", "-id")
        )
        # The cards: one small query per column (at most seven), read in the order of
        # instance_board_cards_idx; numbering all open cards of a definition sorted them all.
        shown = in_stage.select_related("customer", "owner", "stage").with_hold()
        cards = list(shown[:BOARD_CARDS_PER_STAGE])
        if len(cards) < BOARD_CARDS_PER_STAGE:
            count, count_is_capped = len(cards), False  # the whole column is on show
        else:
            # A column of a large pipeline holds tens of thousands of cards: it is counted as
            # the big lists are, up to their cap and off instance_board_cards_idx alone, and a
            # count over the cap is remembered for a while (core.pagination).
            counted = LargeTablePaginator(in_stage, BOARD_CARDS_PER_STAGE)
            count, count_is_capped = counted.count, counted.count_is_capped
        targets = MoveForm.targets_for(cards[0], stages=stages) if cards else None
        for card in cards:
            card.late = card.stage_sla_breached(now)
            # A card held for a manager's approval cannot move: it shows why instead of the form.
            card.move_form = (
                MoveForm(instance=card, targets=targets)
                if may_move
                and not card.awaiting_start_approval
                and may_work_on(request.user, card, definition=definition)
                else None
            )
        columns.append(
            {
                "stage": stage,
                "cards": cards,
                "count": count,
                "count_is_capped": count_is_capped,
                "amounts": [],
            }
        )
    # The amounts per currency of the columns counted in full. A column over the cap takes its
    # count and amounts from a sum over all open cards reused for up to a minute, and says when
    # it was summed: summing them on every view took longer than the rest of the page.
    if not filtered and any(c["count_is_capped"] for c in columns):
        summed, summed_at = selectors.recent_open_totals(definition)
        for column in columns:
            if column["count_is_capped"]:
                found = summed.get(column["stage"].pk, {"count": 0, "amounts": []})
                column.update(found, summed_at=summed_at)
    totalled = {c["stage"].pk: c for c in columns if c["count"] and not c["count_is_capped"]}
    if totalled:
        for row in (
            ProcessInstance.objects.visible_to(request.user)
            .open()
            .filter(definition=definition, stage__in=totalled, amount__isnull=False)
            .values("stage_id", "currency")
            .annotate(amount=Sum("amount"))
            .order_by("stage_id", "currency")
        ):
            totalled[row["stage_id"]]["amounts"].append((row["currency"], row["amount"]))
    return render(
        request,
        "processes/board.html",
        {
            "definition": definition,
            "columns": columns,
            "may_move": may_move,
            "per_stage": BOARD_CARDS_PER_STAGE,
        },
    )
