"""Bad dates and back-billing as a person meets them in a real browser: a clear error beside the
field, a confirmation before years of invoices, and nothing saved that nobody meant."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from relationships.models import Contract, Interaction, Invoice
from tests.factories import ContractFactory, CustomerFactory

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_contract_started_a_year_ago_asks_before_it_bills_the_past(
    login, page, screenshot, sales_rep
):
    customer = CustomerFactory(display_name="Dvořák Tisk", owner=sales_rep)
    start = timezone.localdate().replace(day=1) - timedelta(days=365)
    login(sales_rep)
    page.goto(f"/customers/{customer.pk}/contracts/new/")
    page.get_by_label("Number").fill("RAM/2025/7")
    page.get_by_label("Title").fill("Printer fleet rental")
    page.get_by_label("Product or service").fill("Managed printing")
    page.get_by_label("Value").fill("250.00")
    page.get_by_label("Billing period").select_option(label="Monthly")
    page.get_by_label("Start date").fill(start.isoformat())
    page.get_by_label("Signed on").fill(start.isoformat())
    page.get_by_role("button", name="Save contract").click()

    error = page.locator("#id_start_date").locator("xpath=..")
    expect(error).to_contain_text("invoices totalling")
    expect(error).to_contain_text("Tick the box below to confirm")
    screenshot("contract-form-backbilling")
    assert not Contract.objects.filter(number="RAM/2025/7").exists()

    page.get_by_label("Issue the invoices for these past periods").check()
    page.get_by_role("button", name="Save contract").click()
    expect(page.get_by_text("Contract RAM/2025/7 saved.")).to_be_visible()
    expect(page.get_by_text("confirmed by sally_sales")).to_be_visible()
    screenshot("contract-backbilling-confirmed")
    contract = Contract.objects.get(number="RAM/2025/7")
    assert contract.backbilling_confirmed_by == sales_rep


def test_back_billing_held_by_the_nightly_run_is_confirmed_on_the_contract_page(
    login, page, screenshot, finance_clerk
):
    today = timezone.localdate()
    contract = ContractFactory(
        customer=CustomerFactory(display_name="Kowalski Serwis"),
        number="UM/2025/12",
        billing_period=Contract.BillingPeriod.MONTHLY,
        value=Decimal("100.00"),
        start_date=today.replace(day=1) - timedelta(days=180),
        signed_on=today - timedelta(days=180),
    )
    login(finance_clerk)
    page.goto(f"/contracts/{contract.pk}/")
    banner = page.get_by_role("alert")
    expect(banner).to_contain_text("awaits confirmation")
    screenshot("contract-backbilling-awaits")
    assert not Invoice.objects.filter(contract=contract).exists()

    banner.get_by_role("button", name="Confirm back-billing").click()
    expect(page.get_by_text("confirmed by fiona_finance")).to_be_visible()
    assert Invoice.objects.filter(contract=contract).count() >= 6


def test_an_interaction_dated_year_one_is_refused_beside_the_field(
    login, page, screenshot, sales_rep
):
    customer = CustomerFactory(display_name="Nowak Transport", owner=sales_rep)
    before = Interaction.objects.filter(customer=customer).count()
    login(sales_rep)
    page.goto(f"/customers/{customer.pk}/interactions/new/")
    page.get_by_label("Subject").fill("Call about the renewal")
    page.get_by_label("When").fill("0001-01-01T09:00")
    page.get_by_role("button", name="Log it").click()
    field = page.locator("#id_occurred_at").locator("xpath=..")
    expect(field).to_contain_text("Enter a date between")
    screenshot("interaction-date-out-of-window")
    assert Interaction.objects.filter(customer=customer).count() == before
