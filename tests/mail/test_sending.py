# ruff: noqa: RUF001  (Russian texts: Cyrillic letters on purpose)
"""Writing to a customer from the CRM, against the real mail server (tests/mailserver.py): the
e-mail arrives in the reader's language with its attachment and our Message-ID; a failure is
retried and shown; a message is never sent twice."""

import email
import socket
from datetime import timedelta
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from demo.mail_templates import seed_mail_templates
from mail import services
from mail.models import EmailMessage, MailTemplate
from relationships.models import Interaction
from tests.factories import (
    ContactPersonFactory,
    CustomerFactory,
    DocumentFactory,
    InvoiceFactory,
    ProcessDefinitionFactory,
)

pytestmark = pytest.mark.django_db


def spaces(text):
    """Numbers are grouped with no-break spaces in Polish, Czech and Russian."""
    return text.replace("\xa0", " ").replace("\u202f", " ")


def parse(raw):
    return email.message_from_bytes(raw, policy=email.policy.default)


def closed_port():
    """A port nothing listens on: connecting to it is refused at once."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def send_now(django_capture_on_commit_callbacks):
    """Run what the outbox publishes after the commit (eager Celery: the send task)."""

    def run(call, *args, **kwargs):
        with django_capture_on_commit_callbacks(execute=True):
            return call(*args, **kwargs)

    return run


def collection_case_for(customer, *, by):
    """A collection case on an overdue invoice of `customer`, as the collections job opens it."""
    from processes import services as process_services

    ProcessDefinitionFactory(kind="collections", name="Collections")
    invoice = InvoiceFactory(
        customer=customer,
        number="FV/2026/0042",
        amount=Decimal("1234.50"),
        currency="PLN",
        issue_date=timezone.localdate() - timedelta(days=40),
        due_date=timezone.localdate() - timedelta(days=20),
    )
    [case] = process_services.collection_cases_open_overdue(today=timezone.localdate())
    assert case.invoice == invoice
    return case.instance


EXPECTED = {
    # language: (subject, a sentence of the text, the balance as that language writes it)
    "en": ("Payment reminder: invoice FV/2026/0042", "still has", "1,234.50 PLN"),
    "pl": ("Przypomnienie o płatności: faktura FV/2026/0042", "ma jeszcze do zapłaty", "1 234,50"),
    "cs": ("Upomínka platby: faktura FV/2026/0042", "zbývá na faktuře", "1 234,50"),
    "ru": ("Напоминание об оплате: счёт FV/2026/0042", "осталось оплатить", "1 234,50"),
}


@pytest.mark.parametrize("language", ["en", "pl", "cs", "ru"])
def test_a_payment_reminder_from_a_template_arrives_in_the_readers_language(
    language, smtp_settings, persona_client, finance_clerk, manager, send_now, settings
):
    settings.MAIL_REPLY_TO = "sales@crm.example"
    server = smtp_settings
    seed_mail_templates()
    customer = CustomerFactory(owner=manager)
    # Opened first: the case's own reminder goes to the customer's address, not the reader's.
    instance = collection_case_for(customer, by=manager)
    reader = ContactPersonFactory(
        customer=customer, email=server.new_address("reader"), language=language, is_primary=True
    )
    document = DocumentFactory(customer=customer, title="Invoice copy")
    template = MailTemplate.objects.get(name="Payment reminder", language="en")
    client = persona_client(finance_clerk)
    url = reverse("mail:compose", args=[customer.pk])

    # The template, chosen by its name, is filled in the reader's language: the preview.
    filled = client.post(
        url,
        {"process": instance.pk, "to": [reader.pk], "template": template.name, "action": "fill"},
    )
    assert filled.status_code == 200
    subject, sentence, balance = EXPECTED[language]
    preview = filled.context["preview"]
    assert preview["language"] == language
    assert preview["subject"] == subject
    assert sentence in preview["body"] and balance in spaces(preview["body"])

    response = send_now(
        client.post,
        url,
        {
            "process": instance.pk,
            "to": [reader.pk],
            "subject": preview["subject"],
            "body": preview["body"],
            "attachments": [document.pk],
            "action": "send",
        },
    )
    assert response.status_code == 302

    message = EmailMessage.objects.get(customer=customer)
    assert message.status == EmailMessage.Status.SENT
    assert message.process_instance == instance
    assert message.attempts == 1
    [raw] = server.inbox(reader.email)
    received = parse(raw)
    # Encoded for 7-bit transport (RFC 2047); a long one is folded onto the next line, which the
    # parser gives back with the fold's leading space (mail clients drop it).
    raw_headers = raw.split(b"\r\n\r\n", 1)[0].replace(b"\r\n", b"\n").split(b"\n\n", 1)[0]
    assert raw_headers.isascii()
    assert received["Subject"].strip() == subject
    assert received["Message-ID"] == message.message_id
    assert message.message_id.endswith(f"@{settings.MAIL_MESSAGE_ID_DOMAIN}>")
    assert message.thread_id == message.message_id
    assert received["Reply-To"] == "sales@crm.example"
    body = received.get_body(preferencelist=("plain",)).get_content()
    assert sentence in body and balance in spaces(body)
    [attachment] = list(received.iter_attachments())
    assert attachment.get_filename() == "scan.pdf"
    assert attachment.get_content() == b"%PDF-1.4 test"
    # On the timeline: an outbound e-mail interaction, with its status.
    interaction = message.interaction
    assert interaction.channel == Interaction.Channel.EMAIL
    assert interaction.direction == Interaction.Direction.OUTBOUND
    assert interaction.outcome == "Sent"
    assert interaction.contact_person == reader


def test_free_text_with_a_new_upload_is_sent_and_the_file_kept_as_a_document(
    smtp_settings, persona_client, sales_rep, customer, send_now
):
    from django.core.files.uploadedfile import SimpleUploadedFile

    reader = ContactPersonFactory(customer=customer, email=smtp_settings.new_address("anna"))
    upload = SimpleUploadedFile("offer.txt", "Cena: 100 zł".encode(), content_type="text/plain")
    response = send_now(
        persona_client(sales_rep).post,
        reverse("mail:compose", args=[customer.pk]),
        {
            "to": [reader.pk],
            "subject": "Oferta",
            "body": "Dzień dobry,\nw załączeniu oferta.",
            "upload": upload,
            "action": "send",
        },
    )
    assert response.status_code == 302
    [document] = customer.documents.all()
    assert document.original_name == "offer.txt"
    [raw] = smtp_settings.inbox(reader.email)
    [attachment] = list(parse(raw).iter_attachments())
    assert attachment.get_content() == "Cena: 100 zł"


def test_an_upload_the_documents_refuse_sends_nothing(
    smtp_settings, persona_client, sales_rep, customer, send_now
):
    from django.core.files.uploadedfile import SimpleUploadedFile

    reader = ContactPersonFactory(customer=customer, email=smtp_settings.new_address("anna"))
    response = send_now(
        persona_client(sales_rep).post,
        reverse("mail:compose", args=[customer.pk]),
        {
            "to": [reader.pk],
            "subject": "Oferta",
            "body": "Tekst",
            "upload": SimpleUploadedFile("run.exe", b"MZ\x90\x00", content_type="text/plain"),
            "action": "send",
        },
    )
    assert response.status_code == 200
    assert "cannot be attached" in str(response.context["form"].errors["upload"])
    assert not EmailMessage.objects.exists() and not customer.documents.exists()
    assert smtp_settings.inbox(reader.email) == []


def test_a_failed_attempt_is_recorded_and_the_retry_sends_it_once(
    smtp_settings, customer, sales_rep, settings, django_capture_on_commit_callbacks
):
    reader = ContactPersonFactory(customer=customer, email=smtp_settings.new_address("retry"))
    with django_capture_on_commit_callbacks(execute=False):  # the task runs by hand below
        message = services.email_send(
            customer=customer, to=[reader], subject="Hello", body="Text", by=sales_rep
        )

    settings.EMAIL_PORT = closed_port()  # the server is away
    assert services.email_deliver(message_pk=message.pk) == services.Delivery.RETRY
    message.refresh_from_db()
    assert message.status == EmailMessage.Status.QUEUED
    assert message.attempts == 1 and message.last_error

    settings.EMAIL_PORT = smtp_settings.smtp_port  # and back
    assert services.email_deliver(message_pk=message.pk) == services.Delivery.SENT
    # The task delivered twice (at least once): the second run finds it sent.
    assert services.email_deliver(message_pk=message.pk) == services.Delivery.SKIPPED
    message.refresh_from_db()
    assert message.status == EmailMessage.Status.SENT and message.attempts == 2
    assert message.last_error == ""
    assert len(smtp_settings.inbox(reader.email)) == 1


def test_a_server_that_stops_answering_costs_an_attempt_not_the_worker(
    smtp_settings, customer, sales_rep, settings, django_capture_on_commit_callbacks
):
    """A server that takes the connection and never greets: the attempt ends after
    EMAIL_TIMEOUT (30 s unless configured; Django's own default waits for ever, holding the
    e-mail's row lock and the worker), to be tried again."""
    from crm.settings import base

    assert base.EMAIL_TIMEOUT == 30.0
    reader = ContactPersonFactory(customer=customer, email=smtp_settings.new_address("stall"))
    with django_capture_on_commit_callbacks(execute=False):
        message = services.email_send(
            customer=customer, to=[reader], subject="Hello", body="Text", by=sales_rep
        )
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen(1)  # the kernel completes the handshake; nobody ever speaks
        settings.EMAIL_PORT = silent.getsockname()[1]
        settings.EMAIL_TIMEOUT = 1
        assert services.email_deliver(message_pk=message.pk) == services.Delivery.RETRY
    message.refresh_from_db()
    assert message.status == EmailMessage.Status.QUEUED
    assert "timed out" in message.last_error


def test_an_email_failing_every_attempt_is_shown_failed_and_can_be_sent_again(
    smtp_settings, customer, sales_rep, persona_client, settings, send_now
):
    settings.MAIL_SEND_MAX_ATTEMPTS = 3
    reader = ContactPersonFactory(customer=customer, email=smtp_settings.new_address("fail"))
    settings.EMAIL_PORT = closed_port()
    message = send_now(
        services.email_send,
        customer=customer,
        to=[reader],
        subject="Quarterly review",
        body="Text",
        by=sales_rep,
    )
    message.refresh_from_db()
    assert message.status == EmailMessage.Status.FAILED
    assert message.attempts == 3
    assert message.interaction.outcome.startswith("Failed: ")

    client = persona_client(sales_rep)
    page = client.get(customer.get_absolute_url()).content.decode()
    assert f'id="email-failed-{message.pk}"' in page
    assert message.last_error in page.replace("&#x27;", "'")
    assert "Send again" in page

    settings.EMAIL_PORT = smtp_settings.smtp_port
    resend = reverse("mail:message_resend", args=[message.pk])
    assert send_now(client.post, resend).status_code == 302
    message.refresh_from_db()
    assert message.status == EmailMessage.Status.SENT
    assert message.interaction.outcome == "Sent"
    # Sent once: "Send again" on a sent e-mail is refused and sends nothing.
    send_now(client.post, resend)
    assert len(smtp_settings.inbox(reader.email)) == 1
    page = client.get(customer.get_absolute_url()).content.decode()
    assert f'id="email-failed-{message.pk}"' not in page


def test_a_reply_joins_the_thread_of_the_email_replied_to(
    smtp_settings, customer, sales_rep, send_now
):
    reader = ContactPersonFactory(customer=customer, email=smtp_settings.new_address("thread"))
    first = send_now(
        services.email_send, customer=customer, to=[reader], subject="A", body="1", by=sales_rep
    )
    reply = send_now(
        services.email_send,
        customer=customer,
        to=[reader],
        subject="Re: A",
        body="2",
        by=sales_rep,
        reply_to=first,
    )
    assert reply.thread_id == first.message_id
    assert reply.in_reply_to == first.message_id
    second = parse(smtp_settings.inbox(reader.email)[1])
    assert second["In-Reply-To"] == first.message_id


def test_nothing_is_queued_when_the_transaction_rolls_back(customer, sales_rep):
    from django.db import transaction

    from core.models import OutboxMessage

    reader = ContactPersonFactory(customer=customer)
    with pytest.raises(RuntimeError), transaction.atomic():
        services.email_send(customer=customer, to=[reader], subject="A", body="1", by=sales_rep)
        raise RuntimeError
    assert not EmailMessage.objects.exists()
    assert not Interaction.objects.filter(channel=Interaction.Channel.EMAIL).exists()
    assert not OutboxMessage.objects.filter(task="mail.tasks.send_email").exists()


def test_writing_about_a_ticket_fills_the_tickets_values(persona_client, service_agent, customer):
    from processes import services as process_services
    from tests.factories import SlaPolicyFactory

    seed_mail_templates()
    support = ProcessDefinitionFactory(name="Support", kind="support")
    SlaPolicyFactory(definition=support, priority="normal", resolution_hours=40)
    reader = ContactPersonFactory(customer=customer, language="pl", is_primary=True)
    ticket = process_services.ticket_open(
        definition=support,
        customer=customer,
        subject="Drukarka nie drukuje",
        description="Od rana.",
        priority="normal",
        by=service_agent,
        owner=service_agent,
    )
    template = MailTemplate.objects.get(name="Ticket update", language="en")
    response = persona_client(service_agent).post(
        reverse("mail:compose", args=[customer.pk]),
        {
            "process": ticket.instance.pk,
            "to": [reader.pk],
            "template": template.name,
            "action": "fill",
        },
    )
    assert response.status_code == 200
    preview = response.context["preview"]
    assert preview["subject"] == f"Twoje zgłoszenie nr {ticket.instance.pk}: Drukarka nie drukuje"
    assert "na etapie „New”" in preview["body"]
    # Only templates for a ticket or any customer are offered.
    offered = {name for name, _label in response.context["form"].fields["template"].choices}
    offered.discard("")  # free text
    assert offered == {"Ticket update", "Follow-up"}


def test_writing_about_another_customers_process_is_not_found(persona_client, sales_rep, customer):
    from processes import services as process_services

    sales = ProcessDefinitionFactory(name="Sales", kind="sales")
    other = CustomerFactory(owner=sales_rep)
    deal = process_services.instance_open(
        definition=sales, customer=other, title="Fleet", by=sales_rep
    )
    url = reverse("mail:compose", args=[customer.pk]) + f"?process={deal.pk}"
    assert persona_client(sales_rep).get(url).status_code == 404


def test_a_reply_to_an_inbound_email_is_addressed_to_its_sender(
    persona_client, sales_rep, customer
):
    anna = ContactPersonFactory(customer=customer, email="anna@acme.example")
    ContactPersonFactory(customer=customer, is_primary=True)
    inbound = EmailMessage.objects.create(
        direction=EmailMessage.Direction.INBOUND,
        status=EmailMessage.Status.FILED,
        customer=customer,
        contact_person=anna,
        message_id="<question@acme.example>",
        thread_id="<question@acme.example>",
        from_address="anna@acme.example",
        to_addresses=["sales@crm.example"],
        subject="A question",
        body_text="How much?",
    )
    response = persona_client(sales_rep).get(
        reverse("mail:compose", args=[customer.pk]) + f"?reply={inbound.pk}"
    )
    form = response.context["form"]
    assert form.initial["to"] == [anna]
    assert form.initial["subject"] == "Re: A question"
    page = persona_client(sales_rep).get(customer.get_absolute_url()).content.decode()
    assert 'data-thread="&lt;question@acme.example&gt;"' in page


def test_an_email_left_queued_by_a_lost_retry_is_queued_again_once(
    customer, sales_rep, settings, django_capture_on_commit_callbacks
):
    from core.models import OutboxMessage

    settings.MAIL_SEND_MAX_ATTEMPTS = 3
    settings.MAIL_SEND_RETRY_SECONDS = 60  # retries take 60 + 120 s, the sweep waits 15 min more
    reader = ContactPersonFactory(customer=customer)
    with django_capture_on_commit_callbacks(execute=False):
        message = services.email_send(
            customer=customer, to=[reader], subject="Hi", body="Text", by=sales_rep
        )
        recent = services.email_send(
            customer=customer, to=[reader], subject="New", body="Text", by=sales_rep
        )
    EmailMessage.objects.filter(pk=message.pk).update(
        occurred_at=timezone.now() - timedelta(minutes=20)
    )
    with django_capture_on_commit_callbacks(execute=False):
        assert services.emails_requeue_stale(now=timezone.now()) == 1
        assert services.emails_requeue_stale(now=timezone.now()) == 0
    queued = OutboxMessage.objects.filter(task="mail.tasks.send_email")
    assert sorted(m.args for m in queued) == sorted([[message.pk], [message.pk], [recent.pk]])
