"""System usage and the daily digest in a real browser: a manager reads the usage report, a
sales rep turns the digest off."""

from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from analytics.models import DigestSubscription, UserActivity
from core.permissions import SALES
from tests.factories import CustomerFactory, UserFactory

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_manager_reads_system_usage_and_a_sales_rep_turns_the_digest_off(
    login, page, screenshot, manager, sales_rep
):
    # Eight people used the CRM every week until two months ago; two are left.
    monday = timezone.localdate() - timedelta(days=timezone.localdate().weekday())
    team = [sales_rep, *UserFactory.create_batch(7, roles=[SALES])]
    UserActivity.objects.bulk_create(
        UserActivity(user=user, day=monday - timedelta(weeks=week) + timedelta(days=offset % 5))
        for week in range(1, 21)
        for offset, user in enumerate(team[:2] if week <= 8 else team)
    )
    CustomerFactory.create_batch(3, created_by=sales_rep)

    login(manager)
    page.locator("#nav-reports").get_by_role("button", name="Reports").click()
    page.get_by_role("link", name="System usage").click()
    expect(page.get_by_role("heading", name="System usage")).to_be_visible()
    expect(page.locator("#usage-drop")).to_contain_text("Usage has dropped sharply")
    expect(page.locator("#usage-drop")).to_contain_text("2 on average over the last four")
    expect(page.locator("#usage-drop")).to_contain_text("against 8 in the best four weeks")
    expect(page.locator("canvas[data-chart='usage-weekly-chart']")).to_be_visible()
    sally = page.locator("#usage-users tbody tr", has_text="sally_sales")
    expect(sally.locator("td").nth(1)).to_have_text("20")  # active days
    expect(sally.locator("td").nth(3)).to_have_text("3")  # customers added
    screenshot("usage-report")

    page.context.clear_cookies()
    login(sales_rep)
    page.get_by_role("button", name="sally_sales").click()
    page.get_by_role("link", name="My settings").click()
    digest_box = page.get_by_label("Send me the daily digest")
    expect(digest_box).to_be_checked()
    digest_box.uncheck()
    page.locator("#digest-settings").get_by_role("button", name="Save").click()
    expect(page.locator(".alert")).to_contain_text("You will no longer get the daily digest.")
    expect(page.get_by_label("Send me the daily digest")).not_to_be_checked()
    screenshot("digest-settings")
    assert DigestSubscription.objects.get(user=sales_rep).enabled is False
