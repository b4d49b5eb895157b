"""Choosing a language in the browser: on the log-in page before logging in, in the user menu
after; the choice sticks to the user (their profile), not only to the page."""

import re

import pytest

from core.models import UserProfile
from tests.e2e.conftest import PASSWORD
from tests.factories import CustomerFactory, InvoiceFactory, UserFactory

pytestmark = pytest.mark.django_db(transaction=True)


def test_the_login_page_language_becomes_the_users(page, screenshot):
    user = UserFactory(username="nina_new", roles=["sales"])
    page.goto("/login/")
    page.get_by_role("button", name="Čeština").click()
    page.wait_for_load_state()
    assert page.locator("html").get_attribute("lang") == "cs"
    screenshot("language-login-cs")

    page.locator("#id_username").fill(user.username)
    page.locator("#id_password").fill(PASSWORD)
    page.locator("form:has(#id_username) button[type=submit]").click()
    page.wait_for_url(re.compile(r".*/$"))

    assert page.locator("html").get_attribute("lang") == "cs"
    assert UserProfile.objects.get(user=user).language == "cs"


def test_the_user_menu_switches_the_language_and_stays_on_the_page(login, page, screenshot):
    user = UserFactory(username="piotr_finance", roles=["finance", "sales"])
    customer = CustomerFactory(owner=user, display_name="Zakłady Mięsne Sp. z o.o.")
    invoice = InvoiceFactory(customer=customer, amount="1234.56", currency="PLN")
    login(user)
    page.goto(invoice.get_absolute_url())

    page.locator("nav .dropdown-toggle", has_text=user.username).click()
    screenshot("language-user-menu")
    page.get_by_role("button", name="Polski").click()
    page.wait_for_url(re.compile(re.escape(invoice.get_absolute_url()) + "$"))

    assert page.locator("html").get_attribute("lang") == "pl"
    assert "1\xa0234,56\xa0zł" in page.locator("main").inner_text()
    assert UserProfile.objects.get(user=user).language == "pl"
    screenshot("language-invoice-pl")

    # Another browser, an English one: the profile still decides.
    page.context.clear_cookies()
    login(user)
    assert page.locator("html").get_attribute("lang") == "pl"
