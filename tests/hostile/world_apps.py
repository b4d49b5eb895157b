"""The hostile world's records of the newer apps: mail, imports, integrations, privacy, and the
API token screens.

A shared mailbox points at a closed port of 127.0.0.1, so "Test connection" fails at once
(the test settings allow private hosts; nothing is reached); a mailing is a draft to edit and
send, another was sent so its recipient's signed unsubscribe link works; one import waits for
its mapping, one for review, one is done; a webhook subscription has a delivery; a web form
takes public posts with its token.
"""

from datetime import timedelta

from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from api.models import ApiToken
from api.services import token_create
from customers.models import ConsentPurpose, Customer
from customers.services import consent_record
from imports import services as import_services
from imports.models import ImportBatch
from integrations.models import WebForm, WebhookDelivery, WebhookSubscription
from mail import crypto
from mail.models import EmailMessage, Mailbox, Mailing, MailTemplate
from mail.services import sync
from mail.services.mailings import mailing_send
from tests.factories import ContactPersonFactory, CustomerFactory

# Nothing listens there: a connection attempt is refused at once.
CLOSED_PORT = 1
IMPORT_CSV = "Nazwa;NIP;Miasto\nAlfa;1234563218;Łódź\nBeta;1234563219;Kraków\n"


def import_file(name="klienci.csv"):
    return SimpleUploadedFile(name, IMPORT_CSV.encode(), content_type="text/csv")


def _message(n, **fields):
    message_id = f"<hostile-{n}@new.example>"
    defaults = {
        "direction": EmailMessage.Direction.INBOUND,
        "message_id": message_id,
        "thread_id": message_id,
        "from_address": f"sender{n}@new.example",
        "from_name": "Jan Kowalski",
        "to_addresses": ["sales@our.example"],
        "subject": f"Zapytanie {n}",
        "body_text": "Ile kosztuje?",
        "occurred_at": timezone.now() - timedelta(days=1),
    }
    return EmailMessage.objects.create(**{**defaults, **fields})


