"""The pipeline board in a real browser at 1366 px: dragging deals across stages, to Won and to
Lost with a reason asked in a dialog, a cancelled drop, a move someone else made first, a move
by keyboard alone, and a collapsed column that stays collapsed."""

import re

import pytest
from playwright.sync_api import expect

from processes import services
from processes.models import ProcessInstance
from tests.e2e.axe import describe, violations
from tests.factories import CustomerFactory, ProcessDefinitionFactory

pytestmark = pytest.mark.django_db(transaction=True)

STAGES = [
    ("Lead", {"win_probability": 10, "sla_hours": 48}),
    ("Qualified", {"win_probability": 20}),
    ("Demo", {"win_probability": 35}),
    ("Proposal", {"win_probability": 50}),
    ("Negotiation", {"win_probability": 70}),
    ("Contract sent", {"win_probability": 90}),
    ("Won", {"outcome": "won", "win_probability": 100}),
    ("Lost", {"outcome": "lost", "win_probability": 0}),
]


@pytest.fixture
def pipeline(sales_rep):
    definition = ProcessDefinitionFactory(name="SMB sales", kind="sales", stages=STAGES)
    deals = {}
    for title, customer, amount, currency in [
        ("Office printers", "Novák Tisk s.r.o.", 18000, "PLN"),
        ("Scanner fleet", "Kowalski Logistics", 4200, "EUR"),
        ("Toner contract", "Dvořák & syn", 950, "EUR"),
        ("Archive shelving", "Nowak Archiwum", 7300, "PLN"),
    ]:
        deals[title] = services.instance_open(
            definition=definition,
            customer=CustomerFactory(display_name=customer, owner=sales_rep),
            title=title,
            by=sales_rep,
            amount=amount,
            currency=currency,
        )
    return definition, {s.name: s for s in definition.stages.all()}, deals


def _drag(page, card, target):
    """Drag with the mouse, in steps, as a person does (SortableJS follows pointer moves), held
    by the card's amount line: its links and button are for clicking."""
    card.scroll_into_view_if_needed()
    box = card.locator(".text-body-secondary").bounding_box()
    page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    page.mouse.down()
    page.mouse.move(box["x"] + box["width"] / 2 + 10, box["y"] + 10, steps=4)
    target_box = target.bounding_box()
    page.mouse.move(target_box["x"] + target_box["width"] / 2, target_box["y"] + 20, steps=15)
    page.mouse.up()


def _column(page, stage):
    return page.locator(f'.board-cards[data-stage="{stage.pk}"]')


def _count(page, stage):
    return page.locator(f"#stage-{stage.pk}-summary .badge")


def test_a_sales_rep_drags_deals_across_the_board_and_wins_and_loses_them(
    login, page, screenshot, sales_rep, pipeline
):
    definition, stages, deals = pipeline
    login(sales_rep)
    page.goto(f"/processes/{definition.pk}/board/")
    printers = page.locator(f"#card-{deals['Office printers'].pk}")
    expect(printers).to_be_visible()
    expect(_count(page, stages["Lead"])).to_have_text("4")
    # Every stage and both outcomes are on screen at 1366 px.
    for name in ("Lead", "Contract sent"):
        expect(page.locator(f"#stage-{stages[name].pk}")).to_be_in_viewport()
    expect(_column(page, stages["Won"])).to_be_in_viewport()
    expect(_column(page, stages["Lost"])).to_be_in_viewport()
    screenshot("board-1366")
    assert not violations(page), describe(violations(page))

    # Lead → Proposal: no reason needed; both columns recount.
    _drag(page, printers, _column(page, stages["Proposal"]))
    expect(page.locator("#board-status")).to_contain_text("moved to Proposal")
    expect(_column(page, stages["Proposal"]).locator(printers)).to_have_count(1)
    expect(_count(page, stages["Lead"])).to_have_text("3")
    expect(_count(page, stages["Proposal"])).to_have_text("1")
    expect(page.locator(f"#stage-{stages['Proposal'].pk}-summary")).to_contain_text("18,000.00")
    assert ProcessInstance.objects.get(pk=deals["Office printers"].pk).stage.name == "Proposal"

    # Proposal → Won asks why; the deal leaves the board.
    _drag(page, printers, _column(page, stages["Won"]))
    dialog = page.locator("#board-dialog")
    expect(dialog).to_be_visible()
    expect(dialog.get_by_label("Reason")).to_be_focused()
    dialog.get_by_role("button", name="Move").click()
    expect(dialog.get_by_text("Say why the process ends.")).to_be_visible()  # nothing sent
    dialog.get_by_label("Reason").fill("Best service terms")
    screenshot("board-reason-dialog")
    assert not violations(page), describe(violations(page))
    dialog.get_by_role("button", name="Move").click()
    expect(dialog).to_be_hidden()
    expect(page.locator("#board-status")).to_contain_text("closed: Won")
    expect(printers).to_have_count(0)
    expect(_count(page, stages["Proposal"])).to_have_text("0")
    won = ProcessInstance.objects.get(pk=deals["Office printers"].pk)
    assert (won.outcome, won.outcome_reason) == ("won", "Best service terms")

    # Lead → Lost, cancelled first: the card goes back to Lead and nothing is saved.
    scanner = page.locator(f"#card-{deals['Scanner fleet'].pk}")
    _drag(page, scanner, _column(page, stages["Lost"]))
    expect(dialog).to_be_visible()
    dialog.get_by_role("button", name="Cancel").click()
    expect(dialog).to_be_hidden()
    expect(_column(page, stages["Lead"]).locator(scanner)).to_have_count(1)
    assert ProcessInstance.objects.get(pk=deals["Scanner fleet"].pk).is_open
    _drag(page, scanner, _column(page, stages["Lost"]))
    dialog.get_by_label("Reason").fill("Chose a cheaper offer")
    dialog.get_by_role("button", name="Move").click()
    expect(page.locator("#board-status")).to_contain_text("closed: Lost")
    expect(scanner).to_have_count(0)
    expect(_count(page, stages["Lead"])).to_have_text("2")
    lost = ProcessInstance.objects.get(pk=deals["Scanner fleet"].pk)
    assert (lost.outcome, lost.outcome_reason) == ("lost", "Chose a cheaper offer")
    screenshot("board-after-moves")


