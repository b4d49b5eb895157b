"""The process overview and each definition's kanban board, and the board's moves.

The board is the pipeline page people keep open all day: its cards are read as `values()` rows
(no model instances) and rendered by `_card_renderer` with `format_html` around labels
translated once per page, not by a template included per card. Moves are POSTed by
static/js/board.js (drag and drop, or the "Move to…" dialog) to `board_move`, which answers
with the columns' new counts and totals as htmx out-of-band swaps.
"""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import Count, Q, Sum
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import formats, timezone
from django.utils.html import format_html
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from core import money, visibility
from core.pagination import LargeTablePaginator
from core.permissions import permission_required

from .. import selectors, services
from ..access import can_work, get_definition_for_user, get_instance_for_user, may_work_on_card
from ..forms import BoardMoveForm
from ..models import ProcessDefinition, ProcessInstance
from ..models.instances import title_text
from ..permissions import VIEW_PROCESSES

# A column shows its most recently active cards; the list view has them all.
BOARD_CARDS_PER_STAGE = 20

# What a card shows, read as plain rows: model instances with their customer, owner and stage
# took about half of the page's time.
CARD_FIELDS = (
    "pk",
    "title",
    "title_kind",  # with title_params: a title the CRM wrote, in the reader's language
    "title_params",
    "stage_id",
    "owner_id",
    "owner__username",
    "customer_id",
    "customer__display_name",
    "customer__owner_id",
    "amount",
    "currency",
    "expected_close_on",
    "stage_due_at",
    "awaiting_start_approval",
)

# The URL placeholder board.js replaces with a card's id.
PLACEHOLDER = "9876543210"
# What became of a move: "moved", "refused" (the rules) or "conflict" (someone else was first).
MOVE_OUTCOME_HEADER = "X-Board-Move"
MOVE_STAGE_HEADER = "X-Board-Stage"


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


def _in_stage(user, definition, stage):
    return (
        ProcessInstance.objects.visible_to(user)
        .open()
        .filter(definition=definition, stage=stage)
        .order_by("-last_activity_at", "-id")
    )


def _counted(in_stage, shown=None):
    """(count, count_is_capped) of a column; `shown`: its cards on show, when fewer than a
    column holds (then they are the whole column and need no count)."""
    if shown is not None and shown < BOARD_CARDS_PER_STAGE:
        return shown, False
    # A column of a large pipeline holds tens of thousands of cards: it is counted as the big
    # lists are, up to their cap and off instance_board_cards_idx alone, and a count over the
    # cap is remembered for a while (core.pagination).
    counted = LargeTablePaginator(in_stage, BOARD_CARDS_PER_STAGE)
    return counted.count, counted.count_is_capped


def _sum_columns(user, definition, columns):
    """Each column's amounts per currency (and, over the count cap, its count).

    A column over the cap takes its count and amounts from a sum over all open cards reused
    for up to a minute, and says when it was summed: summing them on every view took longer
    than the rest of the page. In team mode a non-manager's board counts its own columns (up
    to the lists' cap) and sums only the columns counted in full, since that sum is
    everybody's."""
    filtered = visibility.visible_q(user) is not None
    if not filtered and any(c["count_is_capped"] for c in columns):
        summed, summed_at = selectors.recent_open_totals(definition)
        for column in columns:
            if column["count_is_capped"]:
                found = summed.get(column["stage"].pk, {"count": 0, "amounts": []})
                column.update(found, summed_at=summed_at)
    totalled = {c["stage"].pk: c for c in columns if c["count"] and not c["count_is_capped"]}
    if totalled:
        for row in (
            ProcessInstance.objects.visible_to(user)
            .open()
            .filter(definition=definition, stage__in=totalled, amount__isnull=False)
            .values("stage_id", "currency")
            .annotate(amount=Sum("amount"))
            .order_by("stage_id", "currency")
        ):
            totalled[row["stage_id"]]["amounts"].append((row["currency"], row["amount"]))
    for column in columns:
        column["amount_labels"] = [
            money.format_money(amount, currency) for currency, amount in column["amounts"]
        ]


def _url_for_pk(viewname):
    """`viewname`'s URL for a primary key, the pattern reversed once around a placeholder."""
    head, tail = reverse(viewname, args=[PLACEHOLDER]).split(PLACEHOLDER)
    return lambda pk: f"{head}{pk}{tail}"


