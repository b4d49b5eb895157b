"""Keyboard and screen-reader journeys in a real browser: a refused form puts the focus on what
was refused (its error read as the field's description), the navigation bar's search is walked
with the arrow keys, and a list's number filter reads "1,5" on a Polish page in an English
browser as 1.5, or says beside the filter why it cannot."""

import re
from decimal import Decimal

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from core.models import UserProfile
from tests.e2e.axe import describe, violations
from tests.e2e.conftest import PASSWORD
from tests.factories import ContractFactory, CustomerFactory

pytestmark = pytest.mark.django_db(transaction=True)

SEARCH = "Search customers, contacts, contracts, invoices, deals and tickets"
FOCUSED = "document.activeElement === document.body ? null : document.activeElement.outerHTML"


def test_a_refused_form_puts_the_focus_on_its_first_refused_field(
    login, page, screenshot, sales_rep
):
    login(sales_rep)
    page.goto(reverse("relationships:customer_create"))
    # A form without errors takes nobody's focus.
    assert page.evaluate(FOCUSED) is None

    page.get_by_role("button", name="Create customer").click()
    refused = page.locator('main form [aria-invalid="true"]')
    expect(refused.first).to_be_visible()
    expect(refused.first).to_be_focused()
    expect(refused.first).to_be_in_viewport()
    # Its error is its description (crispy-forms' block, named by Django's aria-describedby).
    expect(refused.first).to_have_accessible_description(re.compile("This field is required"))
    for index in range(refused.count()):
        field = refused.nth(index)
        described = field.get_attribute("aria-describedby").split()
        assert any(page.locator(f"#{name}.invalid-feedback").count() for name in described)
    screenshot("keyboard-refused-form-focus")


def test_a_refused_log_in_puts_the_focus_on_its_error_then_on_the_form(page, sales_rep):
    page.goto("/login/")
    username = page.get_by_label("Username")
    expect(username).to_be_focused()  # the form's own autofocus, not moved
    username.fill(sales_rep.username)
    page.get_by_label("Password").fill(PASSWORD + "-wrong")
    page.get_by_role("button", name="Log in").click()

    error = page.locator("main form .alert-danger")
    expect(error).to_contain_text("correct username and password")
    expect(error).to_be_focused()
    page.keyboard.press("Tab")
    expect(username).to_be_focused()


def test_arrow_down_goes_to_the_first_result_past_its_groups_more_link(login, page, sales_rep):
    from core import search as global_search

    for number in range(global_search.DROPDOWN_LIMIT + 2):
        CustomerFactory(display_name=f"Horák Logistika {number}", owner=sales_rep)
    login(sales_rep)
    box = page.get_by_role("combobox", name=SEARCH)
    dropdown = page.locator("#global-search-results")
    page.locator("main").click()
    page.keyboard.press("/")
    box.press_sequentially("Horák", delay=30)
    more = dropdown.get_by_role("link", name="more")
    expect(more).to_be_visible()
    page.keyboard.press("ArrowDown")
    expect(dropdown.locator("a.list-group-item-action").first).to_be_focused()
    page.keyboard.press("ArrowUp")  # the "more" link above it is still reachable
    expect(more).to_be_focused()


def test_the_search_dropdown_is_walked_with_the_arrow_keys(login, page, screenshot, sales_rep):
    CustomerFactory(display_name="Horák Logistika", owner=sales_rep)
    CustomerFactory(display_name="Horváth Stavby", owner=sales_rep)
    login(sales_rep)
    box = page.get_by_role("combobox", name=SEARCH)
    dropdown = page.locator("#global-search-results")
    results = dropdown.locator("a[href]")
    expect(box).to_have_attribute("aria-expanded", "false")

    page.locator("main").click()
    page.keyboard.press("/")
    box.press_sequentially("Hor", delay=30)
    expect(dropdown.get_by_role("link", name=re.compile("Horváth Stavby"))).to_be_visible()
    expect(box).to_have_attribute("aria-expanded", "true")
    expect(page.get_by_role("dialog", name="Search results")).to_be_visible()
    count = results.count()
    assert count >= 3  # two customers and "All results"

    page.keyboard.press("ArrowDown")
    expect(results.nth(0)).to_be_focused()
    page.keyboard.press("ArrowDown")
    expect(results.nth(1)).to_be_focused()
    screenshot("keyboard-search-arrow-down")
    problems = violations(page)
    assert not problems, describe(problems)
    page.keyboard.press("ArrowUp")
    expect(results.nth(0)).to_be_focused()
    page.keyboard.press("ArrowUp")  # from the first result back to the box, still open
    expect(box).to_be_focused()
    expect(results.first).to_be_visible()
    page.keyboard.press("ArrowUp")  # from the box to the last result
    expect(results.nth(count - 1)).to_be_focused()
    page.keyboard.press("ArrowDown")  # the last stays the last
    expect(results.nth(count - 1)).to_be_focused()
    page.keyboard.press("Home")
    expect(results.nth(0)).to_be_focused()
    page.keyboard.press("End")
    expect(results.nth(count - 1)).to_be_focused()

    # Escape closes the dropdown and returns to the box, the words typed kept.
    page.keyboard.press("Escape")
    expect(box).to_be_focused()
    expect(dropdown).to_be_empty()
    expect(box).to_have_value("Hor")
    expect(box).to_have_attribute("aria-expanded", "false")
    page.wait_for_timeout(400)  # no late answer reopens it
    expect(dropdown).to_be_empty()

    # ArrowDown opens it again; Enter on a result opens it.
    page.keyboard.press("ArrowDown")
    expect(results.first).to_be_visible()
    page.keyboard.press("ArrowDown")
    expect(results.nth(0)).to_be_focused()
    name = results.nth(0).locator(".fw-semibold").inner_text()
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name=name)).to_be_visible()


