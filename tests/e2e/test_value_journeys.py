"""Customer value at a glance, and a manager changing how it is computed, in a real browser."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from analytics import scoring
from analytics.models import ScoringParameters
from tests.factories import CustomerFactory, InvoiceFactory, PaymentFactory

pytestmark = pytest.mark.django_db(transaction=True)


def paying_customer(name, amount, *, days_late=0):
    customer = CustomerFactory(display_name=name)
    due = timezone.localdate() - timedelta(days=90)
    invoice = InvoiceFactory(
        customer=customer, amount=Decimal(amount), issue_date=due - timedelta(days=14), due_date=due
    )
    PaymentFactory(invoice=invoice, paid_on=due + timedelta(days=days_late))
    return customer


def test_a_manager_reads_value_at_a_glance_and_changes_how_it_is_computed(
    login, page, screenshot, manager
):
    paying_customer("Zeta Reliable", "80000.00")
    paying_customer("Alfa Slow Payer", "15000.00", days_late=30)
    CustomerFactory(display_name="Beta Newcomer")
    scoring.score_all_customers()

    login(manager)
    page.get_by_role("link", name="Customers", exact=True).click()
    page.get_by_role("link", name="Grade", exact=True).click()
    rows = page.locator("table.table-customers tbody tr")
    expect(rows.first).to_contain_text("Zeta Reliable")
    expect(rows.first).to_contain_text("80,000 PLN")
    expect(rows.last).to_contain_text("Beta Newcomer")
    screenshot("customer-list-by-grade")

    page.get_by_role("link", name="Alfa Slow Payer").click()
    header = page.locator("#customer-value")
    expect(header).to_contain_text("15,000 PLN")
    expect(header).to_contain_text("50/100")  # 30 of 60 days' tolerance: half the credit
    expect(header).to_contain_text("30.0 days late on average")
    screenshot("customer-page-value")

    header.get_by_role("link", name="How is this computed?").click()
    expect(page.get_by_role("heading", name="How customer value is computed")).to_be_visible()
    page.get_by_role("link", name="Change the parameters").click()
    page.get_by_label("Exchange rates").fill("EUR 4,31\nUSD lots")
    page.get_by_role("button", name="Save as a new version").click()
    expect(page.get_by_text("the rate must be a number above zero")).to_be_visible()
    assert ScoringParameters.objects.current().version == 1

    page.get_by_label("Exchange rates").fill("EUR 4,31\nUSD 3.95")
    page.get_by_label("Lateness tolerance (days)").fill("90")
    page.get_by_label("Why this change").fill("Customers pay slower this year")
    page.get_by_role("button", name="Save as a new version").click()
    expect(page.locator(".alert")).to_contain_text("Saved as version 2")
    expect(page.locator("#versions")).to_contain_text("Customers pay slower this year")
    screenshot("customer-value-method")
    newest = ScoringParameters.objects.current()
    assert (newest.version, newest.late_tolerance_days) == (2, 90)
    assert newest.exchange_rates == {"EUR": "4.31", "USD": "3.95"}
