"""A manager reads the process KPIs, drills down to the instances behind a number, and reads the
sales forecast, in a real browser."""

from datetime import datetime, time, timedelta
from decimal import Decimal

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from analytics import forecast
from analytics.models import ForecastSnapshot
from analytics.periods import month_start
from processes import services
from processes.models import KpiTarget
from tests.factories import CustomerFactory, ProcessDefinitionFactory

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_manager_reads_the_kpis_drills_down_and_reads_the_forecast(
    login, page, screenshot, manager, sales_rep
):
    smb = ProcessDefinitionFactory(name="SMB sales", kind="sales")
    ProcessDefinitionFactory(name="Enterprise sales", kind="sales")
    KpiTarget.objects.create(definition=smb, metric="win_rate", target=50)
    now = timezone.now()
    for title, outcome in [("Printers", "Won"), ("Scanners", "Lost")]:
        instance = services.instance_open(
            definition=smb,
            customer=CustomerFactory(display_name=f"{title} Ltd"),
            title=title,
            by=sales_rep,
            amount=Decimal("12000"),
            currency="PLN",
            at=now - timedelta(hours=30),
        )
        services.instance_move(
            instance=instance,
            to_stage=smb.stages.get(name=outcome),
            by=sales_rep,
            reason="decided",
            at=now - timedelta(minutes=5),
        )
    services.instance_open(
        definition=smb,
        customer=CustomerFactory(display_name="Copiers Ltd"),
        title="Copiers",
        by=sales_rep,
        amount=Decimal("8000"),
        currency="PLN",
        expected_close_on=forecast.next_month(month_start(timezone.localdate())),
    )
    last_month = month_start(timezone.localdate(), 1)
    ForecastSnapshot.objects.create(
        snapshot_on=last_month - timedelta(days=3),
        month=last_month,
        owner=sales_rep,
        definition=smb,
        currency="PLN",
        weighted_amount=Decimal("4000"),
        amount=Decimal("10000"),
        count=2,
    )

    deal = services.instance_open(
        definition=smb,
        customer=CustomerFactory(display_name="Toner Ltd"),
        title="Toner",
        by=sales_rep,
        amount=Decimal("3000"),
        currency="PLN",
        at=timezone.make_aware(datetime.combine(last_month, time(10))),
    )
    services.instance_move(
        instance=deal,
        to_stage=smb.stages.get(name="Won"),
        by=sales_rep,
        reason="signed",
        at=timezone.make_aware(datetime.combine(last_month + timedelta(days=9), time(10))),
    )

    login(manager)
    page.locator("#nav-reports").get_by_role("button", name="Reports").click()
    page.get_by_role("link", name="Process KPIs").click()
    sales = page.locator("#kpi-sales")
    expect(sales).to_contain_text("Enterprise sales")
    expect(sales.locator('[data-kpi="conversion"]').nth(1)).to_contain_text("50.0%")
    expect(sales.locator('[data-rag="green"]').first).to_be_visible()
    expect(page.locator("#kpi-legend")).to_contain_text("within 10%")
    screenshot("kpi-dashboard")

    sales.locator('[data-kpi="conversion"]').nth(1).get_by_role("link", name="50.0%").click()
    expect(page.get_by_role("heading", name="Won or resolved in the period")).to_be_visible()
    rows = page.locator("#kpi-instances tbody tr")
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("Printers")
    page.get_by_role("link", name="Back to the KPIs").click()
    expect(page.locator("#kpi-sales")).to_be_visible()

    page.locator("#nav-reports").get_by_role("button", name="Reports").click()
    page.get_by_role("link", name="Sales forecast").click()
    expect(page.locator("#pipeline-table")).to_contain_text("800.00")  # 8,000 x 10 % (Lead)
    expect(page.locator("#accuracy")).to_contain_text("1 − |actual − forecast| ÷ forecast")  # noqa: RUF001
    # 3,000 won of 4,000 forecast: 1 - 1,000 / 4,000.
    expect(page.locator("#accuracy-table")).to_contain_text("75.0%")
    screenshot("forecast")
