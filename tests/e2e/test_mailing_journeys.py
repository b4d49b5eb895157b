"""A sales rep sends a mailing to a segment; the recipient unsubscribes through the link in the
message their IMAP inbox received."""

import email
from email import policy

from playwright.sync_api import expect

from customers.models import ConsentState
from mail.models import Mailing
from tests.factories import CustomerFactory, SegmentFactory, UserFactory
from tests.mail.test_mailings import consenting_contact, make_purpose, make_template


def test_a_mailing_is_sent_to_a_segment_and_its_recipient_unsubscribes(
    login, page, screenshot, live_server, settings, smtp_settings
):
    settings.SITE_URL = live_server.url  # the links in the e-mail lead to this server
    server = smtp_settings
    sales = UserFactory(username="sally_sales", roles=["sales"])
    purpose = make_purpose("newsletter")
    make_template(
        name="Spring offer",
        subject="Spring offer for {{ customer.name }}",
        body="Dear {{ contact.first_name }},\nour offer.\n\nUnsubscribe: {{ unsubscribe_url }}",
    )
    segment = SegmentFactory(name="Warsaw retail")
    customer = CustomerFactory(owner=sales, display_name="Kowalski Trade")
    customer.segments.add(segment)
    contact = consenting_contact(server, purpose=purpose, by=sales, customer=customer)
    silent = CustomerFactory(owner=sales, display_name="Nowak Ltd")
    silent.segments.add(segment)

    login(sales)
    page.goto("/mail/mailings/")
    page.get_by_role("link", name="New mailing").click()
    page.get_by_label("Name").fill("Spring 2026")
    page.get_by_label("Consent purpose").select_option(label="Newsletter")
    page.get_by_label("Template (its language is the default)").select_option(
        label="Spring offer (en)"
    )
    page.get_by_label("Segment").select_option(label="Warsaw retail")
    page.get_by_role("button", name="Save and preview").click()
    expect(page.locator("#preview")).to_contain_text("1 person will receive it.")
    screenshot("mailing-preview")

    page.get_by_role("button", name="Send now").click()
    expect(page.locator(".alert-success")).to_contain_text("being sent to 1 person")
    expect(page.locator("#mailing-status")).to_have_text("Sent")
    expect(page.locator("#recipients")).to_contain_text(contact.email)
    screenshot("mailing-report")
    assert Mailing.objects.get().recipients.get().status == "sent"

    # The recipient's mail program: the message from the IMAP inbox, and its link.
    [raw] = server.inbox(contact.email)
    message = email.message_from_bytes(raw, policy=policy.default)
    assert message["Subject"] == "Spring offer for Kowalski Trade"
    link = str(message["List-Unsubscribe"]).strip().strip("<>")
    assert link in message.get_content()

    page.context.clear_cookies()  # the recipient is not logged in
    page.goto(link)
    expect(page.get_by_role("heading", name="Unsubscribe")).to_be_visible()
    screenshot("mailing-unsubscribe")
    page.get_by_role("button", name="Unsubscribe").click()
    expect(page.get_by_role("heading")).to_have_text("You are unsubscribed.")
    screenshot("mailing-unsubscribed")
    assert not ConsentState.objects.get(contact=contact, purpose=purpose).given

    login(sales)
    page.goto(Mailing.objects.get().get_absolute_url())
    expect(page.locator("#recipients")).to_contain_text("Unsubscribed")
