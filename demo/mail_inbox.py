"""A shared mailbox for the demo, with messages from unknown senders waiting in triage, so the
triage page shows what the mailbox sync leaves there. The mailbox is switched off (`make run`
has no mail server); connecting a real one is the manager's "Edit". Idempotent."""

from datetime import timedelta

from django.utils import timezone

from mail.crypto import encrypt
from mail.models import EmailMessage, Mailbox

ADDRESS = "sales@demo.example"
WAITING = [
    (
        "Jiří Dvořák",
        "jiri@dvorak-stavby.example",
        "Poptávka: 40 ks oken",
        "Dobrý den,\nposílám poptávku na 40 oken do novostavby v Brně.\nS pozdravem\nJiří Dvořák",
    ),
    (
        "Katarzyna Wiśniewska",
        "k.wisniewska@piekarnia-zlota.example",
        "Zapytanie o ofertę serwisu",
        "Dzień dobry,\nczy obsługują Państwo piece piekarnicze w Krakowie?\nPozdrawiam",
    ),
    (
        "Tom Baker",
        "tom@bakerandsons.example",
        "Quote for annual maintenance",
        "Hello,\ncould you send us a quote for annual maintenance of 12 machines?\nThanks, Tom",
    ),
]


def seed_mail_inbox() -> int:
    mailbox, _created = Mailbox.objects.get_or_create(
        address=ADDRESS,
        defaults={
            "name": "Sales (demo)",
            "kind": Mailbox.Kind.SHARED,
            "imap_host": "imap.demo.example",
            "imap_port": 993,
            "username": ADDRESS,
            "password_encrypted": encrypt("demo"),
            "is_active": False,
        },
    )
    now = timezone.now()
    added = 0
    for days, (name, sender, subject, body) in enumerate(WAITING, start=1):
        message_id = f"<demo.{days}@demo.example>"
        _message, created = EmailMessage.objects.get_or_create(
            message_id=message_id,
            defaults={
                "direction": EmailMessage.Direction.INBOUND,
                "status": EmailMessage.Status.TRIAGE,
                "mailbox": mailbox,
                "imap_uid": days,
                "thread_id": message_id,
                "from_name": name,
                "from_address": sender,
                "to_addresses": [ADDRESS],
                "subject": subject,
                "body_text": body,
                "occurred_at": now - timedelta(days=days, hours=days),
            },
        )
        added += created
    return added
