#!/usr/bin/env python
"""Time and peak memory of syncing a mailbox of 10,000 messages from scratch.

    .venv/bin/python bench/mail_sync.py --messages 10000

A real Dovecot of the run's own (tests/mailserver.py) gets N messages delivered over LMTP into
one mailbox: half from known contact persons (of 1,000 customers), 30 % from unknown senders
(they go to triage) and 20 % replies to messages the CRM sent (threaded by In-Reply-To). Then a
fresh process (so its peak RSS is its own) runs the sync the beat task runs,
mail.services.sync.mailbox_sync, against DATABASE_URL (default: PostgreSQL crm_mail_sync on
127.0.0.1, created when missing and migrated). Every run uses addresses and Message-IDs of its
own, so runs never dedupe against each other. Prints one JSON line: messages, filed, triage,
seconds, messages per second, peak RSS in MB.
"""

import argparse
import json
import os
import resource
import smtplib
import subprocess
import sys
import time
import uuid
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "crm.settings.base")
# Not debugging: with DEBUG Django keeps every statement it ran, which would count as memory.
os.environ["DEBUG"] = "false"
os.environ.setdefault("SECRET_KEY", "bench-mail-sync-only")
os.environ.setdefault("ALLOWED_HOSTS", "localhost")
os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/crm_mail_sync")
os.environ.setdefault("CELERY_BROKER_URL", "memory://")

CUSTOMERS = 1000


def create_database_if_missing():
    url = os.environ["DATABASE_URL"]
    if not url.startswith("postgres"):
        return
    import psycopg

    parts = urlsplit(url)
    name = parts.path.lstrip("/")
    server = urlunsplit(parts._replace(path="/postgres", query=""))
    with psycopg.connect(server, autocommit=True) as admin:
        if not admin.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
            admin.execute(f'CREATE DATABASE "{name}"')


def prepare(server, messages: int) -> int:
    """Customers, contact persons, the CRM's own sent messages, the mailbox; N deliveries."""
    import django

    django.setup()
    from email.message import EmailMessage as Mime
    from email.utils import format_datetime

    from django.utils import timezone

    from customers.models import ContactPerson, Customer
    from mail.models import EmailMessage, Mailbox
    from mail.services.sync import mailbox_save

    run = uuid.uuid4().hex[:8]
    today = timezone.localdate()
    customers = Customer.objects.bulk_create(
        Customer(
            display_name=f"Bench {run} {i}",
            source=Customer.Source.OTHER,
            first_contact_on=today,
        )
        for i in range(CUSTOMERS)
    )
    contacts = ContactPerson.objects.bulk_create(
        ContactPerson(
            customer=customer,
            first_name="Anna",
            last_name=f"Nowak {i}",
            email=f"anna.{run}.{i}@client{i}.example",
        )
        for i, customer in enumerate(customers)
    )
    sent = EmailMessage.objects.bulk_create(
        EmailMessage(
            direction="outbound",
            status="sent",
            customer=contact.customer,
            contact_person=contact,
            message_id=f"<sent.{run}.{i}@crm.example>",
            thread_id=f"<sent.{run}.{i}@crm.example>",
            from_address="crm@our.example",
            to_addresses=[contact.email],
            subject=f"Offer {i}",
        )
        for i, contact in enumerate(contacts)
    )
    address = f"bench-{run}@example.test"
    mailbox = mailbox_save(
        mailbox=Mailbox(
            name=f"Bench {run}",
            address=address,
            imap_host="127.0.0.1",
            imap_port=server.imap_port,
            imap_ssl=False,
            username=address,
        ),
        password=server.password,
    )
    body = "Dzień dobry,\nproszę o ofertę na 40 sztuk.\n" * 8
    now = timezone.now()
    start = time.perf_counter()
    with smtplib.LMTP("127.0.0.1", server.lmtp_port, timeout=60) as lmtp:
        for n in range(messages):
            mime = Mime()
            kind = n % 10
            contact = contacts[n % CUSTOMERS]
            if kind < 5:
                mime["From"] = f"Anna Nowak <{contact.email}>"
                mime["Subject"] = f"Zamówienie {n}"
            elif kind < 8:
                mime["From"] = f"Stranger {n} <stranger.{run}.{n}@unknown{n % 300}.example>"
                mime["Subject"] = f"Zapytanie {n}"
            else:
                original = sent[n % CUSTOMERS]
                mime["From"] = f"Colleague <boss.{run}.{n}@client.example>"
                mime["Subject"] = f"Re: {original.subject}"
                mime["In-Reply-To"] = original.message_id
                mime["References"] = original.message_id
            mime["To"] = address
            mime["Date"] = format_datetime(now)
            mime["Message-ID"] = f"<m.{run}.{n}@example.test>"
            mime.set_content(body)
            lmtp.sendmail("sender@example.test", [address], mime.as_bytes())
    print(f"delivered {messages} messages in {time.perf_counter() - start:.1f}s", file=sys.stderr)
    return mailbox.pk


def child(mailbox_pk: int):
    import django

    django.setup()
    from mail.services.sync import mailbox_sync

    start = time.perf_counter()
    result = mailbox_sync(mailbox_id=mailbox_pk)
    seconds = time.perf_counter() - start
    assert not result.error, result.error
    total = result.filed + result.triage + result.skipped
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(
        json.dumps(
            {
                "messages": total,
                "filed": result.filed,
                "triage": result.triage,
                "batches": result.batches,
                "seconds": round(seconds, 1),
                "per_second": round(total / seconds),
                "peak_rss_mb": round(peak),
            }
        )
    )


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--messages", type=int, default=10_000)
    parser.add_argument("--child", type=int)
    args = parser.parse_args()
    if args.child:
        child(args.child)
        return
    from tests.mailserver import MailServer

    create_database_if_missing()
    python = sys.executable
    subprocess.run([python, "manage.py", "migrate", "-v", "0"], cwd=ROOT, check=True)
    with MailServer() as server:
        mailbox_pk = prepare(server, args.messages)
        subprocess.run([python, __file__, "--child", str(mailbox_pk)], cwd=ROOT, check=True)


if __name__ == "__main__":
    main()
