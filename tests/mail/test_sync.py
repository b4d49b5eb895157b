"""Mailbox sync against the real Dovecot (tests/mailserver.py): filing, threads, dedupe,
UIDVALIDITY, privacy, errors."""

import os

import pytest

from mail.models import EmailMessage, Mailbox, PrivateAddress, PrivateMessage
from mail.services.filing import message_make_private
from mail.services.sync import mailbox_save, mailbox_sync, mailbox_test_connection
from relationships.models import Interaction
from tests.factories import ContactPersonFactory, CustomerFactory, UserFactory

from .mailsync_helpers import connect_mailbox, message_id, raw_message

pytestmark = pytest.mark.django_db


@pytest.fixture
def shared(mail_server):
    return connect_mailbox(mail_server)


@pytest.fixture
def contact(db):
    return ContactPersonFactory(email="anna.nowak@client.example", first_name="Anna")


def test_a_message_from_a_contact_person_is_filed_on_its_customer_s_timeline(
    mail_server, shared, contact
):
    mail_server.deliver(
        shared.address,
        raw_message(
            sender="Anna Nowak <Anna.Nowak@Client.example>",
            to=shared.address,
            subject="=?utf-8?q?Zam=C3=B3wienie_nr_7?=",
            body="Proszę o fakturę.",
        ),
    )

    result = mailbox_sync(mailbox_id=shared.pk)

    assert (result.filed, result.triage, result.error) == (1, 0, "")
    message = EmailMessage.objects.get()
    assert message.status == EmailMessage.Status.FILED
    assert message.direction == EmailMessage.Direction.INBOUND
    assert (message.customer, message.contact_person) == (contact.customer, contact)
    interaction = message.interaction
    assert interaction.customer == contact.customer
    assert interaction.channel == Interaction.Channel.EMAIL
    assert interaction.direction == Interaction.Direction.INBOUND
    assert interaction.subject == "Zamówienie nr 7"
    assert "Proszę o fakturę." in interaction.notes
    contact.customer.refresh_from_db()
    assert contact.customer.last_contact_at == message.occurred_at


def test_an_html_only_message_is_filed_as_text(mail_server, shared, contact):
    from email.message import EmailMessage as Mime

    mime = Mime()
    mime["From"], mime["To"], mime["Subject"] = contact.email, shared.address, "Oferta"
    mime["Message-ID"] = message_id()
    mime.set_content(
        "<html><head><style>p{}</style></head><body><p>Cena:&nbsp;100&nbsp;zł</p>"
        "<script>alert(1)</script><div>Pozdrawiam</div></body></html>",
        subtype="html",
    )
    mail_server.deliver(shared.address, mime.as_bytes())

    mailbox_sync(mailbox_id=shared.pk)

    text = EmailMessage.objects.get().body_text
    assert "Cena: 100 zł" in text and "Pozdrawiam" in text
    assert "alert" not in text and "<" not in text


def test_a_reply_joins_the_thread_customer_and_process_of_the_message_the_crm_sent(
    mail_server, shared, contact
):
    ours = EmailMessage.objects.create(
        direction=EmailMessage.Direction.OUTBOUND,
        status=EmailMessage.Status.SENT,
        customer=contact.customer,
        contact_person=contact,
        message_id="<offer.1@crm.example>",
        thread_id="<offer.1@crm.example>",
        from_address=shared.address,
        to_addresses=[contact.email],
        subject="Offer",
    )
    # A colleague of the contact person answers: unknown address, known thread.
    mail_server.deliver(
        shared.address,
        raw_message(
            sender="boss@client.example",
            to=shared.address,
            subject="Re: Offer",
            in_reply_to="<offer.1@crm.example>",
        ),
    )

    mailbox_sync(mailbox_id=shared.pk)

    reply = EmailMessage.objects.exclude(pk=ours.pk).get()
    assert reply.status == EmailMessage.Status.FILED
    assert reply.customer == contact.customer
    assert reply.thread_id == ours.thread_id
    assert reply.in_reply_to == "<offer.1@crm.example>"
    assert reply.interaction.customer == contact.customer


