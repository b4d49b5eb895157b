"""Each role's home page, the notifications bell and the approvals inbox, in a real browser."""

import re
from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from processes import services
from processes.models import Approval, Notification, ProcessInstance
from relationships.models import Payout
from tests.factories import (
    ContactPersonFactory,
    CustomerFactory,
    InvoiceFactory,
    PayoutFactory,
    ProcessDefinitionFactory,
    SlaPolicyFactory,
)

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_sales_rep_works_the_home_page_and_clears_notifications_with_the_bell(
    login, page, screenshot, sales_rep
):
    definition = ProcessDefinitionFactory(name="SMB sales", kind="sales")
    today = timezone.localdate()
    customer = CustomerFactory(display_name="Novák Tisk s.r.o.", owner=sales_rep)
    CustomerFactory(display_name="Forgotten Ltd", owner=sales_rep, last_contact_at=None)
    deal = services.instance_open(
        definition=definition, customer=customer, title="Office printers", by=sales_rep
    )
    ProcessInstance.objects.filter(pk=deal.pk).update(
        expected_close_on=today, last_activity_at=timezone.now() - timedelta(days=20)
    )
    services.task_create(
        customer=customer,
        title="Call about the offer",
        assignee=sales_rep,
        due_on=today - timedelta(days=1),
        by=sales_rep,
    )
    for n in range(3):
        services.notification_send(
            recipient=sales_rep,
            kind=Notification.Kind.STALL_WARNING,
            instance=deal,
            occurrence=f"activity:{n}",
            message=f"“Office printers” has had no activity ({n}).",
        )
    login(sales_rep)

    page.goto("/")
    expect(page.locator("#block-tasks")).to_contain_text("Call about the offer")
    expect(page.locator("#block-stalled")).to_contain_text("Office printers")
    expect(page.locator("#block-uncontacted")).to_contain_text("Forgotten Ltd")
    expect(page.locator("#block-closing")).to_contain_text("Office printers")
    bell = page.locator("#notification-bell")
    expect(bell).to_contain_text("3")
    screenshot("home-sales")

    page.locator("#block-stalled").get_by_role("link", name="Open the full list").click()
    expect(page.locator("table")).to_contain_text("Office printers")
    expect(page.get_by_label("No recent activity")).to_be_checked()

    bell.click()
    expect(page).to_have_url(re.compile(r"/notifications/"))
    first = page.locator("#notifications li").first
    first.get_by_role("button", name="Mark read").click()
    expect(page.locator("#notification-bell")).to_contain_text("2")
    expect(first.get_by_role("button", name="Mark read")).to_have_count(0)
    page.get_by_role("button", name="Mark all as read").click()
    expect(page.locator("#notifications .badge")).to_have_count(0)
    expect(page.locator("#notification-bell")).to_contain_text("No unread notifications")
    expect(page.locator("#notification-bell .badge")).to_have_count(0)
    assert not Notification.objects.filter(recipient=sales_rep, read_at__isnull=True).exists()
    screenshot("notifications-cleared")


def test_service_and_finance_work_their_home_pages(
    login, page, screenshot, service_agent, finance_clerk
):
    support = ProcessDefinitionFactory(name="24/7 support", kind="support")
    SlaPolicyFactory(definition=support, priority="urgent", response_hours=1, resolution_hours=4)
    customer = CustomerFactory(display_name="Kowalski Logistics")
    ticket = services.ticket_open(
        definition=support,
        customer=customer,
        subject="Scanner offline",
        description="The warehouse scanner does not connect.",
        priority="urgent",
        contact_person=ContactPersonFactory(customer=customer),
        by=service_agent,
    )
    # Half an hour past its first-response deadline, as an admin's edit would leave it.
    ticket.response_due_at = timezone.now() - timedelta(minutes=30)
    ticket.save(update_fields=["response_due_at"])
    services.ticket_store_sla_due(ticket=ticket)
    ProcessDefinitionFactory(name="Collections", kind="collections")
    today = timezone.localdate()
    InvoiceFactory(
        customer=customer,
        number="FV/2026/0042",
        issue_date=today - timedelta(days=60),
        due_date=today - timedelta(days=30),
    )
    PayoutFactory(customer=customer, amount=Decimal("80.00"))

    login(service_agent)
    page.goto("/")
    queue = page.locator("#block-tickets")
    expect(queue).to_contain_text("Scanner offline")
    expect(queue).to_contain_text("SLA breached")
    screenshot("home-service")
    queue.get_by_role("link", name="Open the full list").click()
    expect(page.locator("table")).to_contain_text("Scanner offline")
    page.context.clear_cookies()  # the next persona logs in afresh

    login(finance_clerk)
    page.goto("/")
    expect(page.locator("#block-overdue")).to_contain_text("FV/2026/0042")
    expect(page.locator("#block-payouts")).to_contain_text("Kowalski Logistics")
    screenshot("home-finance")
    page.locator("#block-overdue").get_by_role("link", name="Open the full list").click()
    expect(page.locator("table")).to_contain_text("FV/2026/0042")


def test_a_manager_approves_a_discount_and_a_payout_from_one_inbox(
    login, page, screenshot, manager, sales_rep
):
    definition = ProcessDefinitionFactory(name="SMB sales", kind="sales")
    customer = CustomerFactory(display_name="Novák Tisk s.r.o.", owner=sales_rep)
    deal = services.instance_open(
        definition=definition, customer=customer, title="Office printers", by=sales_rep
    )
    services.opportunity_set_discount(instance=deal, percent=25, reason="Key account", by=sales_rep)
    payout = PayoutFactory(
        customer=customer, amount=Decimal("50000.00"), requested_by=sales_rep, reason="Refund"
    )
    login(manager)

    page.goto("/")
    approvals = page.locator("#block-approvals")
    expect(approvals.locator(".home-count")).to_have_text("2")
    screenshot("home-manager")
    approvals.get_by_role("link", name="Open the full list").click()

    expect(page.locator("#pending")).to_contain_text("Office printers")
    expect(page.locator("#pending")).to_contain_text("Payout")
    screenshot("approvals-inbox")
    # Rejecting a payout without a reason is refused beside its field; nothing changes.
    page.locator(f"#payout-{payout.pk}").get_by_role("button", name="Reject").click()
    expect(page.locator(f"#payout-{payout.pk} .invalid-feedback")).to_be_visible()
    payout.refresh_from_db()
    assert payout.status == Payout.Status.REQUESTED

    page.locator(f"#payout-{payout.pk}").get_by_role("button", name="Approve").click()
    expect(page.get_by_text("Payout approved.")).to_be_visible()
    approval = Approval.objects.get()
    page.locator(f"#approval-{approval.pk}").get_by_role("button", name="Approve").click()
    expect(page.get_by_text("Approved.")).to_be_visible()
    expect(page.locator("#pending")).to_contain_text("Nothing waits for a decision.")
    payout.refresh_from_db()
    deal.refresh_from_db()
    assert payout.status == Payout.Status.APPROVED
    assert deal.discount_percent == 25
