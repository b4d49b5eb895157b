"""Mailings against the real mail server: consent decides who is mailed, throttled batches,
resuming without double sends, the timeline, first contacts, bounces, retention campaigns."""

import email
from datetime import timedelta
from email import policy

import pytest
from django.core.mail import EmailMessage
from django.utils import timezone

from core.models import OutboxMessage
from customers.models import ConsentPurpose
from customers.services import consent_record
from mail.hooks import bounce_handlers
from mail.models import Mailing, MailingRecipient, MailTemplate, SuppressedAddress
from mail.services.mailings import (
    CLAIM_LEASE,
    SEND_TASK,
    mailing_preview,
    mailing_send,
    mailing_send_batch,
    mailings_resume,
)
from processes.models import ProcessInstance
from processes.services import retention_campaign_start
from relationships.models import Interaction, Relationship
from tests.factories import (
    ContactPersonFactory,
    CustomerFactory,
    InteractionFactory,
    ProcessDefinitionFactory,
    SegmentFactory,
)

# --- Helpers the other mailing tests import -------------------------------------------------


def make_purpose(code="newsletter"):
    return ConsentPurpose.objects.get_or_create(
        code=code, defaults={"name": code.title(), "wording": f"Send me the {code}."}
    )[0]


def make_template(name="Spring offer", language="en", **fields):
    return MailTemplate.objects.create(
        name=name,
        language=language,
        purpose=fields.pop("purpose", MailTemplate.Purpose.MAILING),
        subject=fields.pop("subject", "Spring offer for {{ customer.name }}"),
        body=fields.pop("body", "Dear {{ contact.first_name }},\nour spring offer.\n"),
        **fields,
    )


def consenting_contact(server, *, purpose, by, customer=None, name="anna", **fields):
    """A contact person with an address of their own on the test server, consenting."""
    contact = ContactPersonFactory(
        customer=customer or CustomerFactory(owner=by),
        email=server.new_address(name) if server else f"{name}@acme.example",
        **fields,
    )
    consent_record(contact=contact, purpose=purpose, given=True, source="form", by=by)
    return contact


def make_mailing(*, by, purpose, template=None, segment=None, **fields):
    if not fields.get("customer_filter") and not fields.get("campaign"):
        segment = segment or SegmentFactory()
    return Mailing.objects.create(
        name=fields.pop("name", "Spring"),
        purpose=purpose,
        template=template or make_template(),
        segment=segment,
        created_by=by,
        **fields,
    )


def send_all(mailing, by, capture):
    """Send the mailing and run its batches until it is done (the drainer's work)."""
    with capture(execute=True):
        mailing_send(mailing=mailing, by=by)
    for _ in range(100):
        mailing.refresh_from_db()
        if mailing.status == Mailing.Status.SENT:
            return
        OutboxMessage.objects.filter(task=SEND_TASK).update(sent_at=timezone.now())
        mailing_send_batch(mailing_id=mailing.pk)
    raise AssertionError("the mailing never finished")


def received(server, address):
    return [email.message_from_bytes(raw, policy=policy.default) for raw in server.inbox(address)]


# --- Consent ------------------------------------------------------------------------------


def test_a_mailing_reaches_only_people_consenting_to_its_purpose(
    smtp_settings, sales_rep, django_capture_on_commit_callbacks
):
    server = smtp_settings
    newsletter, events = make_purpose("newsletter"), make_purpose("events")
    segment = SegmentFactory()
    customer = CustomerFactory(owner=sales_rep)
    customer.segments.add(segment)
    yes = consenting_contact(server, purpose=newsletter, by=sales_rep, customer=customer)
    never = ContactPersonFactory(customer=customer, email=server.new_address("never"))
    withdrawn = consenting_contact(
        server, purpose=newsletter, by=sales_rep, customer=customer, name="withdrawn"
    )
    consent_record(contact=withdrawn, purpose=newsletter, given=False, source="phone", by=sales_rep)
    other = consenting_contact(server, purpose=events, by=sales_rep, customer=customer, name="o")
    suppressed = consenting_contact(
        server, purpose=newsletter, by=sales_rep, customer=customer, name="bounced"
    )
    SuppressedAddress.objects.create(address=suppressed.email.upper())
    no_email = ContactPersonFactory(customer=customer, email="")
    consent_record(contact=no_email, purpose=newsletter, given=True, source="form", by=sales_rep)
    inactive = consenting_contact(
        server, purpose=newsletter, by=sales_rep, customer=customer, name="gone", is_active=False
    )
    outside = consenting_contact(server, purpose=newsletter, by=sales_rep, name="outside")
    mailing = make_mailing(by=sales_rep, purpose=newsletter, segment=segment)

    assert mailing_preview(mailing=mailing, by=sales_rep) == {
        "recipients": 1,
        "no_email": 1,
        "unsubscribed": 0,
        "no_consent": 3,
        "suppressed": 1,
        "excluded": 5,
    }
    send_all(mailing, sales_rep, django_capture_on_commit_callbacks)

    [message] = received(server, yes.email)
    assert message["Subject"] == f"Spring offer for {customer.display_name}"
    for person in (never, withdrawn, other, suppressed, inactive, outside):
        assert received(server, person.email) == []
    assert list(mailing.recipients.values_list("contact", "status")) == [(yes.pk, "sent")]
    mailing.refresh_from_db()
    assert mailing.excluded == {"no_email": 1, "unsubscribed": 0, "no_consent": 3, "suppressed": 1}


