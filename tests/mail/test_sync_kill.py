"""A sync killed with SIGKILL mid-way loses nothing and files nothing twice when run again.

The sync runs in a process of its own (as a Celery worker would) against this test's database:
PostgreSQL's test database by name, or, on SQLite, a file copy of the in-memory test database
that is copied back afterwards."""

import os
import signal
import sqlite3
import subprocess
import time

import pytest
from django.db import connection

from mail.models import EmailMessage, Mailbox
from relationships.models import Interaction
from tests.factories import ContactPersonFactory
from tests.servers import PYTHON, ROOT

from .mailsync_helpers import connect_mailbox, raw_message

SYNC = """
import sys, django
django.setup()
from mail.services.sync import mailbox_sync
print(mailbox_sync(mailbox_id=int(sys.argv[1]), batch_size=int(sys.argv[2])))
"""
MESSAGES = 150
BATCH = 10


class Database:
    """The test database as a URL another process can open."""

    def __init__(self, folder):
        self.sqlite = connection.vendor == "sqlite"
        self.file = folder / "copy.sqlite3"
        if self.sqlite:
            target = sqlite3.connect(self.file)
            connection.ensure_connection()
            connection.connection.backup(target)
            target.close()
            self.url = f"sqlite:///{self.file}"
        else:
            s = connection.settings_dict
            auth = s["USER"] + (f":{s['PASSWORD']}" if s["PASSWORD"] else "")
            self.url = (
                f"postgres://{auth}@{s['HOST'] or '127.0.0.1'}:{s['PORT'] or 5432}/{s['NAME']}"
            )

    def last_uid(self, mailbox_pk) -> int:
        if self.sqlite:
            with sqlite3.connect(self.file, timeout=20) as db:
                return db.execute(
                    "SELECT last_uid FROM mail_mailbox WHERE id = ?", [mailbox_pk]
                ).fetchone()[0]
        return Mailbox.objects.values_list("last_uid", flat=True).get(pk=mailbox_pk)

    def sync(self, mailbox_pk) -> subprocess.Popen:
        env = {
            **os.environ,
            "DATABASE_URL": self.url,
            "DJANGO_SETTINGS_MODULE": "crm.settings.test",
        }
        return subprocess.Popen(
            [str(PYTHON), "-c", SYNC, str(mailbox_pk), str(BATCH)],
            cwd=ROOT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )

    def load_back(self):
        if self.sqlite:
            source = sqlite3.connect(self.file)
            source.backup(connection.connection)
            source.close()


@pytest.mark.django_db(transaction=True)
def test_a_sync_killed_mid_way_files_every_message_exactly_once_when_run_again(
    mail_server, tmp_path
):
    contact = ContactPersonFactory(email="anna@client.example")
    box = connect_mailbox(mail_server)
    client = mail_server.imap(box.address)
    for n in range(MESSAGES):
        sender = contact.email if n % 3 else f"stranger{n}@unknown.example"
        client.append("INBOX", raw_message(sender=sender, to=box.address, subject=f"#{n}"))
    client.logout()
    database = Database(tmp_path)

    worker = database.sync(box.pk)
    deadline = time.monotonic() + 120
    while database.last_uid(box.pk) < BATCH and time.monotonic() < deadline:
        assert worker.poll() is None, worker.communicate()
        time.sleep(0.01)
    worker.send_signal(signal.SIGKILL)
    worker.wait(10)
    killed_at = database.last_uid(box.pk)
    assert BATCH <= killed_at < MESSAGES, "the kill came after the sync had finished"

    again = database.sync(box.pk)
    _out, err = again.communicate(timeout=300)
    assert again.returncode == 0, err.decode()
    database.load_back()

    box.refresh_from_db()
    assert box.last_uid == MESSAGES
    subjects = sorted(EmailMessage.objects.values_list("subject", flat=True))
    assert subjects == sorted(f"#{n}" for n in range(MESSAGES))
    filed = EmailMessage.objects.filter(status=EmailMessage.Status.FILED)
    assert filed.count() == sum(1 for n in range(MESSAGES) if n % 3)
    assert Interaction.objects.count() == filed.count()
    assert EmailMessage.objects.filter(status=EmailMessage.Status.TRIAGE).count() == sum(
        1 for n in range(MESSAGES) if not n % 3
    )