def test_an_unknown_sender_waits_in_triage_and_nothing_is_on_a_timeline(mail_server, shared):
    mail_server.deliver(
        shared.address, raw_message(sender="Jan Kowalski <jan@new.example>", to=shared.address)
    )

    result = mailbox_sync(mailbox_id=shared.pk)

    assert (result.filed, result.triage) == (0, 1)
    message = EmailMessage.objects.get()
    assert message.status == EmailMessage.Status.TRIAGE
    assert message.customer is None and message.interaction is None
    assert (message.from_name, message.from_address) == ("Jan Kowalski", "jan@new.example")
    assert not Interaction.objects.exists()


def test_the_same_message_in_two_mailboxes_is_filed_once(mail_server, contact):
    first, second = connect_mailbox(mail_server), connect_mailbox(mail_server)
    raw = raw_message(sender=contact.email, to=f"{first.address}, {second.address}")
    mail_server.deliver(first.address, raw)
    mail_server.deliver(second.address, raw)

    assert mailbox_sync(mailbox_id=first.pk).filed == 1
    result = mailbox_sync(mailbox_id=second.pk)

    assert (result.filed, result.skipped) == (0, 1)
    assert EmailMessage.objects.count() == 1
    assert Interaction.objects.count() == 1


def test_a_second_run_files_nothing_twice_and_keeps_its_place_in_batches(
    mail_server, shared, contact
):
    for n in range(7):
        mail_server.deliver(
            shared.address, raw_message(sender=contact.email, to=shared.address, subject=f"#{n}")
        )

    assert mailbox_sync(mailbox_id=shared.pk, batch_size=3).batches == 3
    shared.refresh_from_db()
    assert shared.last_uid == 7 and shared.uidvalidity
    mail_server.deliver(
        shared.address, raw_message(sender=contact.email, to=shared.address, subject="#7")
    )
    again = mailbox_sync(mailbox_id=shared.pk, batch_size=3)

    assert (again.filed, again.skipped) == (1, 0)
    assert EmailMessage.objects.count() == Interaction.objects.count() == 8
    assert sorted(EmailMessage.objects.values_list("imap_uid", flat=True)) == list(range(1, 9))


def test_a_message_without_a_message_id_gets_a_stable_one_and_is_filed_once(mail_server, contact):
    first, second = connect_mailbox(mail_server), connect_mailbox(mail_server)
    raw = raw_message(sender=contact.email, to=first.address, message_id=False)
    mail_server.deliver(first.address, raw)
    mail_server.deliver(second.address, raw)

    mailbox_sync(mailbox_id=first.pk)
    mailbox_sync(mailbox_id=second.pk)

    [message] = EmailMessage.objects.all()
    assert message.message_id.startswith("<synthetic.")


def test_a_recreated_folder_new_uidvalidity_is_read_again_without_filing_twice(
    mail_server, contact
):
    address = mail_server.new_address("sales")
    client = mail_server.imap(address)
    client.create_folder("Customers")
    raws = [raw_message(sender=contact.email, to=address, subject=f"#{n}") for n in range(3)]
    for raw in raws:
        client.append("Customers", raw)
    box = connect_mailbox(mail_server, address=address, folder="Customers")
    assert mailbox_sync(mailbox_id=box.pk).filed == 3
    box.refresh_from_db()
    old_validity = box.uidvalidity

    client.delete_folder("Customers")
    client.create_folder("Customers")
    for raw in [*raws, raw_message(sender=contact.email, to=address, subject="#new")]:
        client.append("Customers", raw)
    client.logout()
    result = mailbox_sync(mailbox_id=box.pk)

    box.refresh_from_db()
    assert box.uidvalidity != old_validity
    assert (result.filed, result.skipped) == (1, 3)
    assert box.last_uid == 4
    assert EmailMessage.objects.count() == Interaction.objects.count() == 4


def test_a_wrong_password_is_recorded_on_the_mailbox_and_its_place_kept(mail_server, shared):
    mail_server.deliver(shared.address, raw_message(sender="x@y.example", to=shared.address))
    mailbox_save(mailbox=shared, password="not-the-password")

    result = mailbox_sync(mailbox_id=shared.pk)

    shared.refresh_from_db()
    assert "AUTHENTICATIONFAILED" in result.error or "LoginError" in result.error
    assert shared.last_error == result.error and shared.last_uid == 0
    assert not EmailMessage.objects.exists()
    assert mailbox_test_connection(mailbox=shared)
    mailbox_save(mailbox=shared, password=mail_server.password)
    assert mailbox_test_connection(mailbox=shared) == ""
    mailbox_sync(mailbox_id=shared.pk)
    shared.refresh_from_db()
    assert shared.last_error == "" and EmailMessage.objects.count() == 1


