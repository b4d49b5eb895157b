"""Messages and mailboxes for the mailbox sync's tests, against the real Dovecot."""

import uuid
from email.message import EmailMessage as MimeMessage
from email.utils import format_datetime, make_msgid

from django.utils import timezone

from mail.models import Mailbox
from mail.services.sync import mailbox_save


def raw_message(
    *,
    sender,
    to,
    subject="Hello",
    body="Dzień dobry",
    message_id=None,
    in_reply_to=None,
    references=None,
    date=None,
    html=None,
    cc=None,
) -> bytes:
    message = MimeMessage()
    message["From"] = sender
    message["To"] = to
    if cc:
        message["Cc"] = cc
    message["Subject"] = subject
    message["Date"] = format_datetime(date or timezone.now())
    if message_id is not False:
        message["Message-ID"] = message_id or make_msgid(domain="example.test")
    if in_reply_to:
        message["In-Reply-To"] = in_reply_to
        message["References"] = references or in_reply_to
    if html is not None:
        message.set_content(body)
        message.add_alternative(html, subtype="html")
    else:
        message.set_content(body)
    return message.as_bytes()


def message_id() -> str:
    return f"<{uuid.uuid4().hex}@example.test>"


def connect_mailbox(server, *, address=None, kind=Mailbox.Kind.SHARED, owner=None, folder="INBOX"):
    address = address or server.new_address("sales")
    return mailbox_save(
        mailbox=Mailbox(
            name=address.partition("@")[0],
            address=address,
            kind=kind,
            owner=owner,
            imap_host="127.0.0.1",
            imap_port=server.imap_port,
            imap_ssl=False,
            username=address,
            folder=folder,
        ),
        password=server.password,
    )