def test_a_move_someone_else_made_first_is_refused_beside_the_card_shown_where_it_is(
    login, page, screenshot, sales_rep, manager, pipeline
):
    definition, stages, deals = pipeline
    login(sales_rep)
    page.goto(f"/processes/{definition.pk}/board/")
    shelving = page.locator(f"#card-{deals['Archive shelving'].pk}")
    expect(shelving).to_be_visible()
    # Meanwhile a manager moves it on their own board.
    services.instance_move(
        instance=deals["Archive shelving"], to_stage=stages["Negotiation"], by=manager
    )
    _drag(page, shelving, _column(page, stages["Demo"]))
    note = page.locator(f"#card-{deals['Archive shelving'].pk}-note")
    expect(note).to_contain_text("Someone else moved this card to “Negotiation” meanwhile.")
    # The card goes where it is now, and both columns are recounted.
    expect(_column(page, stages["Negotiation"]).locator(shelving)).to_have_count(1)
    expect(_column(page, stages["Demo"]).locator(shelving)).to_have_count(0)
    expect(_count(page, stages["Negotiation"])).to_have_text("1")
    expect(_count(page, stages["Lead"])).to_have_text("3")
    screenshot("board-refused-move")
    assert ProcessInstance.objects.get(pk=deals["Archive shelving"].pk).stage.name == "Negotiation"


def test_a_deal_moves_with_the_keyboard_alone_and_a_column_stays_collapsed(
    login, page, screenshot, sales_rep, pipeline
):
    definition, stages, deals = pipeline
    login(sales_rep)
    page.goto(f"/processes/{definition.pk}/board/")
    toner = deals["Toner contract"]
    card = page.locator(f"#card-{toner.pk}")
    # Tab from the deal's link, past its customer, to its "Move to…" button.
    card.get_by_role("link", name="Toner contract").focus()
    page.keyboard.press("Tab")
    page.keyboard.press("Tab")
    move = card.get_by_role("button", name=re.compile("Move to"))
    expect(move).to_be_focused()
    page.keyboard.press("Enter")
    dialog = page.locator("#board-dialog")
    expect(dialog).to_be_visible()
    expect(dialog.get_by_label("Move to")).to_be_focused()
    page.keyboard.type("Neg")  # a closed select picks the option its name starts with
    expect(dialog.get_by_label("Move to")).to_have_value(str(stages["Negotiation"].pk))
    page.keyboard.press("Tab")  # Cancel
    page.keyboard.press("Tab")  # Move
    page.keyboard.press("Enter")
    expect(page.locator("#board-status")).to_contain_text("moved to Negotiation")
    expect(_column(page, stages["Negotiation"]).locator(card)).to_have_count(1)
    expect(move).to_be_focused()  # the keyboard user carries on from the card
    assert ProcessInstance.objects.get(pk=toner.pk).stage.name == "Negotiation"

    # Collapse "Demo"; it stays collapsed on the next visit.
    demo = page.locator(f'section.board-column[data-stage="{stages["Demo"].pk}"]')
    demo.get_by_role("button", name="Collapse or expand Demo").click()
    expect(demo).to_have_class(re.compile("board-column-collapsed"))
    page.reload()
    expect(demo).to_have_class(re.compile("board-column-collapsed"))
    expect(demo.get_by_role("button", name="Collapse or expand Demo")).to_have_attribute(
        "aria-expanded", "false"
    )
    screenshot("board-collapsed-column")