def test_the_sync_leaves_messages_unread_in_the_mailbox(mail_server, shared):
    mail_server.deliver(shared.address, raw_message(sender="x@y.example", to=shared.address))
    mailbox_sync(mailbox_id=shared.pk)
    client = mail_server.imap(shared.address)
    client.select_folder("INBOX", readonly=True)
    assert client.search(["UNSEEN"]) == [1]
    client.logout()


def test_an_inactive_mailbox_is_not_synced(mail_server, shared):
    mail_server.deliver(shared.address, raw_message(sender="x@y.example", to=shared.address))
    Mailbox.objects.filter(pk=shared.pk).update(is_active=False)
    mailbox_sync(mailbox_id=shared.pk)
    assert not EmailMessage.objects.exists()


# --- A user's own mailbox: privacy ------------------------------------------------------


@pytest.fixture
def owner(db):
    return UserFactory(username="ola", email="ola@our.example")


@pytest.fixture
def own(mail_server, owner):
    return connect_mailbox(
        mail_server, address=mail_server.new_address("ola"), kind=Mailbox.Kind.PERSONAL, owner=owner
    )


def test_in_one_s_own_mailbox_messages_with_contact_persons_are_filed_both_ways(
    mail_server, own, owner, contact
):
    mail_server.deliver(own.address, raw_message(sender=contact.email, to=own.address))
    mail_server.deliver(
        own.address, raw_message(sender=f"Ola <{own.address}>", to=contact.email, subject="Answer")
    )

    mailbox_sync(mailbox_id=own.pk)

    inbound, outbound = EmailMessage.objects.order_by("imap_uid")
    assert inbound.direction == "inbound" and outbound.direction == "outbound"
    assert inbound.customer == outbound.customer == contact.customer
    assert outbound.contact_person == contact
    assert outbound.interaction.direction == Interaction.Direction.OUTBOUND
    assert outbound.interaction.created_by == owner


def test_private_addresses_and_domains_of_one_s_own_mailbox_are_never_stored(
    mail_server, own, owner, contact
):
    PrivateAddress.objects.create(owner=owner, pattern="@family.example")
    PrivateAddress.objects.create(owner=owner, pattern="doctor@clinic.example")
    for sender in ("mum@family.example", "doctor@clinic.example"):
        mail_server.deliver(own.address, raw_message(sender=sender, to=own.address))
    # A private person copied on a message with a contact person keeps it private too.
    mail_server.deliver(
        own.address, raw_message(sender=contact.email, to=own.address, cc="dad@family.example")
    )

    result = mailbox_sync(mailbox_id=own.pk)

    assert (result.filed, result.triage, result.skipped) == (0, 0, 3)
    assert not EmailMessage.objects.exists()
    own.refresh_from_db()
    assert own.last_uid == 3


def test_a_message_made_private_leaves_only_its_id_and_is_never_filed_again(
    mail_server, own, owner, contact
):
    original = raw_message(sender=contact.email, to=own.address, message_id="<p1@client.example>")
    mail_server.deliver(own.address, original)
    mailbox_sync(mailbox_id=own.pk)
    message = EmailMessage.objects.get()
    interaction_pk = message.interaction_id

    message_make_private(message=message, by=owner)

    assert not EmailMessage.objects.exists()
    assert not Interaction.objects.filter(pk=interaction_pk).exists()
    assert PrivateMessage.objects.get().message_id == "<p1@client.example>"
    # Seen again (another mailbox) and answered: neither is filed.
    shared = connect_mailbox(mail_server)
    mail_server.deliver(shared.address, original)
    mail_server.deliver(
        shared.address,
        raw_message(sender=contact.email, to=shared.address, in_reply_to="<p1@client.example>"),
    )
    result = mailbox_sync(mailbox_id=shared.pk)
    assert (result.filed, result.triage) == (0, 0)
    assert not EmailMessage.objects.exists()
    assert PrivateMessage.objects.count() == 2