def _card_renderer(user, definition, *, in_place=False):
    """A function rendering one card row: the labels are translated and the URLs reversed
    once per page, and each card is one format_html call (an included template per card cost
    about as much as the rest of the page). `in_place`: one rendering only the card's body,
    as an out-of-band swap for a move's answer."""
    may_move = can_work(user, definition.kind)
    detail_url = _url_for_pk("processes:instance_detail")
    customer_url = _url_for_pk("customers:detail")
    late = format_html(' <span class="badge text-bg-danger">{}</span>', _("late"))
    held = format_html(
        ' <span class="badge text-bg-warning" title="{}">{}</span>',
        _("Started despite a decision rule: it cannot move until a manager approves"),
        _("awaiting approval"),
    )
    unassigned = _("unassigned")
    move_label = _("Move to…")
    now = timezone.now()
    # Whether the user may work on a card depends only on who owns it and its customer, and
    # a board's 60 cards share a few owners: asked once per pair, not once per card.
    may_work = {}

    def is_movable(card):
        if not may_move or card["awaiting_start_approval"]:
            return False
        owners = (card["owner_id"], card["customer__owner_id"])
        if owners not in may_work:
            may_work[owners] = may_work_on_card(
                user, definition.kind, owner_id=owners[0], customer_owner_id=owners[1]
            )
        return may_work[owners]

    def render_body(card, movable, *, oob=False):
        """What the card shows; `oob`: to replace it in place after a move (the late badge
        follows the new stage's deadline), keeping the card itself, which the drag holds."""
        details = []
        if card["amount"] is not None:
            details.append(money.format_money(card["amount"], card["currency"]))
        details.append(card["owner__username"] or unassigned)
        if card["expected_close_on"]:
            details.append(formats.date_format(card["expected_close_on"], "SHORT_DATE_FORMAT"))
        button = (
            format_html(
                '<button type="button" class="btn btn-sm btn-outline-secondary board-move" '
                'aria-haspopup="dialog">{}<span class="visually-hidden"> {}</span></button>',
                move_label,
                title_text(card["title"], card["title_kind"], card["title_params"]),
            )
            if movable
            else ""
        )
        start = (
            '<div class="card-body p-2 small" id="card-{pk}-body" hx-swap-oob="true">'
            if oob
            else '<div class="card-body p-2 small" id="card-{pk}-body">'
        )
        return format_html(
            start + '<a class="fw-semibold" href="{url}">{title}</a>{late}{held}'
            '<div><a class="link-secondary" href="{customer_url}">{customer}</a></div>'
            '<div class="text-body-secondary">{details}</div>{button}'
            '<div class="board-note" id="card-{pk}-note"></div></div>',
            pk=card["pk"],
            title=title_text(card["title"], card["title_kind"], card["title_params"]),
            url=detail_url(card["pk"]),
            late=late if card["stage_due_at"] is not None and card["stage_due_at"] < now else "",
            held=held if card["awaiting_start_approval"] else "",
            customer_url=customer_url(card["customer_id"]),
            customer=card["customer__display_name"],
            details=" · ".join(details),
            button=button,
        )

    def render_card(card):
        movable = is_movable(card)
        return format_html(
            '<li class="card board-card" id="card-{pk}" data-card="{pk}" data-stage="{stage}" '
            'data-title="{title}"{movable}>{body}</li>',
            pk=card["pk"],
            stage=card["stage_id"],
            title=title_text(card["title"], card["title_kind"], card["title_params"]),
            movable=" data-movable" if movable else "",
            body=render_body(card, movable),
        )

    if in_place:
        return lambda card: render_body(card, is_movable(card), oob=True)
    return render_card


@permission_required(VIEW_PROCESSES)
def board(request, pk):
    """The kanban board: one column per working stage, the most recently active cards first,
    and a drop target per outcome (won, lost, ...)."""
    definition = get_definition_for_user(request, pk)
    stages = list(definition.stages.order_by("position"))
    render_card = _card_renderer(request.user, definition)
    columns = []
    for stage in (stage for stage in stages if not stage.is_terminal):
        in_stage = _in_stage(request.user, definition, stage)
        # The cards: one small query per column (at most seven), read in the order of
        # instance_board_cards_idx; numbering all open cards of a definition sorted them all.
        cards = list(in_stage.with_hold().values(*CARD_FIELDS)[:BOARD_CARDS_PER_STAGE])
        count, count_is_capped = _counted(in_stage, len(cards))
        columns.append(
            {
                "stage": stage,
                # Each card is format_html's SafeString: their concatenation is safe too.
                "cards": mark_safe("".join(render_card(card) for card in cards)),
                "shown": len(cards),
                "card_ids": [card["pk"] for card in cards],
                "count": count,
                "count_is_capped": count_is_capped,
                "amounts": [],
            }
        )
    _sum_columns(request.user, definition, columns)
    return render(
        request,
        "processes/board.html",
        {
            "definition": definition,
            "columns": columns,
            "outcomes": [stage for stage in stages if stage.is_terminal],
            "stages": stages,
            "may_move": can_work(request.user, definition.kind),
            "per_stage": BOARD_CARDS_PER_STAGE,
            "move_url": reverse("processes:board_move", args=[PLACEHOLDER]),
            "placeholder": PLACEHOLDER,
        },
    )


