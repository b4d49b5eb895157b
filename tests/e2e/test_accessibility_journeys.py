"""Every main page passes axe-core with no critical and no serious violation (contrast, names,
keyboard access to scrollable tables, ...), checked in the browser on pages full of demo data,
for each persona on the pages its navigation offers, and in the states a user brings about: a
form showing its errors, the board's move dialog open, a log-in refused, the error pages.

One browser page per persona walks a list of addresses; a page the persona may not open (its
view's declared permission, core.permissions.can) is left out of that persona's list, so each
list is what its menus lead to. Every page must answer 200: a page that answers an error is a
defect of the list, not a page to check."""

import re

import pytest
from django.urls import resolve, reverse
from django.utils import timezone
from playwright.sync_api import expect

from analytics import scoring
from core import visibility
from core.models import SavedView
from core.permissions import can
from customers.models import ContactPerson, Customer
from demo import datagen
from demo.datagen.steering import seed_steering
from demo.mail_inbox import seed_mail_inbox
from demo.mail_templates import seed_mail_templates
from mail.models import EmailMessage, Mailbox, Mailing, MailingRecipient, MailTemplate
from mail.services.mailing_batches import unsubscribe_token
from processes import access as process_access
from processes.models import ProcessDefinition, ProcessInstance
from processes.services import processes_watch
from relationships.models import Contract, Invoice
from tests.e2e.axe import describe, violations
from tests.e2e.conftest import PASSWORD
from tests.mail.test_mailings import make_purpose

pytestmark = pytest.mark.django_db(transaction=True)

PERSONAS = ["sales_rep", "service_agent", "finance_clerk", "manager", "admin_user"]


@pytest.fixture
def demo_book(sales_rep, service_agent, finance_clerk, manager):
    """The demo as `make run` loads it (datagen, teams, notifications, scores, targets and rules,
    the shared mailbox with mail waiting in triage, templates), and a mailing's recipient to
    unsubscribe."""
    staff = [sales_rep, service_agent, finance_clerk, manager]
    datagen.ensure_teams(staff)
    datagen.generate(customers=25, seed=3, staff=datagen.Staff.from_users(staff))
    processes_watch()
    scoring.score_all_customers()  # the grades and reliability figures, in their colours
    seed_steering(today=timezone.localdate(), by=manager)
    seed_mail_inbox()
    seed_mail_templates()
    contact = ContactPerson.objects.exclude(email="").order_by("pk").first()
    mailing = Mailing.objects.create(
        name="Spring offer",
        purpose=make_purpose("newsletter"),
        template=MailTemplate.objects.order_by("pk").first(),
        customer_filter="status=active",
        created_by=sales_rep,
    )
    MailingRecipient.objects.create(
        mailing=mailing,
        contact=contact,
        customer=contact.customer,
        address=contact.email,
        language="en",
    )
    for user in staff:
        SavedView.objects.create(owner=user, list_key="customers", name="Prague", query="q=a")
    return mailing


def visible(queryset, user, path=""):
    condition = visibility.visible_q(user, path)
    return queryset if condition is None else queryset.filter(condition)


def may_open(user, url):
    """Whether the view behind `url` lets the user in, by the permission it declares."""
    permission = getattr(resolve(url.split("?")[0]).func, "permission", None)
    return permission is None or can(user, permission)


