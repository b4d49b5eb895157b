"""What a sales rep and a manager do with the customer file, in a real browser."""

import re

import pytest
from playwright.sync_api import expect

from customers.models import Customer
from tests.e2e.conftest import PASSWORD
from tests.factories import ContactPersonFactory, CustomerFactory

pytestmark = pytest.mark.django_db(transaction=True)

NAV = {
    "sales_rep": {"Customers": True, "New customer": True, "Admin": False},
    "service_agent": {"Customers": True, "New customer": False, "Admin": False},
    "finance_clerk": {"Customers": True, "New customer": False, "Admin": False},
    "manager": {"Customers": True, "New customer": True, "Admin": False},
    "admin_user": {"Customers": True, "New customer": True, "Admin": True},
}


@pytest.mark.parametrize("persona", sorted(NAV))
def test_each_role_logs_in_and_sees_what_it_can_use(request, login, page, screenshot, persona):
    user = request.getfixturevalue(persona)
    login(user)
    screenshot(f"home-{persona}")
    nav = page.get_by_role("navigation", name="Main navigation")
    more = nav.get_by_role("button", name="More")  # the less used entries, the admin's among them
    if more.count():
        more.click()
    for item, visible in NAV[persona].items():
        link = nav.get_by_role("link", name=item, exact=True)
        expect(link).to_have_count(1 if visible else 0)


def test_a_user_without_a_role_is_told_so(login, page, outsider):
    login(outsider)
    expect(page.get_by_text("Your account has no role yet")).to_be_visible()


def test_a_sales_rep_records_a_new_customer_and_works_the_file(login, page, screenshot, sales_rep):
    login(sales_rep)
    page.get_by_role("link", name="New customer", exact=True).first.click()
    page.get_by_label("Display name").fill("Dvořák Stavby s.r.o.")
    page.get_by_label("Tax id").fill("CZ 27082440")
    page.get_by_label("E-mail").fill("info@dvorak-stavby.cz")
    page.get_by_label("Phone").fill("+420 602 111 222")
    page.get_by_label("Source of first contact").select_option("event")
    page.get_by_label("What was it about?").fill("Met at the Brno fair, wants a quote")
    screenshot("customer-create")
    page.get_by_role("button", name="Create customer").click()

    expect(page.get_by_role("heading", name=re.compile("Dvořák Stavby"))).to_be_visible()
    expect(page.get_by_text("Customer created with its first contact on record.")).to_be_visible()
    expect(page.locator(".timeline")).to_contain_text("Met at the Brno fair")

    page.get_by_role("link", name="Add").click()
    page.get_by_label("First name").fill("Jana")
    page.get_by_label("Last name").fill("Dvořáková")
    page.get_by_label("E-mail").fill("jana@dvorak-stavby.cz")
    page.get_by_label("Primary contact").check()
    page.get_by_role("button", name="Save").click()
    expect(page.locator("#contacts")).to_contain_text("Jana Dvořáková")

    form = page.locator("#log-interaction")
    form.get_by_label("Contact person").select_option(label="Jana Dvořáková")
    form.get_by_label("Subject").fill("Sent the quote for the roof")
    form.get_by_label("Outcome").fill("Decision next week")
    form.get_by_role("button", name="Log it").click()
    expect(page.get_by_text("Interaction logged.")).to_be_visible()
    expect(page.locator(".timeline li").first).to_contain_text("Sent the quote for the roof")
    expect(page.locator("#relationship-header")).to_contain_text("Sent the quote for the roof")
    screenshot("customer-page")

    page.get_by_role("link", name="Change history").click()
    expect(page.locator("table")).to_contain_text("Dvořák Stavby")
    screenshot("customer-history")


def test_the_duplicate_guard_points_to_the_existing_customer(login, page, screenshot, sales_rep):
    existing = CustomerFactory(display_name="Kowalski i Syn", email="biuro@kowalski.pl", phone="")
    login(sales_rep)
    page.goto("/customers/new/")
    page.get_by_label("Display name").fill("Kowalski & Syn")
    page.get_by_label("E-mail").fill("BIURO@kowalski.pl")
    page.get_by_label("Source of first contact").select_option("inbound_call")
    page.get_by_label("What was it about?").fill("Called about an invoice")
    page.get_by_role("button", name="Create customer").click()
    duplicates = page.locator("#duplicates")
    expect(duplicates).to_contain_text("Kowalski i Syn")
    expect(duplicates).to_contain_text("same e-mail")
    screenshot("duplicate-guard")
    assert Customer.objects.count() == 1
    # The rep opens the existing customer instead of creating a twin.
    href = duplicates.get_by_role("link", name="Kowalski i Syn").get_attribute("href")
    assert href == existing.get_absolute_url()