def _move_answer(request, instance, stages, *, outcome, message):
    """The move's answer: the status line (moved) or the note beside the card (refused,
    conflict), and the new figures of the columns involved, all swapped in out of band.

    It is a 200 whatever the outcome, as a form with errors is, and says the outcome in the
    X-Board-Move header, which board.js reads to keep the card or put it back: the browser
    reports a 4xx answer as an error in the console, which the journeys count as a defect.

    Without htmx (a plain form post, no JavaScript) the outcome is a message on the board,
    after a redirect, as for every other form."""
    if not request.htmx:
        if outcome == "moved":
            messages.success(request, message)
        else:
            messages.error(request, message)
        return redirect(reverse("processes:board", args=[instance.definition_id]))
    columns = []
    for stage in stages:
        if not stage.is_terminal:
            count, count_is_capped = _counted(_in_stage(request.user, instance.definition, stage))
            columns.append(
                {"stage": stage, "count": count, "count_is_capped": count_is_capped, "amounts": []}
            )
    _sum_columns(request.user, instance.definition, columns)
    card = ""
    if outcome != "refused":
        # Where the card now stands, it shows what is true there (the late badge follows the
        # new stage's deadline).
        row = (
            ProcessInstance.objects.open()
            .filter(pk=instance.pk)
            .with_hold()
            .values(*CARD_FIELDS)
            .first()
        )
        if row is not None:
            card = _card_renderer(request.user, instance.definition, in_place=True)(row)
    response = render(
        request,
        "processes/_board_move.html",
        {
            "card_pk": instance.pk,
            "card": card,
            "columns": columns,
            "message": message,
            "outcome": outcome,
        },
    )
    response[MOVE_OUTCOME_HEADER] = outcome
    return response


@require_POST
@permission_required(VIEW_PROCESSES)
def board_move(request, pk):
    """A card dropped on another column (or moved with the "Move to…" dialog): the same
    service and rules as the instance page's form. X-Board-Move says "moved", "refused" by the
    rules (the message goes beside the card) or "conflict": someone else moved or closed it
    first."""
    instance = get_instance_for_user(request, pk, write=True)
    if request.POST.get("stage") == str(instance.stage_id) and request.POST.get(
        "from_stage", str(instance.stage_id)
    ) in ("", str(instance.stage_id)):
        # Dropped back where it was: nothing to do, and nothing refused.
        message = _("“%(title)s” stays in %(stage)s.") % {
            "title": instance.display_title,
            "stage": instance.stage.name,
        }
        return _move_answer(request, instance, [instance.stage], outcome="moved", message=message)
    form = BoardMoveForm(request.POST, instance=instance)
    if not form.is_valid():
        if form.cleaned_data.get("from_stage") not in (None, instance.stage_id):
            return _race(request, instance, form.cleaned_data["from_stage"])
        errors = [message for field_errors in form.errors.values() for message in field_errors]
        return _move_answer(
            request,
            instance,
            [instance.stage],
            outcome="refused",
            message=" ".join(errors),
        )
    to_stage = form.cleaned_data["stage"]
    from_stage = instance.stage
    try:
        services.instance_move(
            instance=instance,
            to_stage=to_stage,
            by=request.user,
            reason=form.cleaned_data["reason"],
            from_stage_id=form.cleaned_data["from_stage"],
        )
    except ValidationError as error:
        if any(e.code == "moved_meanwhile" for e in error.error_dict.get("stage", [])):
            return _race(request, instance, form.cleaned_data["from_stage"])
        return _move_answer(
            request,
            instance,
            [from_stage],
            outcome="refused",
            message=" ".join(error.messages),
        )
    if instance.is_open:
        message = _("“%(title)s” moved to %(stage)s.") % {
            "title": instance.display_title,
            "stage": to_stage.name,
        }
    else:
        message = _("“%(title)s” closed: %(outcome)s.") % {
            "title": instance.display_title,
            "outcome": instance.get_outcome_display(),
        }
    return _move_answer(request, instance, [from_stage, to_stage], outcome="moved", message=message)


def _race(request, instance, seen_in):
    """Someone else moved or closed the card first: say so, and refresh the columns."""
    fresh = ProcessInstance.objects.select_related("definition", "stage").get(pk=instance.pk)
    error = services.moved_meanwhile(fresh)
    stages = list(
        fresh.definition.stages.filter(pk__in=[s for s in (seen_in, fresh.stage_id) if s])
    )
    response = _move_answer(request, fresh, stages, outcome="conflict", message=error.messages[0])
    # Where the card is now, so that the board shows it there (nothing: it was closed).
    response[MOVE_STAGE_HEADER] = fresh.stage_id if fresh.is_open else ""
    return response