def pages_of(user):
    """(name, address) of every main page the persona's navigation leads to."""
    customer = (
        visible(Customer.objects.current(), user)
        .filter(process_instances__isnull=False, contacts__isnull=False)
        .distinct()
        .order_by("pk")
        .first()
    )
    instance = visible(ProcessInstance.objects, user, "customer__").order_by("pk").first()
    contract = visible(Contract.objects, user, "customer__").order_by("pk").first()
    invoice = Invoice.objects.visible_to(user).order_by("pk").first()
    workable = process_access.workable_kinds(user)
    board = ProcessDefinition.objects.filter(kind__in=workable).order_by("pk").first()
    mailing = Mailing.objects.order_by("pk").first()
    triage = EmailMessage.objects.filter(status=EmailMessage.Status.TRIAGE).order_by("pk").first()
    mailbox = Mailbox.objects.order_by("pk").first()
    candidates = [
        ("home", reverse("home")),
        ("customer-list", reverse("customers:list")),
        ("customer-list-filtered", reverse("customers:list") + "?status=active&sort=-ltv"),
        ("customer-page", customer.get_absolute_url()),
        ("customer-history", reverse("customers:history", args=[customer.pk])),
        ("customer-new", reverse("relationships:customer_create")),
        ("duplicates", reverse("customers:duplicates")),
        ("search", reverse("customers:search") + "?q=a"),
        ("contracts", reverse("relationships:contract_list")),
        ("invoices", reverse("relationships:invoice_list")),
        ("overdue-invoices", reverse("relationships:invoice_list") + "?overdue=on"),
        ("payouts", reverse("relationships:payout_list")),
        ("boards", reverse("processes:overview")),
        ("processes", reverse("processes:instance_list")),
        ("instance-page", instance.get_absolute_url()),
        ("tickets", reverse("processes:ticket_list")),
        ("tasks", reverse("processes:task_list")),
        ("notifications", reverse("processes:notification_list")),
        ("approvals", reverse("processes:approval_list")),
        ("collections", reverse("processes:collection_list")),
        ("campaigns", reverse("processes:campaign_list")),
        ("kpi-targets", reverse("processes:kpi_target_list")),
        ("decision-rules", reverse("processes:decision_rule_list")),
        ("value-report", reverse("analytics:value_report")),
        ("segment-report", reverse("analytics:segment_report")),
        ("data-quality", reverse("analytics:data_quality")),
        ("usage", reverse("analytics:usage_report")),
        ("scoring-method", reverse("analytics:scoring_method")),
        ("kpis", reverse("analytics:process_kpis")),
        ("forecast", reverse("analytics:forecast")),
        ("mail-templates", reverse("mail:template_list")),
        ("mailboxes", reverse("mail:mailbox_list")),
        ("triage", reverse("mail:triage_list")),
        ("mailings", reverse("mail:mailing_list")),
        ("saved-views", reverse("saved_view_list")),
        ("audit", reverse("audit_list")),
        ("webhooks", reverse("integrations:subscription_list")),
        ("web-forms", reverse("integrations:webform_list")),
        ("api-tokens", reverse("api:token_list")),
        ("my-settings", reverse("analytics:my_settings")),
        ("password", reverse("password_change")),
        ("two-factor", reverse("mfa_overview")),
        ("two-factor-enrol", reverse("mfa_enrol")),
    ]
    # Writing to a customer: about a customer one may change, or (finance) about a case one works.
    editable = visibility.editable_q(user)
    if editable is None or customer.pk in Customer.objects.filter(editable).values_list(
        "pk", flat=True
    ):
        candidates.append(("compose", reverse("mail:compose", args=[customer.pk])))
    elif can(user, "processes.work_collections"):
        case = ProcessInstance.objects.filter(
            definition__kind=ProcessDefinition.Kind.COLLECTIONS
        ).first()
        url = reverse("mail:compose", args=[case.customer_id]) + f"?process={case.pk}"
        candidates.append(("compose-about-a-case", url))
    definition = ProcessDefinition.objects.order_by("pk").first()
    candidates += [
        ("new-mailing", reverse("mail:mailing_create")),
        ("new-template", reverse("mail:template_create")),
        ("new-own-mailbox", reverse("mail:mailbox_create_own")),
        ("new-campaign", reverse("processes:campaign_create")),
        ("new-kpi-target", reverse("processes:kpi_target_create", args=[definition.pk])),
        ("new-decision-rule", reverse("processes:decision_rule_create", args=[definition.pk])),
        ("new-webhook", reverse("integrations:subscription_create")),
        ("new-web-form", reverse("integrations:webform_create")),
        ("scoring-parameters", reverse("analytics:scoring_parameters_edit")),
    ]
    # The forms about a customer, for a customer the persona may change.
    own = Customer.objects.current().filter(contacts__isnull=False).order_by("pk")
    own = (own if editable is None else own.filter(editable)).first()
    if own is not None:
        candidates += [
            (f"customer-{form}", reverse(url_name, args=[own.pk]))
            for form, url_name in [
                ("edit", "customers:edit"),
                ("new-contact", "customers:contact_create"),
                ("new-process", "processes:instance_create"),
                ("new-ticket", "processes:ticket_create"),
                ("new-task", "processes:task_create"),
                ("new-contract", "relationships:contract_create"),
                ("new-invoice", "relationships:invoice_create"),
                ("new-payout", "relationships:payout_create"),
            ]
        ]
    if board is not None:
        candidates.append(("board", reverse("processes:board", args=[board.pk])))
    if contract is not None:
        candidates.append(("contract-page", contract.get_absolute_url()))
    if invoice is not None:
        candidates.append(("invoice-page", invoice.get_absolute_url()))
    if can(user, "imports.import_customers") or can(user, "imports.import_finance"):
        candidates += [
            ("imports", reverse("imports:list")),
            ("import-new", reverse("imports:create")),
        ]
    if can(user, "mail.send_mailings"):
        candidates.append(("mailing-page", reverse("mail:mailing_detail", args=[mailing.pk])))
    if can(user, "mail.triage_shared_mail"):
        candidates.append(("triage-message", reverse("mail:triage_detail", args=[triage.pk])))
    if can(user, "mail.manage_mailboxes"):
        candidates.append(("mailbox-page", reverse("mail:mailbox_detail", args=[mailbox.pk])))
    contact = customer.contacts.order_by("pk").first()
    if can(user, "privacy.erase_personal_data"):
        candidates.append(("erase-confirm", reverse("privacy:contact_erase", args=[contact.pk])))
    if can(user, "customers.edit_contacts"):
        candidates.append(("consents", reverse("customers:contact_consents", args=[contact.pk])))
    return [(name, url) for name, url in candidates if may_open(user, url)]


