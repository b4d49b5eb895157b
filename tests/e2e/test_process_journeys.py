"""What a sales rep and a service agent do with processes, in a real browser."""

import re

import pytest
from playwright.sync_api import expect

from processes import services
from processes.models import ProcessInstance, Ticket
from tests.factories import (
    ContactPersonFactory,
    CustomerFactory,
    ProcessDefinitionFactory,
    SlaPolicyFactory,
)

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_sales_rep_moves_an_opportunity_across_the_board_and_wins_it(
    login, page, screenshot, sales_rep
):
    definition = ProcessDefinitionFactory(name="SMB sales", kind="sales")
    customer = CustomerFactory(display_name="Novák Tisk s.r.o.", owner=sales_rep)
    login(sales_rep)

    page.goto(customer.get_absolute_url())
    page.locator("#processes").get_by_role("link", name="Open a process").click()
    page.get_by_label("Process").select_option(label="SMB sales")
    page.get_by_label("Title").fill("Office printers")
    page.get_by_label("Amount").fill("18000")
    page.get_by_role("button", name="Open").click()
    expect(page.get_by_text("Process opened.")).to_be_visible()
    instance = ProcessInstance.objects.get()

    page.goto(f"/processes/{definition.pk}/board/")
    card = page.locator(f"#card-{instance.pk}")
    expect(card).to_be_visible()
    card.get_by_role("button", name=re.compile("Move to")).click()
    dialog = page.locator("#board-dialog")
    dialog.get_by_label("Move to").select_option(label="Proposal")
    dialog.get_by_role("button", name="Move").click()
    expect(page.locator("#board-status")).to_contain_text("moved to Proposal")
    expect(
        page.locator("section", has_text="Proposal").locator(f"#card-{instance.pk}")
    ).to_be_visible()
    screenshot("process-board")

    # The instance page's own form: no reason, it explains beside the field, nothing saved.
    page.goto(instance.get_absolute_url())
    page.get_by_label("Move to").select_option(label="Won")
    page.locator("#move").get_by_role("button", name="Move").click()
    expect(page.get_by_text(re.compile("Say why the process ends"))).to_be_visible()
    page.get_by_label("Reason").fill("Best service terms")
    page.get_by_label("Move to").select_option(label="Won")
    page.locator("#move").get_by_role("button", name="Move").click()
    expect(page.get_by_text("Closed: Won.")).to_be_visible()
    instance.refresh_from_db()
    assert instance.outcome == "won"

    page.goto(customer.get_absolute_url())
    expect(page.locator(".timeline")).to_contain_text("Process closed")
    screenshot("process-won-timeline")


def test_a_service_agent_records_a_first_response_on_a_ticket(
    login, page, screenshot, service_agent
):
    definition = ProcessDefinitionFactory(name="24/7 support", kind="support")
    SlaPolicyFactory(definition=definition, priority="urgent", response_hours=1, resolution_hours=4)
    customer = CustomerFactory(display_name="Kowalski Logistics")
    ContactPersonFactory(customer=customer, first_name="Jan", last_name="Kowalski")
    login(service_agent)

    page.goto(customer.get_absolute_url())
    page.locator("#processes").get_by_role("link", name="New ticket").click()
    page.get_by_label("Support process").select_option(label="24/7 support")
    page.get_by_label("Subject").fill("Scanner offline")
    page.get_by_label("Description").fill("The warehouse scanner does not connect.")
    page.get_by_label("Priority").select_option("urgent")
    page.get_by_label("Contact person").select_option(label="Jan Kowalski")
    page.get_by_role("button", name="Open ticket").click()
    expect(page.get_by_text("Ticket opened.")).to_be_visible()
    expect(page.locator("#ticket")).to_contain_text("Urgent")

    page.get_by_role("button", name="Record first response").click()
    expect(page.get_by_text("First response recorded.")).to_be_visible()
    ticket = Ticket.objects.get()
    assert ticket.first_response_by == service_agent
    expect(page.locator("#ticket")).to_contain_text(service_agent.username)
    screenshot("ticket-responded")

    page.goto("/tickets/")
    expect(page.locator("#tickets")).to_contain_text("Scanner offline")
    assert services  # the same services the screens use
