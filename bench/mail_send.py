#!/usr/bin/env python
"""Throughput and peak memory of sending a mailing to 10,000 consenting contact persons through
the real SMTP server of the tests (tests/mailserver.py: aiosmtpd relaying into Dovecot by LMTP).

    .venv/bin/python bench/mail_send.py --contacts 10000      (or: make bench-mail-send)

The database is DATABASE_URL (default: PostgreSQL crm_mailings_bench on 127.0.0.1, created when
missing), migrated first. A fresh process (so its peak RSS is its own) writes N customers in a
segment, one contact person each with consent to the purpose "newsletter" (bulk inserts), then
times the services the pages and the worker call: choosing the recipients (`mailing_send`) and
sending every batch (`mailing_send_batch`, the Celery task's body, called inline back to back:
the per-minute throttle is the setting's, not the machine's, so it is left out), which includes
logging each e-mail as an interaction. Each run uses its own segment and addresses.
Prints one JSON line: contacts, seconds per step, messages per second, peak RSS in MB.
"""

import argparse
import json
import os
import resource
import subprocess
import sys
import time
import uuid
from pathlib import Path
from urllib.parse import urlparse

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "crm.settings.base")
# Not debugging: with DEBUG Django keeps every statement it ran, which would count as memory.
os.environ["DEBUG"] = "false"
os.environ.setdefault("SECRET_KEY", "bench-mail-send-only")
os.environ.setdefault("ALLOWED_HOSTS", "localhost")
os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/crm_mailings_bench")
os.environ.setdefault("CELERY_BROKER_URL", "memory://")


def ensure_database(url: str) -> None:
    parts = urlparse(url)
    if parts.scheme not in ("postgres", "postgresql"):
        return
    import psycopg

    name = parts.path.lstrip("/")
    admin = parts._replace(path="/postgres").geturl()
    with psycopg.connect(admin, autocommit=True) as connection:
        exists = connection.execute(
            "SELECT 1 FROM pg_database WHERE datname = %s", [name]
        ).fetchone()
        if not exists:
            connection.execute(f'CREATE DATABASE "{name}"')


def child(contacts: int) -> None:
    import django

    django.setup()
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group
    from django.utils import timezone

    from core.permissions import SALES
    from customers.models import (
        ConsentEvent,
        ConsentPurpose,
        ConsentState,
        ContactPerson,
        Customer,
        Segment,
    )
    from mail.models import Mailing, MailingRecipient, MailTemplate
    from mail.services.mailings import mailing_send, mailing_send_batch
    from relationships.models import Relationship

    run = uuid.uuid4().hex[:8]
    user, _ = get_user_model().objects.get_or_create(username="bench_mailer")
    user.groups.add(Group.objects.get_or_create(name=SALES)[0])
    purpose, _ = ConsentPurpose.objects.get_or_create(
        code="newsletter", defaults={"name": "Newsletter", "wording": "Send me the newsletter."}
    )
    segment = Segment.objects.create(name=f"Bench {run}")
    today, now = timezone.localdate(), timezone.now()
    start = time.perf_counter()
    customers = Customer.objects.bulk_create(
        Customer(
            kind=Customer.Kind.ORGANISATION,
            display_name=f"Bench {run} {i}",
            source=Customer.Source.OTHER,
            first_contact_on=today,
            owner=user,
            created_by=user,
        )
        for i in range(contacts)
    )
    Relationship.objects.bulk_create(Relationship(customer=c, started_on=today) for c in customers)
    Segment.customers.through.objects.bulk_create(
        Segment.customers.through(segment=segment, customer=c) for c in customers
    )
    people = ContactPerson.objects.bulk_create(
        ContactPerson(
            customer=c,
            first_name="Anna",
            last_name=f"Nowak {i}",
            email=f"bench-{run}-{i}@example.test",
            language=("en", "pl", "cs", "ru")[i % 4],
        )
        for i, c in enumerate(customers)
    )
    events = ConsentEvent.objects.bulk_create(
        ConsentEvent(
            contact=p, purpose=purpose, given=True, at=now, source="form", recorded_by=user
        )
        for p in people
    )
    ConsentState.objects.bulk_create(
        ConsentState(contact=p, purpose=purpose, given=True, since=now, event=e)
        for p, e in zip(people, events, strict=True)
    )
    seeded = time.perf_counter() - start
    template, _ = MailTemplate.objects.get_or_create(
        name="Bench offer",
        language="en",
        defaults={
            "purpose": MailTemplate.Purpose.MAILING,
            "subject": "An offer for {{ customer.name }}",
            "body": "Dear {{ contact.first_name }},\n\nour offer.\n\n{{ sender.name }}\n",
        },
    )
    mailing = Mailing.objects.create(
        name=f"Bench {run}", purpose=purpose, template=template, segment=segment, created_by=user
    )
    del customers, people, events

    start = time.perf_counter()
    queued = mailing_send(mailing=mailing, by=user)
    chosen = time.perf_counter() - start
    start = time.perf_counter()
    batches = 0
    while mailing_send_batch(mailing_id=mailing.pk)["left"]:
        batches += 1
    batches += 1
    sending = time.perf_counter() - start
    sent = MailingRecipient.objects.filter(mailing=mailing, status="sent").count()
    assert sent == contacts == queued, (sent, contacts, queued)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(
        json.dumps(
            {
                "contacts": contacts,
                "rate_setting_per_batch": int(os.environ.get("MAIL_MAILING_RATE", 600)),
                "batches": batches,
                "seed_s": round(seeded, 1),
                "choose_recipients_s": round(chosen, 1),
                "send_s": round(sending, 1),
                "messages_per_s": round(sent / sending, 1),
                "peak_rss_mb": round(peak),
            }
        )
    )


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--contacts", type=int, default=10_000)
    parser.add_argument("--child", action="store_true")
    args = parser.parse_args()
    if args.child:
        child(args.contacts)
        return
    from tests.mailserver import MailServer, mail_server_available

    missing = mail_server_available()
    if missing:
        sys.exit(f"bench/mail_send.py needs the mail server: {missing} (make mailserver)")
    ensure_database(os.environ["DATABASE_URL"])
    python = sys.executable
    subprocess.run([python, "manage.py", "migrate", "-v", "0"], cwd=ROOT, check=True)
    with MailServer() as server:
        env = {**os.environ, "EMAIL_URL": server.smtp_url}
        command = [python, __file__, "--child", "--contacts", str(args.contacts)]
        subprocess.run(command, cwd=ROOT, check=True, env=env)


if __name__ == "__main__":
    main()
