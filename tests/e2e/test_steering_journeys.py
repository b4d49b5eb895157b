"""A manager steers from the app, in a real browser: a KPI target, a decision rule (with its
preview) and a process definition (rename a stage, change an SLA, swap two stages, a refused
removal, then the history), with axe-core on the definition pages."""

import re
from decimal import Decimal

import pytest
from playwright.sync_api import expect

from processes import services
from processes.models import DecisionRule, KpiTarget
from tests.e2e.axe import describe, violations
from tests.factories import CustomerFactory, ProcessDefinitionFactory

pytestmark = pytest.mark.django_db(transaction=True)


def assert_accessible(page, name):
    found = violations(page)
    assert not found, f"{name}:\n{describe(found)}"


def test_a_manager_edits_a_target_a_rule_and_a_definition(
    login, page, screenshot, manager, sales_rep
):
    definition = ProcessDefinitionFactory(name="SMB sales", kind="sales")
    target = KpiTarget.objects.create(
        definition=definition, metric=KpiTarget.Metric.WIN_RATE, target=Decimal("30")
    )
    rule = DecisionRule.objects.create(
        definition=definition, name="Only real deals", min_amount=Decimal(1), created_by=manager
    )
    customer = CustomerFactory(display_name="Novák Tisk s.r.o.", owner=sales_rep)
    deal = services.instance_open(
        definition=definition,
        customer=customer,
        title="Office printers",
        by=sales_rep,
        amount=Decimal("18000"),
        currency="PLN",
    )
    login(manager)

    # A KPI target.
    page.goto("/processes/")
    page.get_by_role("link", name="KPI targets").click()
    page.locator(f"#target-{target.pk}").get_by_role("link", name="Edit").click()
    page.get_by_label("Target value").fill("35")
    page.get_by_role("button", name="Save target").click()
    expect(page.get_by_text("KPI target saved.")).to_be_visible()
    target.refresh_from_db()
    assert target.target == Decimal("35")
    screenshot("steering-kpi-target-saved")

    # A decision rule, previewed before it is saved.
    page.goto("/processes/")
    page.get_by_role("link", name="Decision rules").click()
    page.locator(f"a[href='/processes/rules/{rule.pk}/edit/']").click()
    page.get_by_label("Minimum amount (PLN)").fill("5000")
    page.get_by_role("button", name="Preview: how many customers does it admit?").click()
    expect(page.locator("#rule-preview")).to_contain_text("Today this rule lets a process start")
    screenshot("steering-decision-rule-preview")
    page.get_by_role("button", name="Save rule").click()
    expect(page.get_by_text("Decision rule saved.")).to_be_visible()
    rule.refresh_from_db()
    assert rule.min_amount == Decimal("5000")

    # The definitions, grouped by kind.
    page.goto("/processes/")
    page.get_by_role("link", name="Edit definitions").click()
    expect(page.get_by_role("heading", name="Process definitions")).to_be_visible()
    expect(page.locator(f"#definition-{definition.pk}")).to_contain_text("1 open process")
    assert_accessible(page, "definition list")
    screenshot("steering-definition-list")

    # Rename a stage, change its SLA, swap two stages.
    page.locator(f"#definition-{definition.pk}").get_by_role("link", name="Edit").click()
    expect(page.locator("#definition-running-note")).to_contain_text(
        "1 open process keeps its deadlines and costs"
    )
    assert_accessible(page, "definition editor")
    page.get_by_label("Name (Qualified)", exact=True).fill("Qualified lead")
    page.get_by_label("SLA (hours) (Lead)", exact=True).fill("24")
    page.get_by_label("Position (Lead)", exact=True).fill("2")
    page.get_by_label("Position (Qualified)", exact=True).fill("1")
    page.get_by_label("Comment for the history").fill("Qualify first, answer leads within a day")
    page.get_by_role("button", name="Save definition").click()
    expect(page.get_by_text("“SMB sales” saved as version 2.")).to_be_visible()
    assert list(definition.stages.values_list("name", flat=True)) == [
        "Qualified lead",
        "Lead",
        "Proposal",
        "Won",
        "Lost",
    ]
    screenshot("steering-definition-saved")

    # Removing the stage the deal is in is refused, with the count, and nothing is lost.
    page.get_by_label("Remove (Lead)", exact=True).check()
    page.get_by_label("Name (Proposal)", exact=True).fill("Offer")
    page.get_by_role("button", name="Save definition").click()
    expect(page.locator("#stage-errors")).to_contain_text(
        "“Lead” cannot be removed: 1 process is in it or has passed through it."
    )
    expect(page.get_by_label("Name (Proposal)", exact=True)).to_have_value("Offer")
    assert_accessible(page, "definition editor with a refusal")
    screenshot("steering-definition-refused")
    deal.refresh_from_db()
    assert deal.stage.name == "Lead"

    # The history: who, when, the comment and the readable change list; a version as it was.
    page.get_by_role("link", name="History").first.click()
    latest = page.locator("#revision-2")
    expect(latest).to_contain_text("Qualify first, answer leads within a day")
    expect(latest).to_contain_text("Stage “Qualified” renamed to “Qualified lead”.")
    expect(latest).to_contain_text("Stage “Lead”, SLA (hours): 48 → 24")
    expect(latest).to_contain_text("Stage “Lead” moved from position 1 to 2.")
    assert_accessible(page, "definition history")
    screenshot("steering-definition-history")
    page.locator("#revision-1").get_by_role("link", name=re.compile("View as it was")).click()
    expect(page.get_by_role("heading", name="“SMB sales”, version 1")).to_be_visible()
    expect(page.get_by_role("cell", name="Qualified", exact=True)).to_be_visible()
    assert_accessible(page, "definition revision")
    screenshot("steering-definition-revision")

    # A new definition starts with the stages its kind needs.
    page.goto("/processes/definitions/")
    page.get_by_role("link", name="New definition").click()
    assert_accessible(page, "new definition")
    page.get_by_label("Name").fill("Key account onboarding")
    page.get_by_label("Kind").select_option(label="Onboarding")
    page.get_by_role("button", name="Create definition").click()
    expect(page.get_by_text("“Key account onboarding” created")).to_be_visible()
    expect(page.get_by_label("Name (In progress)", exact=True)).to_have_value("In progress")

    # A new variant, copied.
    page.goto(f"/processes/{definition.pk}/definition/copy/")
    assert_accessible(page, "copy as a variant")
    page.get_by_label("Name of the new variant").fill("Enterprise sales")
    page.get_by_role("button", name="Create the copy").click()
    expect(page.get_by_text("“Enterprise sales” created as a copy of “SMB sales”")).to_be_visible()
    expect(page.get_by_label("Name (Qualified lead)", exact=True)).to_have_value("Qualified lead")