def test_a_manager_ends_a_relationship_only_with_a_reason_and_a_new_one_can_start(
    login, page, screenshot, manager
):
    customer = CustomerFactory(display_name="Nordic Parts AB", owner=manager)
    login(manager)
    page.goto(customer.get_absolute_url())
    page.get_by_role("link", name="End relationship…").click()
    page.get_by_label("I understand").check()
    page.get_by_role("button", name="End the relationship").click()
    expect(page.locator("#id_end_reason").locator("xpath=..")).to_contain_text(
        "This field is required"
    )
    screenshot("relationship-end-refused")
    customer.refresh_from_db()
    assert customer.status == "prospect"

    page.get_by_label("Why does the relationship end?").select_option("competitor")
    page.get_by_label("Note").fill("Moved to a cheaper supplier")
    page.get_by_label("I understand").check()
    page.get_by_role("button", name="End the relationship").click()
    expect(page.locator(".timeline")).to_contain_text("Relationship ended")
    expect(page.locator("#relationship-header")).to_contain_text("Moved to a competitor")

    page.get_by_role("button", name="Start a new relationship").click()
    expect(page.get_by_text("A new relationship has started.")).to_be_visible()
    expect(page.locator("#relationship-header")).to_contain_text("returning customer")
    expect(page.locator("#relationships li")).to_have_count(2)
    screenshot("returning-customer")


def test_the_customer_list_filters_sorts_and_searches(login, page, screenshot, sales_rep):
    CustomerFactory(display_name="Alpha Foods", city="Ostrava", status="active")
    CustomerFactory(display_name="Beta Metals", city="Gdynia")
    target = CustomerFactory(display_name="Gamma Textiles", city="Lodz")
    ContactPersonFactory(
        customer=target, first_name="Ewa", last_name="Lis", phone="+48 511 222 333"
    )
    login(sales_rep)
    page.goto("/customers/")
    rows = page.locator("table tbody tr")
    expect(rows).to_have_count(3)
    page.get_by_label("Status").select_option("active")
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("Alpha Foods")
    page.get_by_role("link", name="Reset").click()
    page.get_by_role("link", name="City").click()
    expect(rows.first).to_contain_text("Beta Metals")
    page.get_by_role("link", name="City ▲").click()
    expect(rows.first).to_contain_text("Alpha Foods")
    screenshot("customer-list")

    page.get_by_role(
        "combobox", name="Search customers, contacts, contracts, invoices, deals and tickets"
    ).fill("511 222 333")
    page.keyboard.press("Enter")
    # One hit: the contact person's customer page opens, with them among its contacts.
    expect(page.locator("#contacts").get_by_text("Ewa Lis")).to_be_visible()
    screenshot("search")


def test_two_people_editing_one_customer_keep_both_changes(
    browser, live_server, login, page, screenshot, sales_rep, manager
):
    """The rep and the manager open the same customer's edit form; the rep saves a new city,
    then the manager a new phone: the manager's form comes back saying so, with the rep's city
    in it, and a second save keeps both."""
    customer = CustomerFactory(
        display_name="Hurtownia Zieleń", city="Białystok", phone="+48 600 100 200", owner=sales_rep
    )
    edit = f"/customers/{customer.pk}/edit/"
    login(manager)
    page.goto(edit)

    colleague = browser.new_context(base_url=live_server.url)
    rep = colleague.new_page()
    rep.goto("/login/")
    rep.get_by_label("Username").fill(sales_rep.username)
    rep.get_by_label("Password").fill(PASSWORD)
    rep.get_by_role("button", name="Log in").click()
    rep.wait_for_url(re.compile(r".*/$"))
    rep.goto(edit)
    rep.get_by_label("City").fill("Kraków")
    rep.get_by_role("button", name="Save").click()
    expect(rep.get_by_text("Customer saved.")).to_be_visible()
    colleague.close()

    page.get_by_label("Phone").fill("+48 600 999 999")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_text("Someone else saved this record after you opened it")).to_be_visible()
    expect(page.get_by_label("City")).to_have_value("Kraków")
    expect(page.get_by_label("Phone")).to_have_value("+48 600 999 999")
    expect(
        page.get_by_text("Changed by someone else meanwhile: this is the new value.")
    ).to_be_visible()
    screenshot("customer-edited-meanwhile")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_text("Customer saved.")).to_be_visible()
    customer.refresh_from_db()
    assert (customer.city, customer.phone) == ("Kraków", "+48 600 999 999")