def test_each_recipient_gets_the_template_in_their_language_else_the_chosen_default(
    smtp_settings, sales_rep, django_capture_on_commit_callbacks
):
    server = smtp_settings
    purpose = make_purpose()
    default = make_template(language="en", subject="Hello", body="Hello {{ contact.first_name }}")
    make_template(language="pl", subject="Dzień dobry", body="Witaj {{ contact.first_name }}")
    mailing = make_mailing(by=sales_rep, purpose=purpose, template=default)
    polish = consenting_contact(server, purpose=purpose, by=sales_rep, language="pl", name="pl")
    czech = consenting_contact(server, purpose=purpose, by=sales_rep, language="cs", name="cs")
    for contact in (polish, czech):
        contact.customer.segments.add(mailing.segment)

    send_all(mailing, sales_rep, django_capture_on_commit_callbacks)

    [to_polish] = received(server, polish.email)
    assert to_polish["Subject"] == "Dzień dobry"
    assert to_polish.get_content().startswith("Witaj Anna")
    # No Czech version: the default one, with the unsubscribe footer in Czech's catalogue.
    [to_czech] = received(server, czech.email)
    assert to_czech["Subject"] == "Hello"
    assert to_czech.get_content().startswith("Hello Anna")


def test_every_message_has_its_own_message_id_and_one_click_unsubscribe_headers(
    smtp_settings, sales_rep, settings, django_capture_on_commit_callbacks
):
    server = smtp_settings
    purpose = make_purpose()
    mailing = make_mailing(by=sales_rep, purpose=purpose)
    contacts = [
        consenting_contact(server, purpose=purpose, by=sales_rep, name=f"p{i}") for i in range(2)
    ]
    for contact in contacts:
        contact.customer.segments.add(mailing.segment)

    send_all(mailing, sales_rep, django_capture_on_commit_callbacks)

    ids = set()
    for contact in contacts:
        [message] = received(server, contact.email)
        recipient = mailing.recipients.get(contact=contact)
        assert message["Message-ID"] == recipient.message_id
        ids.add(message["Message-ID"])
        link = str(message["List-Unsubscribe"]).strip()
        assert link.startswith(f"<{settings.SITE_URL}/mail/unsubscribe/{recipient.pk}:")
        assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
        assert link.strip("<>") in message.get_content()
    assert len(ids) == 2


# --- Throttling and resuming --------------------------------------------------------------


def test_a_mailing_is_sent_in_batches_at_the_rate_each_queuing_the_next_in_the_outbox(
    smtp_settings, sales_rep, settings, django_capture_on_commit_callbacks
):
    server = smtp_settings
    settings.MAIL_MAILING_RATE = 2
    purpose = make_purpose()
    mailing = make_mailing(by=sales_rep, purpose=purpose)
    contacts = [
        consenting_contact(server, purpose=purpose, by=sales_rep, name=f"b{i}") for i in range(5)
    ]
    for contact in contacts:
        contact.customer.segments.add(mailing.segment)

    with django_capture_on_commit_callbacks(execute=True):
        assert mailing_send(mailing=mailing, by=sales_rep) == 5
    # The first batch ran at once (eager Celery) and sent two; the next waits a minute.
    assert mailing.recipients.filter(status="sent").count() == 2
    [later] = OutboxMessage.objects.pending().filter(task=SEND_TASK)
    assert later.args == [mailing.pk]
    assert later.available_at > timezone.now() + timedelta(seconds=50)

    later.sent_at = timezone.now()
    later.save()
    assert mailing_send_batch(mailing_id=mailing.pk) == {"sent": 2, "failed": 0, "left": 1}
    OutboxMessage.objects.filter(task=SEND_TASK).update(sent_at=timezone.now())
    assert mailing_send_batch(mailing_id=mailing.pk) == {"sent": 1, "failed": 0, "left": 0}

    mailing.refresh_from_db()
    assert mailing.status == Mailing.Status.SENT
    assert not OutboxMessage.objects.pending().filter(task=SEND_TASK).exists()
    assert [len(server.inbox(c.email)) for c in contacts] == [1] * 5
    # A batch run once more (at-least-once delivery) finds nothing to do.
    assert mailing_send_batch(mailing_id=mailing.pk) == {"sent": 0, "failed": 0, "left": 0}
    assert [len(server.inbox(c.email)) for c in contacts] == [1] * 5


