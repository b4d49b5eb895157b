"""Mailbox passwords are stored encrypted, readable after a key rotation, never shown back."""

import pytest
from cryptography.fernet import Fernet

from mail import crypto
from mail.models import Mailbox
from mail.services.sync import _password, mailbox_save


def test_a_password_round_trips_and_is_not_stored_in_clear(settings):
    settings.MAIL_ENCRYPTION_KEYS = [Fernet.generate_key().decode()]
    token = crypto.encrypt("sekret-hasło")
    assert "sekret" not in token
    assert crypto.decrypt(token) == "sekret-hasło"


def test_without_keys_one_is_derived_from_the_secret_key(settings):
    settings.MAIL_ENCRYPTION_KEYS = []
    token = crypto.encrypt("pw")
    assert crypto.decrypt(token) == "pw"
    assert Fernet(crypto.derived_key(settings.SECRET_KEY)).decrypt(token.encode()) == b"pw"
    settings.SECRET_KEY = "another-secret-key-entirely-different-0123456789"
    with pytest.raises(crypto.UnreadablePassword):
        crypto.decrypt(token)


def test_a_new_first_key_encrypts_and_the_old_one_still_decrypts(settings):
    old, new = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    settings.MAIL_ENCRYPTION_KEYS = [old]
    token = crypto.encrypt("pw")
    settings.MAIL_ENCRYPTION_KEYS = [new, old]
    assert crypto.decrypt(token) == "pw"
    assert crypto.needs_rotation(token)
    rotated = crypto.rotate(token)
    assert not crypto.needs_rotation(rotated)
    settings.MAIL_ENCRYPTION_KEYS = [new]
    assert crypto.decrypt(rotated) == "pw"
    with pytest.raises(crypto.UnreadablePassword):
        crypto.decrypt(token)


@pytest.mark.django_db
def test_reading_a_mailbox_s_password_moves_it_to_the_first_key(settings):
    old, new = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    settings.MAIL_ENCRYPTION_KEYS = [old]
    mailbox = mailbox_save(
        mailbox=Mailbox(
            name="Sales", address="sales@our.example", imap_host="imap.example", username="sales"
        ),
        password="pw",
    )
    settings.MAIL_ENCRYPTION_KEYS = [new, old]

    assert _password(mailbox) == "pw"

    mailbox.refresh_from_db()
    settings.MAIL_ENCRYPTION_KEYS = [new]
    assert crypto.decrypt(mailbox.password_encrypted) == "pw"


def test_a_malformed_key_is_a_clear_configuration_error(settings):
    from django.core.exceptions import ImproperlyConfigured

    settings.MAIL_ENCRYPTION_KEYS = ["not-a-key"]
    with pytest.raises(ImproperlyConfigured, match="MAIL_ENCRYPTION_KEYS"):
        crypto.encrypt("pw")
