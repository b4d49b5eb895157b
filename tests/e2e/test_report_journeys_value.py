"""A manager reads the customer value report, the segment report and the data quality list in a
real browser, and follows a record to fix to the customer's edit page."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from analytics import quality
from analytics.models import CustomerScore, ScoringParameters
from customers.models import Customer
from tests.factories import (
    ContactPersonFactory,
    CustomerFactory,
    SegmentFactory,
)

pytestmark = pytest.mark.django_db(transaction=True)


def graded(name, grade, ltv, segment, owner):
    customer = CustomerFactory(
        display_name=name,
        owner=owner,
        grade=grade,
        ltv=Decimal(ltv),
        ltv_currency="PLN",
        payment_reliability=Decimal("90"),
        scored_at=timezone.now(),
        status=Customer.Status.ACTIVE,
        street="Długa 1",
        postal_code="00-001",
        city="Kraków",
        country="PL",
    )
    customer.segments.set([segment])
    return customer


def snapshot(customer, grade, days_ago):
    return CustomerScore.objects.create(
        customer=customer,
        computed_at=timezone.now() - timedelta(days=days_ago),
        as_of=timezone.localdate() - timedelta(days=days_ago),
        parameters=ScoringParameters.objects.current(),
        currency="PLN",
        ltv=customer.ltv,
        net_revenue_12m=Decimal("0"),
        overdue_amount=Decimal("0"),
        interactions_90d=0,
        open_tickets=0,
        grade=grade,
        is_current=days_ago == 1,
    )


def test_a_manager_reads_value_segment_and_data_quality_reports(
    login, page, screenshot, manager, sales_rep
):
    retail, enterprise = SegmentFactory(name="Retail"), SegmentFactory(name="Enterprise")
    rising = graded("Rising Star Ltd", "A", "72000", enterprise, sales_rep)
    graded("Steady Shop", "B", "15000", retail, sales_rep)
    graded("Corner Kiosk", "D", "300", retail, manager)
    snapshot(rising, "B", 20)
    snapshot(rising, "A", 1)
    ContactPersonFactory(customer=rising, is_primary=True)
    CustomerFactory(display_name="Nameless Lead", email="", phone="")
    quality.compute_all()

    login(manager)
    page.get_by_role("button", name="Reports").click()
    page.get_by_role("link", name="Customer value", exact=True).click()
    expect(page.get_by_role("heading", name="Customer value", exact=True)).to_be_visible()
    expect(page.locator("#segment-table")).to_contain_text("Enterprise")
    expect(page.locator("#owner-table")).to_contain_text("sally_sales")
    movers = page.locator("#movers")
    expect(movers).to_contain_text("Rising Star Ltd")
    expect(page.locator("canvas[data-chart='grades-chart']")).to_be_visible()
    screenshot("value-report")

    page.get_by_role("button", name="Reports").click()
    page.get_by_role("link", name="Segments", exact=True).click()
    table = page.locator("#segment-table")
    expect(table.locator("tr", has_text="Retail")).to_contain_text("2")
    expect(table.locator("tr", has_text="No segment")).to_be_visible()
    screenshot("segment-report")

    page.get_by_role("button", name="Reports").click()
    page.get_by_role("link", name="Data quality", exact=True).click()
    records = page.locator("#records-table")
    expect(records.locator("tbody tr").first).to_contain_text("Nameless Lead")
    expect(page.locator("#quality-per-owner")).to_contain_text("sally_sales")
    screenshot("data-quality")

    page.get_by_role("link", name="Change the template").click()
    page.get_by_label("Target completeness (%)").fill("150")
    page.get_by_role("button", name="Save the template").click()
    expect(page.locator("#id_target").locator("..")).to_contain_text("100")  # the error, beside it
    page.get_by_label("Target completeness (%)").fill("60")
    page.get_by_label("Tax id (organisations)").uncheck()
    page.get_by_role("button", name="Save the template").click()
    expect(page.locator(".alert")).to_contain_text("Template saved")
    expect(page.locator("#records-table tbody tr", has_text="Rising Star Ltd")).to_have_count(0)

    page.locator("#records-table tbody tr").first.get_by_role("link", name="Edit").click()
    expect(page.get_by_label("Display name")).to_have_value("Nameless Lead")
