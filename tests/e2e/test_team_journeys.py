"""Teams in a real browser: a rep reads another team's customer without being offered changes,
and in team mode does not find it at all."""

from decimal import Decimal

import pytest
from playwright.sync_api import expect

from core.models import Team
from core.permissions import SALES
from tests.factories import ContactPersonFactory, ContractFactory, CustomerFactory, UserFactory

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def other_office(sales_rep):
    Team.objects.create(name="Sales Warsaw").members.add(sales_rep)
    prague = UserFactory(username="petr_prague", roles=[SALES])
    Team.objects.create(name="Sales Prague").members.add(prague)
    customer = CustomerFactory(display_name="Vltava Print s.r.o.", owner=prague)
    ContactPersonFactory(customer=customer, first_name="Jana", last_name="Dvořáková")
    ContractFactory(customer=customer, value=Decimal("1200.00"))
    return customer


def test_a_rep_reads_another_offices_customer_but_is_offered_no_change(
    login, page, screenshot, sales_rep, other_office
):
    login(sales_rep)
    page.goto(other_office.get_absolute_url())
    expect(page.get_by_role("heading", name="Vltava Print s.r.o.")).to_be_visible()
    expect(page.get_by_text("Jana Dvořáková")).to_be_visible()
    for offer in ("Edit", "New contract", "Request a payout", "Upload document"):
        expect(page.get_by_role("link", name=offer, exact=True)).to_have_count(0)
    expect(page.locator("#log-interaction")).to_have_count(0)
    screenshot("customer-page-other-team")

    # Asked without opening it in the page: an error page is a console error there.
    assert page.request.get(f"/customers/{other_office.pk}/edit/").status == 403


def test_in_team_mode_another_offices_customer_is_not_found(
    login, page, screenshot, settings, sales_rep, other_office
):
    settings.CRM_VISIBILITY = "team"
    mine = CustomerFactory(display_name="Wisła Druk sp. z o.o.", owner=sales_rep)
    CustomerFactory(display_name="Walk-in lead")
    login(sales_rep)
    page.goto("/customers/")
    table = page.locator("table")
    expect(table).to_contain_text(mine.display_name)
    expect(table).to_contain_text("Walk-in lead")
    expect(table).not_to_contain_text("Vltava Print")
    screenshot("customer-list-team-mode")

    assert page.request.get(other_office.get_absolute_url()).status == 404
