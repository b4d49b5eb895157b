"""Lists that act, in a real browser: filter the customer list and save the filters as a view
shared with the team, pick it again from the menu, run a bulk action on the rows, and download
the filtered list as CSV and XLSX; a filtered list above EXPORT_INLINE_MAX_ROWS exported in the
background, told by the bell and downloaded from My exports."""

import csv
import io
import re

import pytest
from openpyxl import load_workbook
from playwright.sync_api import expect

from core.models import AuditEvent, ExportJob, SavedView, Team
from core.permissions import SALES
from customers.models import Customer
from tests.e2e.axe import describe, violations
from tests.e2e.network import slow_line
from tests.factories import CustomerFactory, SegmentFactory, UserFactory

pytestmark = pytest.mark.django_db(transaction=True)


def test_save_a_view_reuse_it_act_on_its_rows_and_export_them(login, page, screenshot, sales_rep):
    mate = UserFactory(username="tom_teammate", roles=[SALES])
    Team.objects.create(name="Sales Warsaw").members.add(sales_rep, mate)
    SegmentFactory(name="VIP")
    for name in ("Alpha Print", "Beta Paper"):
        CustomerFactory(display_name=name, status="active", owner=sales_rep)
    CustomerFactory(display_name="Gamma Lead", status="prospect", owner=sales_rep)

    login(sales_rep)
    page.goto("/customers/")
    table = page.locator("#customer-table")
    expect(table).to_contain_text("Gamma Lead")

    # Filter (the list answers with htmx and the address changes), then save the filters.
    page.get_by_label("Status", exact=True).select_option("active")
    expect(table).not_to_contain_text("Gamma Lead")
    page.get_by_placeholder("Name these filters").fill("Active customers")
    page.locator("#view-team-customers").select_option(label="Team Sales Warsaw")
    page.get_by_role("button", name="Save view").click()
    expect(page.get_by_text("View “Active customers” saved.")).to_be_visible()
    view = SavedView.objects.get()
    assert (view.query, view.team.name) == ("status=active", "Sales Warsaw")

    # Back to the whole list, and the view picked from the menu.
    page.goto("/customers/")
    expect(table).to_contain_text("Gamma Lead")
    page.get_by_role("button", name="Saved views").click()
    page.get_by_role("link", name="Active customers").click()
    page.wait_for_url("**/customers/?status=active")
    expect(table).not_to_contain_text("Gamma Lead")
    expect(page.locator("#saved-views-customers")).to_contain_text("Active customers")
    screenshot("customer-list-saved-view")

    # Every row on the page into the VIP segment, in one action.
    page.get_by_label("Select all on this page").check()
    expect(page.locator("[data-bulk-count]")).to_have_text("2")
    page.locator("#bulk_action").select_option("segment_add")
    page.locator("#bulk_segment").select_option(label="VIP")
    page.get_by_role("button", name="Apply to selected").click()
    expect(page.get_by_text("2 customers added to the segment VIP.")).to_be_visible()
    assert sorted(
        Customer.objects.filter(segments__name="VIP").values_list("display_name", flat=True)
    ) == ["Alpha Print", "Beta Paper"]
    assert AuditEvent.objects.filter(action=AuditEvent.Action.BULK).count() == 1
    screenshot("customer-list-bulk-action")

    # The filtered list, downloaded.
    with page.expect_download() as download:
        page.get_by_role("link", name="CSV").click()
    text = open(download.value.path(), encoding="utf-8-sig").read()  # noqa: SIM115
    names = [row["Name"] for row in csv.DictReader(io.StringIO(text))]
    assert names == ["Alpha Print", "Beta Paper"]
    assert download.value.suggested_filename.startswith("customers-")
    with page.expect_download() as download:
        page.get_by_role("link", name="XLSX").click()
    assert download.value.suggested_filename.endswith(".xlsx")
    with open(download.value.path(), "rb") as workbook:
        sheet = load_workbook(io.BytesIO(workbook.read())).active
    assert [row[1] for row in sheet.iter_rows(min_row=2, values_only=True)] == [
        "Alpha Print",
        "Beta Paper",
    ]

    # The team-mate finds the shared view in their menu.
    page.context.clear_cookies()
    login(mate)
    page.goto("/customers/")
    page.get_by_role("button", name="Saved views").click()
    expect(page.get_by_role("link", name="Active customers")).to_be_visible()
    screenshot("customer-list-shared-view-menu")