def build_app_world(world, *, manager, sales_rep):
    o = world.objects
    customer = o["customer"]

    # mail: templates, mailings, a mailbox and its messages
    o["mail_template"] = MailTemplate.objects.create(
        name="Hostile offer",
        language="en",
        purpose=MailTemplate.Purpose.MAILING,
        subject="Offer for {{ customer.name }}",
        body="Dear {{ contact.first_name }},\nour offer.\n",
    )
    MailTemplate.objects.create(
        name="Hostile hello",
        language="en",
        purpose=MailTemplate.Purpose.CUSTOMER,
        subject="Hello {{ customer.name }}",
        body="Dear {{ contact.first_name }},\nhello.\n",
    )
    purpose = ConsentPurpose.objects.get_or_create(
        code="newsletter", defaults={"name": "Newsletter", "wording": "Send me the newsletter."}
    )[0]
    consent_record(contact=o["contact"], purpose=purpose, given=True, source="form", by=manager)
    o["mailing"] = Mailing.objects.create(
        name="Hostile spring",
        purpose=purpose,
        template=o["mail_template"],
        segment=o["segment"],
        created_by=manager,
    )
    o["sent_mailing"] = Mailing.objects.create(
        name="Hostile winter",
        purpose=purpose,
        template=o["mail_template"],
        segment=o["segment"],
        created_by=manager,
    )
    mailing_send(mailing=o["sent_mailing"], by=manager)
    o["mailing_recipient"] = o["sent_mailing"].recipients.get()

    o["mailbox"] = Mailbox.objects.create(
        name="Hostile sales",
        address="sales@our.example",
        kind=Mailbox.Kind.SHARED,
        imap_host="127.0.0.1",
        imap_port=CLOSED_PORT,
        imap_ssl=False,
        username="sales@our.example",
        password_encrypted=crypto.encrypt("pw"),
    )
    o["triage_message"] = _message(
        1, status=EmailMessage.Status.TRIAGE, mailbox=o["mailbox"], imap_uid=1
    )
    o["filed_message"] = _message(
        2,
        status=EmailMessage.Status.FILED,
        mailbox=o["mailbox"],
        imap_uid=2,
        customer=customer,
        contact_person=o["contact"],
        from_address=o["contact"].email or "contact@hostile.example",
    )
    o["failed_message"] = _message(
        3,
        direction=EmailMessage.Direction.OUTBOUND,
        status=EmailMessage.Status.FAILED,
        customer=customer,
        contact_person=o["contact"],
        from_address="sales@our.example",
        to_addresses=[o["contact"].email or "contact@hostile.example"],
        sent_by=sales_rep,
        last_error="Connection refused",
    )
    o["other_message"] = _message(
        4,
        status=EmailMessage.Status.FILED,
        mailbox=o["mailbox"],
        imap_uid=4,
        customer=o["other_customer"],
        contact_person=o["other_contact"],
    )
    o["private_address"] = sync.private_address_add(owner=manager, pattern="boss@home.example")

    # imports: one waiting for its mapping, one for review, one done
    o["import_batch"] = import_services.batch_upload(
        uploaded=import_file(), kind="customers", by=manager, default_country="PL"
    )
    preview = import_services.batch_upload(
        uploaded=import_file(), kind="customers", by=manager, default_country="PL"
    )
    import_services.batch_map(batch=preview, mapping=preview.mapping, by=manager)
    import_services.batch_prepare(batch_id=preview.pk)
    o["import_preview"] = ImportBatch.objects.get(pk=preview.pk)
    assert o["import_preview"].status == ImportBatch.Status.PREVIEW, o["import_preview"].error
    done = import_services.batch_upload(
        uploaded=import_file("inni.csv"), kind="customers", by=manager, default_country="PL"
    )
    import_services.batch_map(batch=done, mapping=done.mapping, by=manager)
    import_services.batch_prepare(batch_id=done.pk)
    import_services.batch_start(batch=ImportBatch.objects.get(pk=done.pk), by=manager)
    import_services.batch_run(batch_id=done.pk)
    o["import_done"] = ImportBatch.objects.get(pk=done.pk)
    assert o["import_done"].status == ImportBatch.Status.DONE, o["import_done"].error
    # A saved mapping, so the mapping page offers "Apply the template".
    o["import_template"] = import_services.template_save(
        batch=o["import_done"], name="Hostile layout", by=manager
    )

    # integrations: a subscription with a delivery, a web form
    o["subscription"] = WebhookSubscription.objects.create(
        name="Hostile ERP",
        owner=manager,
        target_url=f"http://127.0.0.1:{CLOSED_PORT}/hooks/crm",
        events=["customer.created", "payment.received"],
    )
    now = timezone.now()
    o["delivery"] = WebhookDelivery.objects.create(
        subscription=o["subscription"],
        event="customer.created",
        event_key=f"customer.created:{customer.pk}",
        payload={"id": customer.pk, "name": customer.display_name},
        state=WebhookDelivery.State.FAILED,
        attempts=3,
        created_at=now,
        finished_at=now,
    )
    o["inactive_subscription"] = WebhookSubscription.objects.create(
        name="Hostile old CRM",
        owner=manager,
        target_url=f"http://127.0.0.1:{CLOSED_PORT}/old",
        events=["customer.created"],
        active=False,
    )
    o["inactive_webform"] = WebForm.objects.create(
        name="Hostile old form", slug="hostile-old", created_by=manager, active=False
    )
    o["webform"] = WebForm.objects.create(
        name="Hostile contact page",
        slug="hostile-contact",
        allowed_origin="https://www.example.com",
        created_by=manager,
    )

    # privacy: an individual customer (a person) to export and erase
    person = o["person_customer"] = CustomerFactory(
        kind=Customer.Kind.PERSON,
        display_name="Jan Hostile",
        email="jan@home.example",
        owner=sales_rep,
    )
    ContactPersonFactory(customer=person, first_name="Jan", last_name="Hostile")

    # the API token screens
    o["api_token"], _secret = token_create(
        user=manager, name="Hostile script", access=ApiToken.Access.READ
    )
    return world