def test_an_interrupted_batch_resumes_without_sending_anyone_twice(
    smtp_settings, sales_rep, settings, django_capture_on_commit_callbacks
):
    server = smtp_settings
    purpose = make_purpose()
    mailing = make_mailing(by=sales_rep, purpose=purpose)
    contacts = [
        consenting_contact(server, purpose=purpose, by=sales_rep, name=f"r{i}") for i in range(4)
    ]
    for contact in contacts:
        contact.customer.segments.add(mailing.segment)
    # Queued, but the worker was killed: the batch had claimed all four, sent the first,
    # marked it, and was sending the second when it died.
    mailing_send(mailing=mailing, by=sales_rep)
    OutboxMessage.objects.update(sent_at=timezone.now())  # the killed worker had taken it
    first, second, _third, _fourth = mailing.recipients.order_by("id")
    long_ago = timezone.now() - CLAIM_LEASE - timedelta(minutes=1)
    mailing.recipients.update(claim="dead", claimed_at=long_ago)
    first.status, first.sent_at = "sent", long_ago
    first.save()
    MailingRecipient.objects.filter(pk=second.pk).update(attempted_at=long_ago)
    # The first really went out before the kill.
    EmailMessage("Spring", "x", "crm@example.test", [first.address]).send()

    # The beat notices the mailing has no batch queued nor running, and queues one.
    with django_capture_on_commit_callbacks(execute=True):
        assert mailings_resume() == 1

    mailing.refresh_from_db()
    assert mailing.status == Mailing.Status.SENT
    assert [len(server.inbox(c.email)) for c in contacts] == [1, 0, 1, 1]
    second.refresh_from_db()
    assert second.status == "failed" and "not sent again" in second.error
    # The one sent before the kill is on the timeline too (logged by the resumed batch).
    first.refresh_from_db()
    assert first.interaction.channel == Interaction.Channel.MAILING


def test_a_batch_claimed_by_a_running_worker_is_not_resumed(sales_rep):
    purpose = make_purpose()
    mailing = make_mailing(by=sales_rep, purpose=purpose)
    contact = consenting_contact(None, purpose=purpose, by=sales_rep)
    contact.customer.segments.add(mailing.segment)
    mailing_send(mailing=mailing, by=sales_rep)
    OutboxMessage.objects.update(sent_at=timezone.now())  # published, being worked on
    mailing.recipients.update(claim="alive", claimed_at=timezone.now())

    assert mailings_resume() == 0
    assert mailing_send_batch(mailing_id=mailing.pk)["sent"] == 0
    assert mailing.recipients.get().status == "queued"


def test_sending_again_mails_only_people_it_did_not_reach(
    smtp_settings, sales_rep, django_capture_on_commit_callbacks
):
    server = smtp_settings
    purpose = make_purpose()
    mailing = make_mailing(by=sales_rep, purpose=purpose)
    early = consenting_contact(server, purpose=purpose, by=sales_rep, name="early")
    early.customer.segments.add(mailing.segment)
    send_all(mailing, sales_rep, django_capture_on_commit_callbacks)
    late = consenting_contact(server, purpose=purpose, by=sales_rep, name="late")
    late.customer.segments.add(mailing.segment)

    send_all(mailing, sales_rep, django_capture_on_commit_callbacks)

    assert len(server.inbox(early.email)) == 1
    assert len(server.inbox(late.email)) == 1
    assert mailing.recipients.count() == 2