def empty_form_of(user):
    """(name, address, form) of a form the persona fills in its everyday work, to submit empty."""
    condition = visibility.editable_q(user)
    customers = Customer.objects.current().order_by("pk")
    customer = (customers if condition is None else customers.filter(condition)).first()
    if can(user, "customers.edit_customers"):
        return "customer-new-errors", reverse("relationships:customer_create"), "main form"
    if can(user, "processes.work_tickets"):
        url = reverse("processes:ticket_create", args=[customer.pk])
        return "ticket-new-errors", url, "main form[method=post]"
    invoice = Invoice.objects.visible_to(user).unsettled().order_by("pk").first()
    return "payment-errors", invoice.get_absolute_url(), "#register-payment form"


# The fields emptied (a payment form starts with the balance and today's date filled in) and the
# browser's own checks off, so the server's errors show.
EMPTIED = """form => {
    form.noValidate = true;
    form.querySelectorAll("input:not([type=hidden]):not([type=checkbox]), textarea")
        .forEach(field => { field.value = ""; });
}"""

NAVIGATION_ENTRIES = """() => Object.fromEntries(
    [...document.querySelectorAll("#nav > ul.navbar-nav > li.nav-item")].map(item => {
        const box = item.getBoundingClientRect();
        return [item.textContent.trim(), `top ${Math.round(box.top)}, height ${box.height}`];
    })
)"""


# The page as the user sees it once it has settled: the document and everything it loads
# (stylesheets, scripts, images), the fonts its icons use, and no htmx request in flight or
# swap unsettled. The pages fetch nothing else of their own (static/js: htmx alone requests),
# so this is the "network idle" of Playwright without its fixed half second of quiet per page.
SETTLED = """() => document.readyState === "complete"
    && document.fonts.status === "loaded"
    && !document.querySelector(".htmx-request, .htmx-swapping, .htmx-settling")"""


def check(page, name, found):
    page.wait_for_load_state("load")
    page.wait_for_function(SETTLED)
    problems = violations(page)
    if problems:
        found[name] = describe(problems)


def check_error_page(page, name, url, status, found):
    """The error page `url` answers, checked as the browser shows it. Chromium logs every
    document answered with an error status as a console error, which the `page` fixture counts
    as a defect; so the page is fetched with the browser's cookies, its status checked, and its
    HTML shown at an address of the same origin that answers 200."""
    answer = page.request.get(url)
    assert answer.status == status, f"{url} answered {answer.status}"
    shown = f"/accessibility-check/{name}/"
    page.route(
        f"**{shown}",
        lambda route: route.fulfill(status=200, content_type="text/html", body=answer.body()),
    )
    page.goto(shown)
    check(page, name, found)


def report(found):
    return "\n\n".join(f"== {name}\n{text}" for name, text in found.items())


