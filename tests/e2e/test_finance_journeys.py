"""Finance and managers working the money side of the customer file, in a real browser."""

from decimal import Decimal

import pytest
from playwright.sync_api import expect

from relationships.models import Payout
from tests.factories import CustomerFactory, InvoiceFactory, PayoutFactory

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_finance_clerk_registers_payments_and_cannot_overpay(
    login, page, screenshot, finance_clerk
):
    customer = CustomerFactory(display_name="Horák Logistika")
    invoice = InvoiceFactory(customer=customer, number="FV/2026/0042", amount=Decimal("1200.00"))
    login(finance_clerk)
    page.get_by_role("button", name="Finance", exact=True).click()
    page.get_by_role("link", name="Invoices", exact=True).click()
    expect(page.locator("table")).to_contain_text("FV/2026/0042")
    screenshot("invoice-list")
    page.get_by_role("link", name="FV/2026/0042").click()

    form = page.locator("#register-payment")
    form.get_by_label("Amount").fill("1500.00")
    form.get_by_role("button", name="Record payment").click()
    expect(page.locator("#register-payment")).to_contain_text("would overpay the invoice")

    form = page.locator("#register-payment")
    form.get_by_label("Amount").fill("500.00")
    form.get_by_label("Reference").fill("Bank transfer 77/11")
    form.get_by_role("button", name="Record payment").click()
    expect(page.locator("#payments")).to_contain_text("Bank transfer 77/11")
    expect(page.get_by_role("heading", name="Invoice FV/2026/0042")).to_contain_text(
        "Partially paid"
    )
    screenshot("invoice-detail")
    invoice.refresh_from_db()
    assert invoice.paid_amount == Decimal("500.00")

    page.goto(customer.get_absolute_url())
    expect(page.get_by_text("FV/2026/0042").first).to_be_visible()
    screenshot("customer-page-with-billing")


def test_a_manager_approves_a_large_payout_before_finance_pays_it(
    browser, live_server, login, page, screenshot, manager, sales_rep
):
    customer = CustomerFactory(display_name="Novák Elektro")
    payout = PayoutFactory(
        customer=customer,
        amount=Decimal("5000.00"),
        requested_by=sales_rep,
        reason="Warranty claim",
    )
    login(manager)
    page.goto("/payouts/")
    awaiting = page.locator("#awaiting-approval")
    expect(awaiting).to_contain_text("Novák Elektro")
    screenshot("payouts-awaiting-approval")
    awaiting.get_by_role("button", name="Approve").click()
    expect(page.locator("#ready-to-pay")).to_contain_text("Novák Elektro")
    payout.refresh_from_db()
    assert payout.approved_by == manager
    assert payout.status == Payout.Status.APPROVED
