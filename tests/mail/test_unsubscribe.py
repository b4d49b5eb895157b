"""The unsubscribe link: signed, one click, no log-in; it withdraws the consent to the mailing's
purpose, which the next mailing respects."""

import re

import pytest
from django.core.exceptions import ValidationError
from django.test import Client

from customers.models import ConsentEvent, ConsentState
from mail.services.mailings import mailing_preview, mailing_send, unsubscribe_token
from tests.mail.test_mailings import (
    consenting_contact,
    make_mailing,
    make_purpose,
    make_template,
    received,
    send_all,
)


def _sent_to_one(server, by, capture, **contact_fields):
    purpose = make_purpose()
    mailing = make_mailing(by=by, purpose=purpose)
    contact = consenting_contact(server, purpose=purpose, by=by, **contact_fields)
    contact.customer.segments.add(mailing.segment)
    send_all(mailing, by, capture)
    return mailing, contact


def _link_in(message) -> str:
    """The unsubscribe link's path, as the received message's List-Unsubscribe header has it."""
    header = str(message["List-Unsubscribe"]).strip().strip("<>")
    return re.sub(r"^https?://[^/]+", "", header)


def test_the_link_in_the_received_message_unsubscribes_with_one_click_and_no_login(
    smtp_settings, sales_rep, django_capture_on_commit_callbacks
):
    mailing, contact = _sent_to_one(smtp_settings, sales_rep, django_capture_on_commit_callbacks)
    [message] = received(smtp_settings, contact.email)
    anonymous = Client(enforce_csrf_checks=True)
    path = _link_in(message)

    page = anonymous.get(path)
    assert page.status_code == 200
    assert contact.email in page.content.decode()
    # Looking at the page (as a link scanner would) changes nothing.
    assert ConsentState.objects.get(contact=contact, purpose=mailing.purpose).given

    done = anonymous.post(path)
    assert done.status_code == 200
    assert "You are unsubscribed." in done.content.decode()
    state = ConsentState.objects.get(contact=contact, purpose=mailing.purpose)
    assert not state.given
    assert (state.event.source, state.event.by_person, state.event.recorded_by) == (
        ConsentEvent.Source.UNSUBSCRIBE,
        True,
        None,
    )
    assert mailing.recipients.get().status == "unsubscribed"
    # The consent history keeps both: given, then withdrawn through the link.
    history = list(
        ConsentEvent.objects.filter(contact=contact)
        .order_by("at", "id")
        .values_list("given", "source")
    )
    assert history == [(True, "form"), (False, "unsubscribe")]
    # A second click withdraws nothing more.
    anonymous.post(path)
    assert ConsentEvent.objects.filter(contact=contact).count() == 2


def test_a_mail_programs_one_click_post_unsubscribes(
    smtp_settings, sales_rep, django_capture_on_commit_callbacks
):
    mailing, contact = _sent_to_one(smtp_settings, sales_rep, django_capture_on_commit_callbacks)
    [message] = received(smtp_settings, contact.email)

    answer = Client(enforce_csrf_checks=True).post(
        _link_in(message), {"List-Unsubscribe": "One-Click"}
    )

    assert answer.status_code == 200
    assert answer["Content-Type"].startswith("text/plain")
    assert not ConsentState.objects.get(contact=contact, purpose=mailing.purpose).given


def test_a_forged_or_altered_link_is_refused(sales_rep, client):
    purpose = make_purpose()
    mailing = make_mailing(by=sales_rep, purpose=purpose)
    contact = consenting_contact(None, purpose=purpose, by=sales_rep)
    contact.customer.segments.add(mailing.segment)
    mailing_send(mailing=mailing, by=sales_rep)
    recipient = mailing.recipients.get()
    token = unsubscribe_token(recipient)
    other_pk = f"{recipient.pk + 1}:{token.partition(':')[2]}"

    for forged in (f"{recipient.pk}:forged", other_pk, str(recipient.pk), token[:-1] + "x"):
        assert client.get(f"/mail/unsubscribe/{forged}/").status_code == 404
        assert client.post(f"/mail/unsubscribe/{forged}/").status_code == 404
    assert ConsentState.objects.get(contact=contact, purpose=purpose).given
    assert recipient.status == "queued"


def test_the_unsubscribe_pages_speak_the_recipients_language(
    smtp_settings, sales_rep, django_capture_on_commit_callbacks
):
    _mailing, contact = _sent_to_one(
        smtp_settings, sales_rep, django_capture_on_commit_callbacks, language="pl"
    )
    [message] = received(smtp_settings, contact.email)

    page = Client().get(_link_in(message))

    assert page.status_code == 200
    assert '<html lang="pl"' in page.content.decode()


def test_the_next_mailing_skips_who_unsubscribed(
    smtp_settings, sales_rep, django_capture_on_commit_callbacks
):
    first, contact = _sent_to_one(smtp_settings, sales_rep, django_capture_on_commit_callbacks)
    [message] = received(smtp_settings, contact.email)
    Client().post(_link_in(message))
    second = make_mailing(
        by=sales_rep,
        purpose=first.purpose,
        segment=first.segment,
        template=make_template(name="Summer"),
    )

    assert mailing_preview(mailing=second, by=sales_rep)["unsubscribed"] == 1
    assert mailing_preview(mailing=second, by=sales_rep)["recipients"] == 0
    with pytest.raises(ValidationError):
        mailing_send(mailing=second, by=sales_rep)
    assert second.recipients.count() == 0
    assert len(received(smtp_settings, contact.email)) == 1