def test_a_message_in_the_shared_mailbox_naming_a_user_s_private_address_is_still_filed(
    mail_server, shared, owner, contact
):
    """Private addresses are the owner's choice for their own mailbox; what customers write to
    the shared mailbox is the company's."""
    PrivateAddress.objects.create(owner=owner, pattern=contact.email)
    mail_server.deliver(shared.address, raw_message(sender=contact.email, to=shared.address))
    assert mailbox_sync(mailbox_id=shared.pk).filed == 1


def test_a_customer_known_only_by_its_own_e_mail_gets_the_message(mail_server, shared):
    person = CustomerFactory(kind="person", email="jan@private.example")
    mail_server.deliver(
        shared.address, raw_message(sender="jan@private.example", to=shared.address)
    )
    mailbox_sync(mailbox_id=shared.pk)
    message = EmailMessage.objects.get()
    assert (message.customer, message.contact_person) == (person, None)


# --- The beat task -----------------------------------------------------------------------


def test_the_scheduled_sync_does_nothing_unless_enabled(mail_server, shared, contact, settings):
    from mail.tasks import sync_mailboxes

    mail_server.deliver(shared.address, raw_message(sender=contact.email, to=shared.address))
    settings.MAIL_SYNC_ENABLED = False
    assert sync_mailboxes() == 0
    assert not EmailMessage.objects.exists()


def test_the_scheduled_sync_queues_one_sync_per_active_mailbox_through_the_outbox(
    mail_server, shared, contact, settings, django_capture_on_commit_callbacks
):
    from core.models import OutboxMessage
    from mail.tasks import sync_mailboxes

    mail_server.deliver(shared.address, raw_message(sender=contact.email, to=shared.address))
    switched_off = connect_mailbox(mail_server)
    Mailbox.objects.filter(pk=switched_off.pk).update(is_active=False)
    settings.MAIL_SYNC_ENABLED = True

    with django_capture_on_commit_callbacks(execute=True):
        assert sync_mailboxes() == 1
    # A second beat while the first is still queued or just ran queues nothing more.
    with django_capture_on_commit_callbacks(execute=True):
        assert sync_mailboxes() == 0

    assert OutboxMessage.objects.filter(task="mail.tasks.sync_mailbox").count() == 1
    assert EmailMessage.objects.get().status == EmailMessage.Status.FILED


def test_a_message_with_unusable_addresses_is_still_filed_and_does_not_stop_the_sync(
    mail_server, shared, contact
):
    mail_server.deliver(
        shared.address,
        b"From: not an address\r\nTo: also@@broken\r\nSubject: =?x-unknown?q?abc?=\r\n"
        b"Content-Type: text/plain; charset=x-unknown\r\n\r\nbody\r\n",
    )
    mail_server.deliver(shared.address, raw_message(sender=contact.email, to=shared.address))

    result = mailbox_sync(mailbox_id=shared.pk)

    assert (result.filed, result.triage, result.error) == (1, 1, "")
    broken = EmailMessage.objects.get(status=EmailMessage.Status.TRIAGE)
    assert broken.from_address == "unknown@unknown.invalid" and broken.to_addresses == []
    shared.refresh_from_db()
    assert shared.last_uid == 2


def test_attachments_of_a_filed_message_become_its_customer_s_documents_and_go_when_private(
    mail_server, shared, contact, settings, tmp_path, django_capture_on_commit_callbacks
):
    from email.message import EmailMessage as Mime

    settings.MEDIA_ROOT = tmp_path
    mime = Mime()
    mime["From"], mime["To"], mime["Subject"] = contact.email, shared.address, "Signed contract"
    mime["Message-ID"] = message_id()
    mime.set_content("Attached.")
    mime.add_attachment(
        b"%PDF-1.7 contract", maintype="application", subtype="pdf", filename="umowa.pdf"
    )
    mime.add_attachment(
        b"MZ\x90\x00binary", maintype="application", subtype="octet-stream", filename="run.exe"
    )
    mail_server.deliver(shared.address, mime.as_bytes())

    mailbox_sync(mailbox_id=shared.pk)

    message = EmailMessage.objects.get()
    [document] = message.attachments.all()
    assert (document.customer, document.original_name) == (contact.customer, "umowa.pdf")
    assert document.file.read() == b"%PDF-1.7 contract"
    stored = document.file.path

    with django_capture_on_commit_callbacks(execute=True):
        message_make_private(message=message, by=None)

    assert not contact.customer.documents.exists()
    assert not os.path.exists(stored)
