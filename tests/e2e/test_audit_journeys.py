"""A manager reads who changed what: the audit list and a customer's history, in words."""

from playwright.sync_api import expect

from tests.factories import CustomerFactory


def test_a_manager_reads_the_audit_of_an_ended_relationship(login, page, screenshot, manager):
    manager.first_name, manager.last_name = "Anna", "Nowak"
    manager.save()
    customer = CustomerFactory(display_name="Nordic Parts AB", owner=manager)
    login(manager)
    page.goto(customer.get_absolute_url())
    page.get_by_role("link", name="End relationship…").click()
    page.get_by_label("Why does the relationship end?").select_option("competitor")
    page.get_by_label("I understand").check()
    page.get_by_role("button", name="End the relationship").click()
    expect(page.locator(".timeline")).to_contain_text("Relationship ended")

    page.get_by_role("button", name="More").click()
    page.get_by_role("link", name="Audit", exact=True).click()
    table = page.locator("table.audit-table")
    expect(table).to_contain_text("Ended by: — → Anna Nowak")
    expect(table).to_contain_text("Moved to a competitor")
    expect(table).not_to_contain_text("ended_by")
    page.get_by_label("Kind of record").select_option(label="Relationship")
    page.get_by_role("button", name="Filter").click()
    # The relationship as the factory made it, and its end.
    expect(table.locator("tbody tr")).to_have_count(2)
    screenshot("audit-list")

    page.goto(customer.get_absolute_url())
    page.get_by_role("link", name="Change history").click()
    expect(page.locator("table.audit-table")).to_contain_text("Ended by: — → Anna Nowak")
    screenshot("audit-customer-history")
