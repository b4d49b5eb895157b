"""A person's rights in a real browser: consent, export, erasure."""

import json
import re
import zipfile

import pytest
from playwright.sync_api import expect

from customers.models import ConsentPurpose, Customer
from tests.factories import ContactPersonFactory, CustomerFactory, InvoiceFactory

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_manager_records_consent_exports_a_person_and_erases_them(
    login, page, screenshot, manager
):
    # Transactional tests may have flushed the purposes the migration seeded.
    ConsentPurpose.objects.get_or_create(
        code="newsletter",
        defaults={"name": "Newsletter", "wording": "I agree to receive the newsletter."},
    )
    person = CustomerFactory(
        kind=Customer.Kind.PERSON,
        display_name="Jan Kowalski",
        email="jan.kowalski@home.example",
        owner=manager,
    )
    ContactPersonFactory(customer=person, first_name="Jan", last_name="Kowalski")
    InvoiceFactory(customer=person, number="FV/2026/001")
    login(manager)

    page.goto(person.get_absolute_url())
    page.locator("#contacts").get_by_role("link", name="consents").click()
    page.get_by_label("Purpose").select_option(label="Newsletter")
    page.get_by_label("Consent given").check()
    page.get_by_label("How").select_option("phone")
    page.get_by_role("button", name="Record").click()
    expect(page.locator("#consent-states tr[data-purpose=newsletter]")).to_contain_text("given")
    expect(page.locator("#consent-history")).to_contain_text("I agree to receive the newsletter")
    screenshot("privacy-consents")

    page.goto(person.get_absolute_url())
    panel = page.locator("#personal-data")
    expect(panel).to_be_visible()
    screenshot("privacy-customer-page")
    with page.expect_download() as download_info:
        panel.get_by_role("link", name="Export").click()
    download = download_info.value
    assert re.match(r"personal-data-customer-\d+-.*\.zip", download.suggested_filename)
    archive = zipfile.ZipFile(download.path())
    assert json.loads(archive.read("customer.json"))[0]["email"] == "jan.kowalski@home.example"
    assert json.loads(archive.read("invoices.json"))[0]["number"] == "FV/2026/001"
    assert json.loads(archive.read("consents.json"))[0]["source"] == "phone"

    panel.get_by_role("link", name="Erase").click()
    page.get_by_role("button", name="Erase the personal data").click()
    expect(page.locator("#div_id_reason")).to_contain_text("This field is required")
    screenshot("privacy-erase-refused")
    page.get_by_label("Reason").fill("The person's written request of 1 December")
    page.get_by_label("I understand").check()
    page.get_by_role("button", name="Erase the personal data").click()

    expect(page.get_by_text("The person's data was erased.")).to_be_visible()
    expect(page.get_by_role("heading", name=re.compile(r"\(erased\)"))).to_contain_text(
        "personal data erased"
    )
    expect(page.get_by_text("jan.kowalski@home.example")).to_have_count(0)
    screenshot("privacy-erased")
