"""A message from an unknown sender arrives in the shared mailbox; a sales rep turns the sender
into a customer from the triage list and finds the e-mail on its page."""

from playwright.sync_api import expect

from mail.services.sync import mailbox_sync
from tests.mail.mailsync_helpers import connect_mailbox, raw_message


def test_a_sales_rep_triages_an_unknown_sender_into_a_new_customer(
    login, page, screenshot, sales_rep, manager, mail_server
):
    shared = connect_mailbox(mail_server)
    mail_server.deliver(
        shared.address,
        raw_message(
            sender="Jiří Dvořák <jiri@dvorak-stavby.example>",
            to=shared.address,
            subject="Poptávka: 40 ks oken",
            body="Dobrý den,\nposílám poptávku na 40 oken do novostavby.\nS pozdravem\nJiří Dvořák",
        ),
    )
    assert mailbox_sync(mailbox_id=shared.pk).triage == 1

    # The manager's mailbox page: the connection works.
    login(manager)
    page.goto("/mail/mailboxes/")
    page.get_by_role("link", name=shared.name).click()
    page.get_by_role("button", name="Test connection").click()
    expect(page.locator(".alert-success, .alert-info").first).to_contain_text("Connected")
    expect(page.locator("#mailbox-messages")).to_contain_text("Poptávka: 40 ks oken")
    screenshot("mail-mailbox")
    page.context.clear_cookies()

    login(sales_rep)
    page.get_by_role("link", name="Mail", exact=True).click()
    triage = page.locator("#triage")
    expect(triage).to_contain_text("Jiří Dvořák")
    expect(triage).to_contain_text("Poptávka: 40 ks oken")
    screenshot("mail-triage-list")
    triage.get_by_role("link", name="Sort").click()
    expect(page.locator("#message-text")).to_contain_text("40 oken do novostavby")
    form = page.locator("#new-customer")
    form.get_by_label("Kind").select_option("organisation")
    form.get_by_label("Display name").fill("Dvořák Stavby s.r.o.")
    form.get_by_label("Country").fill("CZ")
    screenshot("mail-triage-message")
    form.get_by_role("button", name="Create customer").click()

    expect(page.locator("h1")).to_contain_text("Dvořák Stavby s.r.o.")
    expect(page.locator("body")).to_contain_text("Poptávka: 40 ks oken")
    expect(page.locator("body")).to_contain_text("Jiří Dvořák")
    expect(page.locator("[data-contact-language]")).to_have_attribute("data-contact-language", "cs")
    screenshot("mail-triage-new-customer")

    page.get_by_role("link", name="Mail", exact=True).click()
    expect(page.locator("#triage")).to_contain_text("Nothing waits")
