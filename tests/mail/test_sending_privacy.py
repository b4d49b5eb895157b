"""E-mails written from the CRM are personal data: a person's erasure empties them (the row and
its Message-ID stay, so a mailbox sync still recognises the message)."""

import pytest

from core import personal_data
from mail import services
from mail.models import EmailMessage
from privacy import services as privacy_services
from tests.factories import ContactPersonFactory

pytestmark = pytest.mark.django_db


def test_email_messages_are_a_registered_personal_data_source():
    assert personal_data.is_covered(EmailMessage)


def test_erasing_a_contact_person_empties_the_emails_written_to_them(customer, sales_rep, manager):
    anna = ContactPersonFactory(customer=customer, first_name="Anna")
    other = ContactPersonFactory(customer=customer)
    written = services.email_send(
        customer=customer, to=[anna], subject="Your offer", body="Dear Anna", by=sales_rep
    )
    kept = services.email_send(
        customer=customer, to=[other], subject="Other", body="Hello", by=sales_rep
    )
    privacy_services.person_erase(customer=customer, contact=anna, reason="Asked", by=manager)
    written.refresh_from_db()
    assert (written.subject, written.body_text, written.to_addresses) == ("(erased)", "", [])
    assert written.message_id  # still dedupes
    kept.refresh_from_db()
    assert kept.body_text == "Hello"
