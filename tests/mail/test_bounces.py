"""Delivery status notifications (RFC 3464) arriving in the shared mailbox mark addresses."""

from email.message import EmailMessage as Mime

import pytest

from mail import hooks
from mail.models import EmailMessage, Mailbox, SuppressedAddress
from mail.services.parsing import parse
from mail.services.sync import mailbox_sync
from relationships.models import Interaction
from tests.factories import ContactPersonFactory, UserFactory

from .mailsync_helpers import connect_mailbox, message_id

pytestmark = pytest.mark.django_db


def dsn(*, recipient, status="5.1.1", action="failed", original_id, to, attached=None):
    """A delivery status notification as Postfix writes one (RFC 3464)."""
    original = attached or (
        "Content-Type: text/rfc822-headers\n\n"
        f"From: crm@our.example\nTo: {recipient}\nSubject: Your invoice\n"
        f"Message-ID: {original_id}\n"
    )
    return (
        "From: MAILER-DAEMON@mx.example (Mail Delivery System)\n"
        f"To: {to}\n"
        "Subject: Undelivered Mail Returned to Sender\n"
        f"Message-ID: {message_id()}\n"
        "MIME-Version: 1.0\n"
        'Content-Type: multipart/report; report-type=delivery-status; boundary="B"\n'
        "\n--B\n"
        "Content-Type: text/plain\n\n"
        f"Your message could not be delivered to <{recipient}>.\n"
        "\n--B\n"
        "Content-Type: message/delivery-status\n\n"
        "Reporting-MTA: dns; mx.example\n"
        "Arrival-Date: Sun, 6 Dec 2026 10:00:00 +0100\n"
        "\n"
        f"Final-Recipient: rfc822; {recipient}\n"
        f"Original-Recipient: rfc822;{recipient}\n"
        f"Action: {action}\n"
        f"Status: {status}\n"
        "Remote-MTA: dns; mx.client.example\n"
        f"Diagnostic-Code: smtp; 550 {status} <{recipient}>: Recipient address rejected:\n"
        " User unknown\n"
        "\n--B\n"
        f"{original}"
        "\n--B--\n"
    ).encode()


@pytest.fixture
def shared(mail_server):
    return connect_mailbox(mail_server)


@pytest.fixture
def heard():
    calls = []

    def handler(**kwargs):
        calls.append(kwargs)

    hooks.on_bounce(handler)
    yield calls
    hooks._bounce_handlers.remove(handler)


def test_a_hard_bounce_suppresses_the_address_fails_our_message_and_tells_the_handlers(
    mail_server, shared, heard
):
    contact = ContactPersonFactory(email="gone@client.example")
    ours = EmailMessage.objects.create(
        direction="outbound",
        status=EmailMessage.Status.SENT,
        customer=contact.customer,
        contact_person=contact,
        message_id="<invoice.9@crm.example>",
        thread_id="<invoice.9@crm.example>",
        from_address=shared.address,
        to_addresses=[contact.email],
        subject="Your invoice",
    )
    mail_server.deliver(
        shared.address,
        dsn(recipient="Gone@Client.example", original_id=ours.message_id, to=shared.address),
    )

    result = mailbox_sync(mailbox_id=shared.pk)

    suppressed = SuppressedAddress.objects.get()
    assert suppressed.address == "gone@client.example"
    assert suppressed.reason == SuppressedAddress.Reason.BOUNCE
    assert "5.1.1" in suppressed.diagnostic and "User unknown" in suppressed.diagnostic
    ours.refresh_from_db()
    assert ours.status == EmailMessage.Status.FAILED and "5.1.1" in ours.last_error
    assert heard == [
        {
            "address": "gone@client.example",
            "original_message_id": "<invoice.9@crm.example>",
            "diagnostic": suppressed.diagnostic,
        }
    ]
    # The report itself is on no timeline and in no triage.
    assert result.filed == result.triage == 0
    assert Interaction.objects.count() == 0
    assert not EmailMessage.objects.filter(status=EmailMessage.Status.TRIAGE).exists()


def test_a_second_bounce_counts_up_and_a_report_seen_twice_counts_once(mail_server, heard):
    first, second = connect_mailbox(mail_server), connect_mailbox(mail_server)
    report = dsn(recipient="gone@client.example", original_id="<x@crm.example>", to=first.address)
    mail_server.deliver(first.address, report)
    mail_server.deliver(second.address, report)
    mail_server.deliver(
        first.address,
        dsn(recipient="gone@client.example", original_id="<y@crm.example>", to=first.address),
    )

    mailbox_sync(mailbox_id=first.pk)
    mailbox_sync(mailbox_id=second.pk)

    assert SuppressedAddress.objects.get().bounces == 2
    assert len(heard) == 2


def test_a_soft_bounce_suppresses_nothing(mail_server, shared, heard):
    mail_server.deliver(
        shared.address,
        dsn(
            recipient="full@client.example",
            status="4.2.2",
            action="delayed",
            original_id="<z@crm.example>",
            to=shared.address,
        ),
    )
    mailbox_sync(mailbox_id=shared.pk)
    assert not SuppressedAddress.objects.exists()
    assert heard == []


def test_a_report_in_a_user_s_own_mailbox_is_theirs_not_a_suppression(mail_server):
    owner = UserFactory(email="ola@our.example")
    own = connect_mailbox(mail_server, kind=Mailbox.Kind.PERSONAL, owner=owner)
    mail_server.deliver(
        own.address, dsn(recipient="gone@client.example", original_id="<q@x>", to=own.address)
    )
    mailbox_sync(mailbox_id=own.pk)
    assert not SuppressedAddress.objects.exists()
    assert EmailMessage.objects.get().status == EmailMessage.Status.TRIAGE


def test_the_original_is_found_from_an_attached_message_too():
    attached = (
        "Content-Type: message/rfc822\n\n"
        "From: crm@our.example\nTo: gone@client.example\n"
        "Message-ID: <attached.1@crm.example>\nSubject: Hi\n\nHello\n"
    )
    report = dsn(recipient="gone@client.example", original_id="", to="x@y", attached=attached)

    bounce = parse(report).bounce

    assert bounce.original_message_id == "<attached.1@crm.example>"
    [(address, status, diagnostic)] = bounce.hard
    assert (address, status) == ("gone@client.example", "5.1.1")
    assert "User unknown" in diagnostic


def test_an_ordinary_message_is_no_bounce():
    plain = Mime()
    plain["From"] = "a@b.example"
    plain.set_content("Hi")
    assert parse(plain.as_bytes()).bounce is None
