"""Merging two duplicate customers in a real browser, from the suggestions list to the
survivor's page holding the records of both."""

import re

import pytest
from playwright.sync_api import expect

from customers.duplicates import duplicates_scan
from customers.models import Customer
from tests.factories import (
    ContactPersonFactory,
    CustomerFactory,
    InteractionFactory,
    InvoiceFactory,
)

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_sales_rep_merges_two_duplicates_and_finds_everything_on_the_survivor(
    login, page, screenshot, sales_rep
):
    kept = CustomerFactory(
        owner=sales_rep,
        display_name="Nowak Print",
        email="biuro@nowakprint.pl",
        city="",
        phone="+48 600 200 300",
    )
    twin = CustomerFactory(
        owner=sales_rep,
        display_name="Nowak Print Sp. z o.o.",
        email="biuro@nowakprint.pl",
        city="Poznań",
        phone="+48 601 999 888",
    )
    ContactPersonFactory(customer=kept, first_name="Ewa", last_name="Nowak", is_primary=True)
    ContactPersonFactory(customer=twin, first_name="Piotr", last_name="Zieliński")
    InteractionFactory(customer=kept, subject="Toner order")
    InteractionFactory(customer=twin, subject="Asked about leasing")
    InvoiceFactory(customer=twin, number="FV/2026/777")
    duplicates_scan()

    login(sales_rep)
    page.goto(page.url.split("/", 3)[0] + "//" + page.url.split("/")[2] + "/customers/")
    page.get_by_role("link", name="Possible duplicates").click()
    expect(page.locator("#duplicates")).to_contain_text("same e-mail")
    screenshot("merge-suggestions")
    page.get_by_role("link", name="Compare and merge").first.click()

    expect(page.get_by_role("heading", name="Merge customers")).to_be_visible()
    form = page.locator("#merge-form")
    # The longer legal name and the city come from the twin; the survivor stays the first.
    form.locator("tr[data-field=display_name]").get_by_label("Nowak Print Sp. z o.o.").check()
    form.locator("tr[data-field=city]").get_by_label("Poznań").check()
    page.get_by_role("button", name="Merge").click()
    # Both had an open relationship: the screen asks which stays open, nothing merged yet.
    question = page.locator("#question-keep_relationship")
    expect(question).to_contain_text("choose the one that stays open")
    assert Customer.objects.filter(status=Customer.Status.MERGED).count() == 0
    screenshot("merge-screen-question")
    question.locator("input[type=radio]").first.check()
    page.get_by_role("button", name="Merge").click()

    expect(page.get_by_role("heading", name=re.compile("Nowak Print Sp. z o.o."))).to_be_visible()
    expect(page.get_by_text("was merged into")).to_be_visible()
    expect(page.locator("#contacts")).to_contain_text("Ewa Nowak")
    expect(page.locator("#contacts")).to_contain_text("Piotr Zieliński")
    timeline = page.locator(".timeline")
    expect(timeline).to_contain_text("Toner order")
    expect(timeline).to_contain_text("Asked about leasing")
    expect(page.locator("body")).to_contain_text("FV/2026/777")
    expect(page.locator("body")).to_contain_text("Poznań")
    screenshot("merge-survivor")

    # The twin's address leads to the survivor.
    page.goto(page.url.replace(f"/customers/{kept.pk}/", f"/customers/{twin.pk}/"))
    expect(page).to_have_url(re.compile(f"/customers/{kept.pk}/$"))
