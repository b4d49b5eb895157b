"""A mailbox's IMAP host cannot point the CRM's server at the loopback or a private network
(server-side request forgery) unless MAIL_ALLOW_PRIVATE_HOSTS says so."""

import socket

import pytest
from django.test import override_settings

from mail.mailbox_forms import MailboxForm
from mail.models import Mailbox
from mail.services.sync import mailbox_test_connection

pytestmark = pytest.mark.django_db


def _form(host, port=993):
    return MailboxForm(
        data={
            "name": "Mine",
            "address": "me@example.com",
            "imap_host": host,
            "imap_port": port,
            "imap_ssl": "on",
            "username": "me",
            "password": "secret",
            "folder": "INBOX",
            "is_active": "on",
        }
    )


@override_settings(MAIL_ALLOW_PRIVATE_HOSTS=False)
@pytest.mark.parametrize(
    "host", ["127.0.0.1", "localhost", "imap.localhost", "10.1.2.3", "192.168.0.10", "::1"]
)
def test_a_loopback_or_private_host_is_refused_beside_the_field(host):
    form = _form(host)
    assert not form.is_valid()
    assert form.errors["imap_host"] == [
        "The CRM does not connect to loopback or private network addresses."
    ]


@override_settings(MAIL_ALLOW_PRIVATE_HOSTS=False)
def test_a_public_address_is_accepted():
    form = _form("8.8.8.8")
    assert form.is_valid(), form.errors


@override_settings(MAIL_ALLOW_PRIVATE_HOSTS=True)
def test_private_hosts_are_accepted_when_the_setting_allows_them():
    assert _form("127.0.0.1").is_valid()


@override_settings(MAIL_ALLOW_PRIVATE_HOSTS=False)
def test_a_stored_mailbox_now_on_a_private_address_is_not_connected_to(monkeypatch):
    """A host saved while allowed (or a name that resolves elsewhere later) is checked again
    right before connecting: no socket is opened, the reason is given."""
    opened = []

    def refuse_any_connection(*args, **kwargs):
        opened.append(args)
        raise AssertionError("no connection may be opened")

    monkeypatch.setattr(socket, "create_connection", refuse_any_connection)
    mailbox = Mailbox(
        name="Old", address="old@example.com", imap_host="127.0.0.1", imap_port=143, imap_ssl=False
    )
    error = mailbox_test_connection(mailbox=mailbox, password="x")
    assert error == "The CRM does not connect to loopback or private network addresses."
    assert opened == []
