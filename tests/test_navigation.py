"""The main navigation: each user sees the links of their roles, the current section marked.

Its links are cached by role set, language and section, so these tests ask for the same page as
several users in turn: one user's links must never reach another."""

import pytest
from django.test import Client
from django.urls import reverse

pytestmark = pytest.mark.django_db


def _navigation(user, url_name="customers:list"):
    client = Client()
    client.force_login(user)
    body = client.get(reverse(url_name)).content.decode()
    return body[body.index("<nav") : body.index("</nav>")]


def test_the_main_navigation_shows_each_user_the_links_of_their_roles(
    sales_rep, finance_clerk, manager
):
    invoices, new_customer = (
        reverse("relationships:invoice_list"),
        reverse("relationships:customer_create"),
    )
    managers = _navigation(manager)
    assert invoices in managers and new_customer in managers and 'id="nav-reports"' in managers
    sales = _navigation(sales_rep)
    assert new_customer in sales
    assert invoices not in sales and 'id="nav-reports"' not in sales
    finance = _navigation(finance_clerk)
    assert invoices in finance
    assert new_customer not in finance and 'id="nav-reports"' not in finance


def test_the_main_navigation_marks_the_current_section(manager):
    customers, contracts = reverse("customers:list"), reverse("relationships:contract_list")
    on_customers = _navigation(manager, "customers:list")
    on_contracts = _navigation(manager, "relationships:contract_list")
    assert f'class="nav-link active" href="{customers}"' in on_customers
    assert f'class="nav-link active" href="{contracts}"' not in on_customers
    assert f'class="nav-link active" href="{contracts}"' in on_contracts
    assert f'class="nav-link active" href="{customers}"' not in on_contracts


def test_the_user_menu_is_each_users_own(sales_rep, manager):
    assert manager.get_username() in _navigation(manager)
    sales = _navigation(sales_rep)
    assert sales_rep.get_username() in sales and manager.get_username() not in sales


def test_the_less_used_entries_are_under_more(sales_rep, service_agent, manager):
    """Import, audit, integrations and the admin under one "More" menu, so that the bar stays on
    one line at 1,366 px (tests/e2e/test_accessibility_journeys.py measures it)."""
    imports, audit = reverse("imports:list"), reverse("audit_list")
    webhooks = reverse("integrations:subscription_list")

    def more(user):
        navigation = _navigation(user)
        if 'id="nav-more"' not in navigation:
            return ""
        start = navigation.index('id="nav-more"')
        return navigation[start : navigation.index("</li>\n", navigation.index("</ul>", start))]

    managers = more(manager)
    assert imports in managers and audit in managers and webhooks in managers
    sales = more(sales_rep)
    assert imports in sales and audit not in sales and webhooks not in sales
    assert more(service_agent) == ""  # nothing to import, audit or connect