@pytest.mark.parametrize("persona", PERSONAS)
def test_each_personas_pages_have_no_serious_accessibility_violations(
    request, login, page, screenshot, persona, demo_book
):
    user = request.getfixturevalue(persona)
    login(user)
    screenshot(f"a11y-home-{persona}")
    # At 1,366 px the navigation bar is one line: every entry at the same height, none wrapped.
    entries = page.evaluate(NAVIGATION_ENTRIES)
    assert len(set(entries.values())) == 1, entries
    found = {}
    # The less used entries: "More" opens and is walked by keyboard alone, and passes axe open.
    more = page.get_by_role("navigation", name="Main navigation").get_by_role("button", name="More")
    if more.count():
        more.focus()
        page.keyboard.press("Enter")
        page.keyboard.press("ArrowDown")
        expect(page.locator("#nav-more .dropdown-item").first).to_be_focused()
        check(page, "more-menu-open", found)
        page.keyboard.press("Escape")
    # The search box's dropdown of hits, open.
    page.locator("#global-search").fill("an")
    expect(page.locator("#global-search-results .list-group-item-action").first).to_be_visible()
    check(page, "search-dropdown-open", found)
    for name, url in pages_of(user):
        response = page.goto(url)
        if response.status != 200:
            found[name] = f"{url} answered {response.status}"
            continue
        check(page, name, found)

    # States, not only first paint: a form showing its errors...
    name, url, selector = empty_form_of(user)
    page.goto(url)
    form = page.locator(selector).last
    form.evaluate(EMPTIED)
    form.locator("[type=submit]").last.click()
    expect(page.locator(".invalid-feedback, .errorlist").first).to_be_visible()
    check(page, name, found)

    # ... the board's move dialog open ...
    definitions = ProcessDefinition.objects.filter(kind__in=process_access.workable_kinds(user))
    for definition in definitions.order_by("pk"):
        page.goto(reverse("processes:board", args=[definition.pk]))
        move = page.get_by_role("button", name=re.compile("Move to"))
        if move.count():
            move.first.click()
            expect(page.locator("#board-dialog")).to_be_visible()
            check(page, f"board-dialog-{definition.kind}", found)
            break
    else:
        raise AssertionError(f"No board of {persona}'s has a card to move.")

    # ... and the error pages.
    check_error_page(page, "404", "/no-such-page/", 404, found)
    if not can(user, "core.view_audit"):
        check_error_page(page, "403", reverse("audit_list"), 403, found)
    assert not found, report(found)


def test_the_anonymous_pages_have_no_serious_accessibility_violations(page, manager, demo_book):
    found = {}
    page.goto(reverse("login"))
    check(page, "login", found)
    page.get_by_label("Username").fill(manager.username)
    page.get_by_label("Password").fill(PASSWORD + "-wrong")
    page.get_by_role("button", name="Log in").click()
    expect(page.locator(".alert, .errorlist, .invalid-feedback").first).to_be_visible()
    check(page, "login-refused", found)

    recipient = MailingRecipient.objects.get()
    page.goto(reverse("mail:unsubscribe", args=[unsubscribe_token(recipient)]))
    expect(page.get_by_role("button", name="Unsubscribe")).to_be_visible()
    check(page, "unsubscribe", found)
    invalid = reverse("mail:unsubscribe", args=["not-a-token"])
    check_error_page(page, "unsubscribe-invalid", invalid, 404, found)
    check_error_page(page, "404-anonymous", "/no-such-page/", 404, found)
    assert not found, report(found)


PHONE = {"width": 390, "height": 844}
SIDEWAYS = "document.documentElement.scrollWidth - document.documentElement.clientWidth"


def test_no_page_scrolls_sideways_on_a_phone(login, page, manager, demo_book):
    """At 390 px a wide table scrolls inside its .table-responsive wrapper, the board's columns
    inside the board, and a long word in a customer's name breaks in the heading: the page
    itself never scrolls sideways."""
    long_name = Customer.objects.create(
        display_name="Wielobranżowe Konstantynopolitańczykowianeczkówna",
        legal_name="PrzedsiębiorstwoProdukcyjnoHandlowoUsługoweKonstantynopolitańczykowianeczka",
        owner=manager,
        first_contact_on=timezone.localdate(),
    )
    definition = ProcessDefinition.objects.filter(kind="sales").order_by("pk").first()
    urls = [
        *pages_of(manager),
        ("board", reverse("processes:board", args=[definition.pk])),
        ("definition", reverse("processes:definition_edit", args=[definition.pk])),
        ("imports", reverse("imports:list")),
        ("long-name", long_name.get_absolute_url()),
    ]
    login(manager)
    page.set_viewport_size(PHONE)
    wide = {}
    for name, url in urls:
        assert page.goto(url).status == 200, url
        if (extra := page.evaluate(SIDEWAYS)) > 0:
            wide[name] = extra
    assert wide == {}, f"pages wider than the phone by so many pixels: {wide}"
