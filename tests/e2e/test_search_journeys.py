"""The navigation bar's global search in a real browser: "/" to the box, a number typed, the
invoice opened from the dropdown; Escape leaves the box."""

import pytest
from playwright.sync_api import expect

from tests.factories import ContractFactory, CustomerFactory, InvoiceFactory

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_finance_clerk_presses_slash_types_a_number_and_opens_the_invoice(
    login, page, screenshot, finance_clerk
):
    customer = CustomerFactory(display_name="Horák Logistika")
    contract = ContractFactory(customer=customer, number="UM/2026/0042", title="Fleet service")
    for month in (1, 2, 3):
        InvoiceFactory(customer=customer, contract=contract, number=f"UM/2026/0042/{month:02d}")
    InvoiceFactory(number="FV/2025/0001")  # another number: not offered
    login(finance_clerk)

    page.locator("main").click()  # focus on the page, not in a field
    page.keyboard.press("/")
    box = page.get_by_role("searchbox")
    expect(box).to_be_focused()
    box.press_sequentially("um/2026/0042/0", delay=30)

    dropdown = page.locator("#global-search-results")
    invoices = dropdown.locator('[data-kind="invoices"]')
    expect(invoices.get_by_role("link")).to_have_count(3)
    expect(dropdown).not_to_contain_text("FV/2025/0001")
    screenshot("global-search-dropdown")

    invoices.get_by_role("link", name="UM/2026/0042/02").click()
    expect(page.get_by_role("heading", name="Invoice UM/2026/0042/02")).to_be_visible()

    # Escape leaves the box and closes the dropdown.
    page.keyboard.press("/")
    expect(box).to_be_focused()
    box.fill("UM/2026")
    expect(dropdown.locator('[data-kind="contracts"]')).to_contain_text("Fleet service")
    page.keyboard.press("Escape")
    expect(box).not_to_be_focused()
    expect(dropdown).to_be_empty()

    # Enter shows the results page, grouped by kind.
    page.keyboard.press("/")
    box.fill("UM/2026")
    box.press("Enter")
    expect(page.get_by_role("heading", name="Contracts")).to_be_visible()
    expect(page.get_by_role("heading", name="Invoices")).to_be_visible()
    screenshot("global-search-results")


def test_slash_typed_in_a_field_stays_in_the_field(login, page, sales_rep):
    login(sales_rep)
    page.goto("/customers/")
    field = page.locator("main input[name=q]")
    field.click()
    page.keyboard.type("a/b")
    expect(field).to_have_value("a/b")
    expect(page.locator("#global-search")).not_to_be_focused()
