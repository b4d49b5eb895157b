"""The API in a real browser: a rep creates a personal token (shown once), the token works,
the rep revokes it; the documentation page renders under the strict CSP."""

import re

import pytest
from playwright.sync_api import expect

from tests.factories import CustomerFactory

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_rep_creates_uses_and_revokes_a_token(login, page, screenshot, sales_rep):
    CustomerFactory(owner=sales_rep, display_name="Baltic Freight")
    login(sales_rep)
    page.goto("/account/api-tokens/")
    page.get_by_label("Name").fill("ERP import")
    page.get_by_label("Read and write").check()
    page.get_by_role("button", name="Create token").click()
    secret = page.locator("#new-token code").inner_text().strip()
    assert re.fullmatch(r"crm_[0-9a-f]{8}_[\w-]+", secret)
    expect(page.locator("#token-table")).to_contain_text("ERP import")
    expect(page.locator("#token-table")).to_contain_text("never")
    screenshot("api-token-created")

    answer = page.request.get("/api/v1/customers/", headers={"Authorization": f"Bearer {secret}"})
    assert answer.status == 200
    assert answer.json()["results"][0]["display_name"] == "Baltic Freight"

    page.reload()
    expect(page.locator("#new-token")).to_have_count(0)  # shown once
    page.get_by_role("button", name="Revoke").click()
    expect(page.locator("#token-table")).to_contain_text("revoked")
    gone = page.request.get("/api/v1/customers/", headers={"Authorization": f"Bearer {secret}"})
    assert gone.status == 401


def test_the_api_documentation_renders_under_the_csp(login, page, screenshot, manager):
    login(manager)
    page.goto("/api/v1/docs/")
    expect(page.get_by_text("/api/v1/customers/", exact=True).first).to_be_visible()
    expect(page.locator(".swagger-ui .info .title")).to_contain_text("CRM API")
    screenshot("api-docs")
