"""`load_demo` gives the triage page something to show: a switched-off shared mailbox (make run
has no mail server) with messages from unknown senders."""

from io import StringIO

import pytest
from django.core.management import call_command

from mail.models import EmailMessage, Mailbox

pytestmark = pytest.mark.django_db


def test_the_demo_has_a_switched_off_shared_mailbox_with_messages_in_triage(settings):
    settings.DEBUG = True
    call_command("load_demo", "--customers", "5", stdout=StringIO())
    call_command("load_demo", "--customers", "5", stdout=StringIO())

    mailbox = Mailbox.objects.get(address="sales@demo.example")
    assert mailbox.kind == Mailbox.Kind.SHARED and not mailbox.is_active
    waiting = EmailMessage.objects.filter(mailbox=mailbox, status=EmailMessage.Status.TRIAGE)
    assert waiting.count() == 3
