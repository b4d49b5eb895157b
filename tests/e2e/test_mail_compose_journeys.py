"""Writing to a customer from the customer page, in a real browser, through the real mail
server: a template filled in the reader's language, previewed, sent, and shown on the page."""

import email
import re

import pytest
from playwright.sync_api import expect

from demo.mail_templates import seed_mail_templates
from mail.models import EmailMessage
from tests.factories import ContactPersonFactory, CustomerFactory, DocumentFactory

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_sales_rep_writes_from_the_customer_page_with_a_template(
    login, page, screenshot, sales_rep, smtp_settings
):
    seed_mail_templates()
    customer = CustomerFactory(owner=sales_rep, display_name="Dvořák Stavby s.r.o.", country="CZ")
    jana = ContactPersonFactory(
        customer=customer,
        first_name="Jana",
        last_name="Dvořáková",
        email=smtp_settings.new_address("jana"),
        language="cs",
        is_primary=True,
    )
    DocumentFactory(customer=customer, title="Nabídka 2026")

    login(sales_rep)
    page.goto(customer.get_absolute_url())
    emails = page.locator("#emails")
    expect(emails).to_contain_text("No e-mails yet.")
    emails.get_by_role("link", name="Write an e-mail").click()

    expect(page.get_by_role("heading", name=re.compile("Write an e-mail"))).to_be_visible()
    expect(page.get_by_label(re.compile("Jana Dvořáková"))).to_be_checked()
    # A template is chosen by name; the recipient's language (Czech) decides its version.
    page.get_by_label("Template").select_option(label="Follow-up (en, pl, cs, ru)")
    page.get_by_role("button", name="Fill from template").click()

    preview = page.locator("#email-preview")
    expect(preview).to_contain_text("Navazuji na náš rozhovor")
    expect(preview).to_contain_text("Dobrý den, Jana")
    expect(page.get_by_label("Subject")).to_have_value("Navazuji na náš rozhovor")
    expect(page.get_by_label("Language").locator("option:checked")).to_have_text("Čeština")
    page.get_by_label(re.compile("Nabídka 2026")).check()
    screenshot("mail-compose-preview")
    page.get_by_role("button", name="Send").click()

    expect(page.get_by_text(re.compile("is queued and goes out in a moment"))).to_be_visible()
    message = EmailMessage.objects.get(customer=customer)
    assert message.status == EmailMessage.Status.SENT
    emails = page.locator("#emails")
    expect(emails).to_contain_text("Navazuji na náš rozhovor")
    # The page was drawn after the eager send: the status reads "Sent" there and on the timeline.
    page.reload()
    expect(page.locator("#emails [data-email-status]")).to_have_text("Sent")
    expect(page.locator(".timeline")).to_contain_text("Navazuji na náš rozhovor — Sent")
    screenshot("mail-customer-page-after-send")

    [raw] = smtp_settings.inbox(jana.email)
    received = email.message_from_bytes(raw, policy=email.policy.default)
    assert received["Subject"] == "Navazuji na náš rozhovor"
    assert received["Message-ID"] == message.message_id
    assert [part.get_filename() for part in received.iter_attachments()] == ["scan.pdf"]


def test_a_failed_email_is_sent_again_from_the_timeline(
    login, page, screenshot, sales_rep, smtp_settings, settings
):
    import socket

    from mail import services

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        closed = probe.getsockname()[1]
    settings.MAIL_SEND_MAX_ATTEMPTS = 2
    customer = CustomerFactory(owner=sales_rep)
    anna = ContactPersonFactory(customer=customer, email=smtp_settings.new_address("anna"))
    settings.EMAIL_PORT = closed
    message = services.email_send(
        customer=customer, to=[anna], subject="Quarterly review", body="Text", by=sales_rep
    )
    message.refresh_from_db()
    assert message.status == EmailMessage.Status.FAILED

    login(sales_rep)
    page.goto(customer.get_absolute_url())
    failed = page.locator(f"#email-failed-{message.pk}")
    expect(failed).to_contain_text("E-mail not sent")
    expect(failed).to_contain_text("2 attempts")
    screenshot("mail-failed-on-timeline")
    settings.EMAIL_PORT = smtp_settings.smtp_port
    failed.get_by_role("button", name="Send again").click()
    expect(page.get_by_text("The e-mail is queued again.")).to_be_visible()
    page.reload()
    expect(page.locator(f"#email-failed-{message.pk}")).to_have_count(0)
    expect(page.locator("#emails [data-email-status]")).to_have_text("Sent")
    assert len(smtp_settings.inbox(anna.email)) == 1


def test_a_manager_adds_a_language_to_a_template_and_previews_it(login, page, screenshot, manager):
    seed_mail_templates()
    login(manager)
    page.get_by_role("button", name="Work").click()
    page.get_by_role("link", name="E-mail templates").click()
    expect(page.locator("#template-list")).to_contain_text("Payment reminder")
    screenshot("mail-template-list")
    page.goto("/email/templates/new/")
    page.locator("#id_name").fill("Welcome")
    page.locator("#id_purpose").select_option("invoice")
    page.locator("#id_language").select_option("pl")
    page.locator("#id_subject").fill("Faktura {{ invoice.number }}")
    page.locator("#id_body").fill("Do zapłaty: {{ invoice.balance }} do {{ invoice.owner }}")
    page.get_by_role("button", name="Preview").click()
    expect(page.locator("#template-form")).to_contain_text("Unknown variable {{ invoice.owner }}")
    page.locator("#id_body").fill("Do zapłaty: {{ invoice.balance }} do {{ invoice.due_on }}")
    page.get_by_role("button", name="Preview").click()
    expect(page.locator("#template-preview")).to_contain_text("Faktura FV/2026/0042")
    expect(page.locator("#template-variables")).to_contain_text("what is left to pay")
    screenshot("mail-template-preview")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_text(re.compile("The template “Welcome \\(pl\\)” is saved"))).to_be_visible()
