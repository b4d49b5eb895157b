"""Importing a messy CSV in a real browser: mapping, preview with an error beside a cell, run,
result, undo."""

import pytest
from playwright.sync_api import expect

from customers.models import Customer

pytestmark = pytest.mark.django_db(transaction=True)

MESSY = (
    "Eksport klientów\n"
    "\n"
    "Nazwa firmy;NIP;Miasto;Uwagi dodatkowe\n"
    "Łódzka Spółka Żółw;123-456-32-18;Łódź;stały klient\n"
    "Zła Firma;1234563219;Kraków;\n"
    ";;;\n"
).encode("cp1250")


def test_a_sales_rep_imports_a_messy_file_and_undoes_it(
    login, page, screenshot, sales_rep, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path
    login(sales_rep)
    page.get_by_role("button", name="More").click()
    page.get_by_role("link", name="Import", exact=True).click()
    page.get_by_role("link", name="Import a file").click()
    page.locator("input[name=file]").set_input_files(
        {"name": "klienci.csv", "mimeType": "text/csv", "buffer": MESSY}
    )
    page.get_by_role("button", name="Upload").click()

    expect(page.get_by_role("heading", name="Map the columns")).to_be_visible()
    notes = page.get_by_label("Uwagi dodatkowe")
    expect(notes).to_have_value("")
    notes.select_option("notes")
    screenshot("import-mapping")
    page.get_by_role("button", name="Read the rows").click()

    expect(page.get_by_role("heading", name="Preview")).to_be_visible()
    expect(page.locator("#row-5 [data-cell-error]")).to_have_text("Not a valid NIP.")
    expect(page.locator("#row-4")).to_contain_text("stały klient")
    screenshot("import-preview")
    page.get_by_role("button", name="Import", exact=True).click()

    expect(page.locator("#count-created")).to_have_text("1")
    expect(page.locator("#count-rejected")).to_have_text("1")
    screenshot("import-result")
    assert Customer.objects.get().notes == "stały klient"

    page.get_by_role("button", name="Undo this import").click()
    expect(page.get_by_text("The import is undone.")).to_be_visible()
    screenshot("import-undone")
    assert not Customer.objects.exists()