def test_tab_out_of_the_search_closes_its_dropdown(login, page, sales_rep):
    CustomerFactory(display_name="Horák Logistika", owner=sales_rep)
    login(sales_rep)
    box = page.locator("#global-search")
    dropdown = page.locator("#global-search-results")
    box.click()
    box.press_sequentially("Horák", delay=30)
    expect(dropdown.locator("a[href]").first).to_be_visible()
    page.keyboard.press("ArrowDown")
    page.keyboard.press("End")
    page.keyboard.press("Tab")  # past "All results", out of the search
    expect(dropdown).to_be_empty()
    expect(box).to_have_attribute("aria-expanded", "false")


def test_a_polish_reader_filters_contracts_by_days_typed_as_text(
    login, page, screenshot, sales_rep
):
    """The contract list's filters are a plain form: a refused number comes back beside its
    field, with the focus on it and the words typed kept."""
    UserProfile.objects.create(user=sales_rep, language="pl")
    customer = CustomerFactory(owner=sales_rep)
    ContractFactory(customer=customer, number="UM/1")
    login(sales_rep)
    page.goto(reverse("relationships:contract_list"))
    days = page.locator("input[name=ending_within]")
    expect(days).to_have_attribute("type", "text")
    expect(days).to_have_attribute("inputmode", "numeric")
    assert page.evaluate(FOCUSED) is None

    days.press_sequentially("1,5")
    days.press("Enter")
    page.wait_for_url(re.compile(r"ending_within=1%2C5"))
    expect(days).to_be_focused()
    expect(days).to_have_value("1,5")
    expect(days).to_have_accessible_description(re.compile("1234"))
    screenshot("keyboard-refused-filter")


def test_the_customer_list_reads_a_polish_decimal_comma_and_refuses_a_guess_beside_it(
    login, page, screenshot, sales_rep
):
    """The customer list is filtered with htmx, the filters staying as typed: "1,5" % is read as
    1.5 on a Polish page (an English browser's number input posted 15); "1.234,5" is refused
    beside the filter, and the refusal goes once the value is mended."""
    UserProfile.objects.create(user=sales_rep, language="pl")
    CustomerFactory(display_name="Above", owner=sales_rep, payment_reliability=Decimal("2"))
    CustomerFactory(display_name="Below", owner=sales_rep, payment_reliability=Decimal("1.2"))
    CustomerFactory(display_name="Unscored", owner=sales_rep)
    login(sales_rep)
    page.goto(reverse("customers:list"))
    rows = page.locator("table.table-customers tbody tr")
    expect(rows).to_have_count(3)
    reliability = page.locator("input[name=reliability_min]")
    expect(reliability).to_have_attribute("inputmode", "decimal")

    reliability.press_sequentially("1,5")
    reliability.press("Enter")
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("Above")

    reliability.fill("1.234,5")
    reliability.press("Enter")
    error = page.locator("#id_reliability_min_error")
    expect(error).to_contain_text("1234,56")
    expect(reliability).to_have_attribute("aria-invalid", "true")
    expect(reliability).to_have_accessible_description(re.compile("1234,56"))
    expect(reliability).to_be_focused()  # the user's, not moved
    screenshot("keyboard-customer-filter-refused")

    reliability.fill("1,5")
    reliability.press("Enter")
    expect(error).to_be_empty()
    expect(reliability).not_to_have_attribute("aria-invalid", "true")
    expect(rows).to_have_count(1)
