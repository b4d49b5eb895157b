"""Mailbox passwords, encrypted at rest (Fernet: AES-128-CBC with an HMAC-SHA256, from
`cryptography`).

MAIL_ENCRYPTION_KEYS lists Fernet keys (urlsafe base64 of 32 bytes, `Fernet.generate_key()`):
the first encrypts, every one decrypts, so a key is rotated by putting a new one first (each
mailbox's password is re-encrypted with it the next time a sync reads it, see
mail.services.sync) and dropping the old one once every mailbox has synced. Unset, one key is
derived from SECRET_KEY with HKDF, so a development checkout works with no setting, and a
changed SECRET_KEY makes the stored passwords unreadable (the mailboxes then say so and ask for
the password again).
"""

import base64

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

# Not a secret: it keeps this key apart from anything else ever derived from SECRET_KEY.
HKDF_INFO = b"crm.mail.mailbox-passwords.v1"


class UnreadablePassword(Exception):
    """The stored password was encrypted with a key no longer in MAIL_ENCRYPTION_KEYS."""


def derived_key(secret: str) -> bytes:
    raw = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=HKDF_INFO).derive(
        secret.encode()
    )
    return base64.urlsafe_b64encode(raw)


def _keys() -> list[bytes]:
    keys = list(getattr(settings, "MAIL_ENCRYPTION_KEYS", None) or [])
    if not keys:
        return [derived_key(settings.SECRET_KEY)]
    return [key.encode() if isinstance(key, str) else key for key in keys]


def _fernet() -> MultiFernet:
    try:
        return MultiFernet([Fernet(key) for key in _keys()])
    except ValueError as error:
        raise ImproperlyConfigured(
            "MAIL_ENCRYPTION_KEYS: each key is 32 url-safe base64-encoded bytes "
            "(python -c 'from cryptography.fernet import Fernet; print(Fernet.generate_key())')."
        ) from error


def encrypt(password: str) -> str:
    return _fernet().encrypt(password.encode()).decode()


def decrypt(token: str) -> str:
    try:
        return _fernet().decrypt(token.encode()).decode()
    except InvalidToken as error:
        raise UnreadablePassword from error


def needs_rotation(token: str) -> bool:
    """Whether `token` was encrypted with another key than the first one."""
    try:
        Fernet(_keys()[0]).decrypt(token.encode())
    except InvalidToken:
        return True
    return False


def rotate(token: str) -> str:
    """The same password, encrypted with the first key (UnreadablePassword when no key reads it)."""
    try:
        return _fernet().rotate(token.encode()).decode()
    except InvalidToken as error:
        raise UnreadablePassword from error