def test_a_mail_server_that_is_away_leaves_the_recipients_queued_for_the_next_batch(
    smtp_settings, sales_rep, settings, django_capture_on_commit_callbacks
):
    purpose = make_purpose()
    mailing = make_mailing(by=sales_rep, purpose=purpose)
    contact = consenting_contact(smtp_settings, purpose=purpose, by=sales_rep)
    contact.customer.segments.add(mailing.segment)
    settings.EMAIL_PORT = 1  # nothing listens there

    with django_capture_on_commit_callbacks(execute=True):
        mailing_send(mailing=mailing, by=sales_rep)

    recipient = mailing.recipients.get()
    assert (recipient.status, recipient.claim, recipient.attempted_at) == ("queued", "", None)
    assert OutboxMessage.objects.pending().filter(task=SEND_TASK).count() == 1


def test_a_message_that_cannot_be_sent_fails_its_recipient_only_with_the_reason(
    smtp_settings, sales_rep, django_capture_on_commit_callbacks
):
    purpose = make_purpose()
    mailing = make_mailing(by=sales_rep, purpose=purpose)
    good = consenting_contact(smtp_settings, purpose=purpose, by=sales_rep, name="good")
    bad = consenting_contact(smtp_settings, purpose=purpose, by=sales_rep, name="bad")
    for contact in (good, bad):
        contact.customer.segments.add(mailing.segment)
    # An address stored before the field checked it, which no message can be addressed to.
    type(bad).objects.filter(pk=bad.pk).update(email="bad\r\n@example.test")

    send_all(mailing, sales_rep, django_capture_on_commit_callbacks)

    statuses = dict(mailing.recipients.values_list("contact", "status"))
    assert statuses == {good.pk: "sent", bad.pk: "failed"}
    assert mailing.recipients.get(contact=bad).error
    assert len(smtp_settings.inbox(good.email)) == 1


# --- The timeline and first contacts ------------------------------------------------------


def test_each_sent_email_is_an_outbound_mailing_interaction_on_the_customers_timeline(
    smtp_settings, sales_rep, django_capture_on_commit_callbacks
):
    purpose = make_purpose()
    mailing = make_mailing(by=sales_rep, purpose=purpose, name="Autumn")
    customer = CustomerFactory(owner=sales_rep)
    customer.segments.add(mailing.segment)
    InteractionFactory(customer=customer, occurred_at=timezone.now() - timedelta(days=3))
    contacts = [
        consenting_contact(smtp_settings, purpose=purpose, by=sales_rep, customer=customer, name=n)
        for n in ("x", "y")
    ]

    send_all(mailing, sales_rep, django_capture_on_commit_callbacks)

    logged = Interaction.objects.filter(channel=Interaction.Channel.MAILING, customer=customer)
    assert logged.count() == 2
    assert {i.contact_person_id for i in logged} == {c.pk for c in contacts}
    for interaction in logged:
        assert interaction.direction == Interaction.Direction.OUTBOUND
        assert interaction.subject == "Mailing: Autumn"
        assert interaction.relationship == Relationship.objects.get(customer=customer)
        assert interaction.mailing_recipient.status == "sent"
        assert interaction.outcome == ""  # not their first contact
    customer.refresh_from_db()
    assert customer.last_contact_at == max(i.occurred_at for i in logged)


def test_a_prospect_with_no_contact_yet_gets_the_mailing_as_first_contact(
    smtp_settings, sales_rep, django_capture_on_commit_callbacks
):
    purpose = make_purpose()
    mailing = make_mailing(by=sales_rep, purpose=purpose)
    last_month = timezone.localdate() - timedelta(days=30)
    fresh = CustomerFactory(owner=sales_rep, first_contact_on=last_month)
    bare = CustomerFactory(owner=sales_rep, first_contact_on=last_month, relationship=False)
    known = CustomerFactory(owner=sales_rep, first_contact_on=last_month)
    InteractionFactory(customer=known, occurred_at=timezone.now() - timedelta(days=30))
    for customer in (fresh, bare, known):
        customer.segments.add(mailing.segment)
        consenting_contact(
            smtp_settings, purpose=purpose, by=sales_rep, customer=customer, name="p"
        )

    send_all(mailing, sales_rep, django_capture_on_commit_callbacks)

    today = timezone.localdate()
    for customer in (fresh, bare):
        customer.refresh_from_db()
        assert (customer.first_contact_on, customer.source) == (today, "mailing")
        [first] = customer.interactions.all()
        assert first.channel == Interaction.Channel.MAILING
        assert first.outcome == "First contact"
        relationship = Relationship.objects.get(customer=customer)
        assert relationship.started_on == today and relationship.is_open
        assert first.relationship == relationship
    known.refresh_from_db()
    assert (known.first_contact_on, known.source) == (last_month, "web_form")