def test_bulk_assign_on_the_process_list(login, page, screenshot, sales_rep):
    from processes import services
    from tests.factories import ProcessDefinitionFactory

    colleague = UserFactory(username="colin_colleague", roles=[SALES])
    definition = ProcessDefinitionFactory(name="SMB sales", kind="sales")
    customer = CustomerFactory(display_name="Delta Ink", owner=sales_rep)
    for title in ("Toner deal", "Printer deal"):
        services.instance_open(definition=definition, customer=customer, title=title, by=sales_rep)

    login(sales_rep)
    page.goto("/processes/instances/")
    page.get_by_label("Select Toner deal").check()
    page.locator("#bulk_action").select_option("assign")
    page.locator("#bulk_owner").select_option(label="colin_colleague")
    page.get_by_role("button", name="Apply to selected").click()
    expect(page.get_by_text("1 process now belongs to colin_colleague.")).to_be_visible()
    expect(page.locator("#instances")).to_contain_text("colin_colleague")
    screenshot("process-list-bulk-assign")
    assert colleague.owned_process_instances.get().title == "Toner deal"


def test_a_big_filtered_export_is_prepared_in_the_background(
    login, page, screenshot, sales_rep, settings, tmp_path
):
    settings.EXPORT_INLINE_MAX_ROWS = 2  # the live server runs in this process
    settings.MEDIA_ROOT = tmp_path / "media"
    for name in ("Alpha Print", "Beta Paper", "Delta Ink"):
        CustomerFactory(display_name=name, status="active", owner=sales_rep)
    CustomerFactory(display_name="Gamma Lead", status="prospect", owner=sales_rep)

    login(sales_rep)
    page.goto("/customers/?status=active")
    # Three rows, above the threshold: the export becomes a job (the test's worker runs it
    # when the request commits) and the browser lands on My exports.
    page.get_by_role("link", name="CSV").click()
    page.wait_for_url("**/exports/")
    expect(page.get_by_text("Your export is being prepared")).to_be_visible()
    job = ExportJob.objects.get()
    assert (job.query, job.status, job.rows) == ("status=active", "done", 3)
    row = page.locator(f"#export-{job.pk}")
    expect(row).to_contain_text("Customers")
    expect(row).to_contain_text("status=active")
    expect(row).to_contain_text("ready")
    found = violations(page)
    assert not found, describe(found)
    screenshot("my-exports")

    # The bell counts it; its notification links to the file.
    expect(page.locator("#notification-bell")).to_contain_text("1")
    page.locator("#notification-bell").click()
    notification = page.get_by_role("link", name="Your export of Customers (3 rows) is ready")
    expect(notification).to_be_visible()
    screenshot("export-ready-notification")
    with page.expect_download() as download:
        notification.click()
    assert download.value.suggested_filename.startswith("customers-")
    text = open(download.value.path(), encoding="utf-8-sig").read()  # noqa: SIM115
    names = [row["Name"] for row in csv.DictReader(io.StringIO(text))]
    assert sorted(names) == ["Alpha Print", "Beta Paper", "Delta Ink"]

    # The same from My exports' button, as XLSX this time.
    page.goto("/customers/?status=active")
    page.get_by_role("link", name="XLSX").click()
    page.wait_for_url("**/exports/")
    xlsx_job = ExportJob.objects.get(format="xlsx")
    with page.expect_download() as download:
        page.locator(f"#export-{xlsx_job.pk}").get_by_role("link", name="Download").click()
    with open(download.value.path(), "rb") as workbook:
        sheet = load_workbook(io.BytesIO(workbook.read())).active
    assert sorted(row[1] for row in sheet.iter_rows(min_row=2, values_only=True)) == [
        "Alpha Print",
        "Beta Paper",
        "Delta Ink",
    ]


def test_on_a_slow_line_the_list_ends_on_the_last_word_typed(login, page, sales_rep):
    """A word typed while the previous filter is still loading is not dropped: the list and the
    address end on what the box says."""
    CustomerFactory(display_name="Kowalczyk Meble", owner=sales_rep)
    CustomerFactory(display_name="Kowalski Transport", owner=sales_rep)
    login(sales_rep)
    page.goto("/customers/")

    slow_line(page, latency_ms=800)
    table = page.locator("#customer-table")
    box = page.locator("main input[name=q]")
    box.press_sequentially("Kowal", delay=30)
    page.wait_for_timeout(600)  # the first filter is on its way
    box.press_sequentially("ski", delay=30)
    expect(table).not_to_contain_text("Kowalczyk Meble", timeout=5_000)
    expect(table).to_contain_text("Kowalski Transport")
    expect(page).to_have_url(re.compile(r"q=Kowalski"))
