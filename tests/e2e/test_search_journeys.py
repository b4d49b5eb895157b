"""The navigation bar's global search in a real browser: "/" to the box, a number typed, the
invoice opened from the dropdown; Escape closes the dropdown, a second one leaves the box (the
arrow keys: tests/e2e/test_keyboard_journeys.py)."""

import pytest
from playwright.sync_api import expect

from tests.e2e.network import slow_line
from tests.factories import ContractFactory, CustomerFactory, InvoiceFactory

pytestmark = pytest.mark.django_db(transaction=True)

SEARCH = "Search customers, contacts, contracts, invoices, deals and tickets"


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
    box = page.get_by_role("combobox", name=SEARCH)
    expect(box).to_be_focused()
    box.press_sequentially("um/2026/0042/0", delay=30)

    dropdown = page.locator("#global-search-results")
    invoices = dropdown.locator('[data-kind="invoices"]')
    expect(invoices.get_by_role("link")).to_have_count(3)
    expect(dropdown).not_to_contain_text("FV/2025/0001")
    screenshot("global-search-dropdown")

    invoices.get_by_role("link", name="UM/2026/0042/02").click()
    expect(page.get_by_role("heading", name="Invoice UM/2026/0042/02")).to_be_visible()

    # Escape closes the dropdown, keeping the box; a second one leaves the box.
    page.keyboard.press("/")
    expect(box).to_be_focused()
    box.fill("UM/2026")
    expect(dropdown.locator('[data-kind="contracts"]')).to_contain_text("Fleet service")
    page.keyboard.press("Escape")
    expect(dropdown).to_be_empty()
    expect(box).to_be_focused()
    page.keyboard.press("Escape")
    expect(box).not_to_be_focused()

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


def test_on_a_slow_line_the_dropdown_follows_the_last_word_and_escape_keeps_it_closed(
    login, page, sales_rep
):
    """Answers that take longer than a pause in typing: no request is cut off (the browser would
    report it), the dropdown ends on the last word typed, a late answer does not reopen a dropdown
    the user closed, and Enter opens the results page without a dropdown request on the way."""
    CustomerFactory(display_name="Horák Logistika", owner=sales_rep)
    CustomerFactory(display_name="Horváth Stavby", owner=sales_rep)
    login(sales_rep)
    dropdown_requests = []
    page.on(
        "request",
        lambda request: request.headers.get("hx-request") and dropdown_requests.append(request.url),
    )
    slow_line(page, latency_ms=600)
    box = page.locator("#global-search")
    dropdown = page.locator("#global-search-results")

    box.click()
    box.press_sequentially("Hor", delay=30)
    page.wait_for_timeout(400)  # a pause: the first answer is on its way
    box.press_sequentially("ák", delay=30)
    expect(dropdown).to_contain_text("Horák Logistika")
    expect(dropdown).not_to_contain_text("Horváth Stavby")

    with page.expect_request(lambda request: "q=Horv" in request.url):
        box.fill("Horv")  # the request has gone out ...
    with page.expect_response(lambda response: "q=Horv" in response.url):
        page.keyboard.press("Escape")  # ... and the user closes the dropdown before it answers
    page.wait_for_timeout(200)
    expect(dropdown).to_be_empty()
    expect(box).to_be_focused()
    assert "q=Horv" in dropdown_requests[-1]  # closing it asked nothing

    sent = len(dropdown_requests)
    box.fill("Horváth")
    box.press("Enter")
    expect(page.get_by_role("heading", name="Horváth Stavby")).to_be_visible()
    assert len(dropdown_requests) == sent  # only the results page was asked for