# --- Bounces ------------------------------------------------------------------------------


def test_a_bounce_marks_the_recipient_whose_message_came_back(
    smtp_settings, sales_rep, django_capture_on_commit_callbacks
):
    purpose = make_purpose()
    mailing = make_mailing(by=sales_rep, purpose=purpose)
    gone = consenting_contact(smtp_settings, purpose=purpose, by=sales_rep, name="gone")
    fine = consenting_contact(smtp_settings, purpose=purpose, by=sales_rep, name="fine")
    for contact in (gone, fine):
        contact.customer.segments.add(mailing.segment)
    send_all(mailing, sales_rep, django_capture_on_commit_callbacks)
    [sent] = received(smtp_settings, gone.email)

    # What the mailbox sync does when a DSN names that message (with or without its brackets).
    for handler in bounce_handlers():
        handler(
            address=gone.email,
            original_message_id=sent["Message-ID"].strip("<>"),
            diagnostic="550 5.1.1 mailbox unavailable",
        )

    statuses = dict(mailing.recipients.values_list("contact", "status"))
    assert statuses == {gone.pk: "bounced", fine.pk: "sent"}
    assert mailing.recipients.get(contact=gone).error == "550 5.1.1 mailbox unavailable"


# --- Retention campaigns -------------------------------------------------------------------


@pytest.fixture
def retention(db):
    return ProcessDefinitionFactory(kind="retention", name="Win back")


def test_a_retention_campaign_sends_its_mailing_as_its_first_stage(
    smtp_settings, manager, retention, persona_client, django_capture_on_commit_callbacks
):
    purpose = make_purpose()
    segment = SegmentFactory()
    in_campaign = CustomerFactory(owner=manager, status="active")
    in_campaign.segments.add(segment)
    contact = consenting_contact(smtp_settings, purpose=purpose, by=manager, customer=in_campaign)
    campaign = retention_campaign_start(
        name="Win back 2026", definition=retention, segment=segment, by=manager
    )
    instance = ProcessInstance.objects.get(campaign=campaign)
    ProcessInstance.objects.filter(pk=instance.pk).update(
        last_activity_at=timezone.now() - timedelta(days=5)
    )
    # Consenting, in the segment, but the campaign started before they were in it.
    latecomer = CustomerFactory(owner=manager)
    latecomer.segments.add(segment)
    other = consenting_contact(smtp_settings, purpose=purpose, by=manager, customer=latecomer)
    mailing = make_mailing(by=manager, purpose=purpose, campaign=campaign)
    preview = persona_client(manager).get(mailing.get_absolute_url()).content.decode()
    assert "Retention campaign: Win back 2026" in preview
    assert "<strong>1</strong> person will receive it." in preview

    send_all(mailing, manager, django_capture_on_commit_callbacks)

    assert len(smtp_settings.inbox(contact.email)) == 1
    assert smtp_settings.inbox(other.email) == []
    recipient = mailing.recipients.get()
    assert recipient.process_instance == instance
    instance.refresh_from_db()
    assert instance.last_activity_at == recipient.sent_at


def test_a_withdrawal_or_a_bounce_while_the_mailing_is_queued_is_respected(
    smtp_settings, sales_rep, django_capture_on_commit_callbacks
):
    purpose = make_purpose()
    mailing = make_mailing(by=sales_rep, purpose=purpose)
    stays, leaves, bounces = (
        consenting_contact(smtp_settings, purpose=purpose, by=sales_rep, name=n)
        for n in ("stays", "leaves", "bounces")
    )
    for contact in (stays, leaves, bounces):
        contact.customer.segments.add(mailing.segment)
    mailing_send(mailing=mailing, by=sales_rep)  # queued; its batch runs later
    consent_record(contact=leaves, purpose=purpose, given=False, source="phone", by=sales_rep)
    SuppressedAddress.objects.create(address=bounces.email)

    mailing_send_batch(mailing_id=mailing.pk)

    statuses = dict(mailing.recipients.values_list("contact", "status"))
    assert statuses == {stays.pk: "sent", leaves.pk: "unsubscribed", bounces.pk: "failed"}
    assert [len(smtp_settings.inbox(c.email)) for c in (stays, leaves, bounces)] == [1, 0, 0]
