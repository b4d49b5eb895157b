"""Mailbox sync over IMAP: each message once, nothing lost when a worker dies mid-way.

The mailbox keeps its place as (UIDVALIDITY, last UID filed). A run opens the folder read-only
(EXAMINE, and BODY.PEEK: nobody's messages become "read"), lists the UIDs above the last one and
takes them in batches (MAIL_SYNC_BATCH). Each batch is one transaction that locks the mailbox
row (`select_for_update(skip_locked=True)`: a second worker on the same mailbox finds it taken
and leaves), re-reads the position, files the batch's messages and moves the position past them.
A worker killed mid-batch rolls the whole batch back and the next run files it again; the
Message-ID's unique constraint means a message also seen in another mailbox (or by a run that
raced this one) is filed once. A changed UIDVALIDITY (the folder was recreated) starts the
folder again from UID 1, and the Message-IDs keep what was filed from being filed twice.
An error (server away, wrong password) is written to the mailbox's `last_error` and the
position stays where it was.
"""

import contextlib
import logging
import socket
import ssl
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from imapclient import IMAPClient
from imapclient.exceptions import IMAPClientError

from core.integrity import save_or_raise_validation
from core.network import reaches_private_network

from .. import crypto
from ..models import EmailMessage, Mailbox, PrivateAddress, PrivateMessage
from .filing import Context, Lookups, message_file
from .parsing import parse

logger = logging.getLogger(__name__)

IMAP_PORT_SSL = 993


class PrivateHostRefused(OSError):
    """The IMAP host is, or now resolves to, a loopback or private address, and
    MAIL_ALLOW_PRIVATE_HOSTS is off: no connection is opened."""


def private_host_refused(host: str, port: int | None) -> bool:
    return not settings.MAIL_ALLOW_PRIVATE_HOSTS and reaches_private_network(
        host, port, default_port=IMAP_PORT_SSL
    )


IMAP_ERRORS = (IMAPClientError, OSError, socket.timeout, ssl.SSLError, crypto.UnreadablePassword)


@dataclass
class SyncResult:
    filed: int = 0
    triage: int = 0
    skipped: int = 0
    batches: int = 0
    error: str = ""
    busy: bool = False


def _password(mailbox: Mailbox) -> str:
    token = mailbox.password_encrypted
    password = crypto.decrypt(token)
    if crypto.needs_rotation(token):
        # A key rotation: the password moves to the first key as soon as it is read.
        Mailbox.objects.filter(pk=mailbox.pk, password_encrypted=token).update(
            password_encrypted=crypto.rotate(token)
        )
    return password


def connect(mailbox: Mailbox, *, password: str | None = None) -> IMAPClient:
    if private_host_refused(mailbox.imap_host, mailbox.imap_port):
        raise PrivateHostRefused(mailbox.imap_host)
    client = IMAPClient(
        mailbox.imap_host,
        port=mailbox.imap_port,
        ssl=mailbox.imap_ssl,
        timeout=settings.MAIL_IMAP_TIMEOUT,
    )
    try:
        client.login(mailbox.username, password if password is not None else _password(mailbox))
    except Exception:
        _logout(client)
        raise
    return client


def _logout(client) -> None:
    with contextlib.suppress(*IMAP_ERRORS):
        client.logout()


def mailbox_test_connection(*, mailbox: Mailbox, password: str | None = None) -> str:
    """'' when the CRM can log in and open the folder, else what went wrong."""
    try:
        client = connect(mailbox, password=password)
        try:
            client.select_folder(mailbox.folder, readonly=True)
        finally:
            _logout(client)
    except IMAP_ERRORS as error:
        return _describe(error)
    return ""


def _describe(error) -> str:
    if isinstance(error, crypto.UnreadablePassword):
        return _(
            "The stored password cannot be decrypted (MAIL_ENCRYPTION_KEYS changed): "
            "enter it again."
        )
    if isinstance(error, PrivateHostRefused):
        return _("The CRM does not connect to loopback or private network addresses.")
    text = error.args[0] if error.args else error
    if isinstance(text, bytes):
        text = text.decode(errors="replace")
    return f"{type(error).__name__}: {text}"[:500]


def _fetch(client, uids: list[int]) -> dict[int, bytes]:
    """The raw messages of `uids`, the big ones as headers only, read in groups of at most
    MAIL_SYNC_FETCH_BYTES so a batch of large messages never sits in memory at once."""
    sizes = client.fetch(uids, ["RFC822.SIZE"])
    limit = settings.MAIL_SYNC_MAX_MESSAGE_BYTES
    whole = [uid for uid in uids if uid in sizes and sizes[uid][b"RFC822.SIZE"] <= limit]
    headers_only = [uid for uid in uids if uid in sizes and uid not in whole]
    groups, group, group_bytes = [], [], 0
    for uid in whole:
        size = sizes[uid][b"RFC822.SIZE"]
        if group and group_bytes + size > settings.MAIL_SYNC_FETCH_BYTES:
            groups.append(group)
            group, group_bytes = [], 0
        group.append(uid)
        group_bytes += size
    if group:
        groups.append(group)
    found = {}
    for group in groups:
        for key, data in client.fetch(group, ["BODY.PEEK[]"]).items():
            found[key] = data[b"BODY[]"]
    if headers_only:
        for key, data in client.fetch(headers_only, ["BODY.PEEK[HEADER]"]).items():
            found[key] = data[b"BODY[HEADER]"]
    return found


def _parse(mailbox: Mailbox, uid: int, raw: bytes):
    """The parsed message, or None for one the parser cannot read at all: one broken message
    must not stop its mailbox's sync for good, so it is logged and left in the mailbox."""
    try:
        return parse(raw, attachment_max_bytes=settings.MAIL_SYNC_ATTACHMENT_MAX_BYTES)
    except Exception:
        logger.exception(
            "Mailbox %s: UID %s cannot be parsed; left in the mailbox", mailbox.pk, uid
        )
        return None


def _file_batch(client, mailbox: Mailbox, uids: list[int], context: Context, result) -> None:
    raw = _fetch(client, uids)
    parsed = {uid: _parse(mailbox, uid, raw[uid]) for uid in uids if uid in raw}
    result.skipped += sum(1 for message in parsed.values() if message is None)
    parsed = {uid: message for uid, message in parsed.items() if message is not None}
    ids = [p.message_id for p in parsed.values()]
    seen = set(EmailMessage.objects.filter(message_id__in=ids).values_list("message_id", flat=True))
    seen |= set(
        PrivateMessage.objects.filter(message_id__in=ids).values_list("message_id", flat=True)
    )
    lookups = Lookups.of(list(parsed.values()), context)
    for uid, message in parsed.items():
        if message.message_id in seen:
            result.skipped += 1
            continue
        seen.add(message.message_id)
        try:
            with transaction.atomic():
                filed = message_file(parsed=message, context=context, uid=uid, lookups=lookups)
        except IntegrityError:
            # Another mailbox's sync filed the same Message-ID a moment ago.
            result.skipped += 1
            continue
        except ValidationError as error:
            # A value no form would accept (the services' checks): logged, left in the mailbox.
            logger.warning("Mailbox %s: UID %s not filed: %s", mailbox.pk, uid, error)
            result.skipped += 1
            continue
        if filed is None or filed.status == EmailMessage.Status.DISMISSED:
            result.skipped += 1
        elif filed.status == EmailMessage.Status.FILED:
            result.filed += 1
        else:
            result.triage += 1


def mailbox_sync(*, mailbox_id: int, batch_size: int | None = None) -> SyncResult:
    """Sync one mailbox from where it stands; safe to run twice at once and to kill."""
    result = SyncResult()
    batch_size = batch_size or settings.MAIL_SYNC_BATCH
    mailbox = Mailbox.objects.select_related("owner").filter(pk=mailbox_id, is_active=True).first()
    if mailbox is None:
        return result
    try:
        client = connect(mailbox)
        try:
            _sync(client, mailbox, batch_size, result)
        finally:
            _logout(client)
    except IMAP_ERRORS as error:
        result.error = _describe(error)
        logger.warning("Mailbox %s: sync failed: %s", mailbox.pk, result.error)
        Mailbox.objects.filter(pk=mailbox.pk).update(last_error=result.error)
    return result


def _lock(mailbox_id: int) -> Mailbox | None:
    return Mailbox.objects.select_for_update(skip_locked=True).filter(pk=mailbox_id).first()


def _sync(client, mailbox: Mailbox, batch_size: int, result: SyncResult) -> None:
    folder = client.select_folder(mailbox.folder, readonly=True)
    uidvalidity = int(folder[b"UIDVALIDITY"])
    with transaction.atomic():
        locked = _lock(mailbox.pk)
        if locked is None:
            result.busy = True
            return
        if locked.uidvalidity != uidvalidity:
            if locked.uidvalidity is not None:
                logger.warning(
                    "Mailbox %s: UIDVALIDITY changed from %s to %s; reading the folder again",
                    mailbox.pk,
                    locked.uidvalidity,
                    uidvalidity,
                )
            locked.uidvalidity, locked.last_uid = uidvalidity, 0
            locked.save(update_fields=["uidvalidity", "last_uid"])
        start = locked.last_uid
    # "n:*" always answers the highest UID, even below n.
    uids = sorted(uid for uid in client.search(["UID", f"{start + 1}:*"]) if uid > start)
    context = Context.of(mailbox)
    for first in range(0, len(uids), batch_size):
        with transaction.atomic():
            locked = _lock(mailbox.pk)
            if locked is None or locked.uidvalidity != uidvalidity:
                result.busy = True
                return
            batch = [uid for uid in uids[first : first + batch_size] if uid > locked.last_uid]
            if not batch:
                continue
            _file_batch(client, mailbox, batch, context, result)
            locked.last_uid = batch[-1]
            locked.last_synced_at = timezone.now()
            locked.last_error = ""
            locked.save(update_fields=["last_uid", "last_synced_at", "last_error"])
            result.batches += 1
    if not uids:
        Mailbox.objects.filter(pk=mailbox.pk).update(last_synced_at=timezone.now(), last_error="")


def mailboxes_sync() -> dict[int, SyncResult]:
    """Every active mailbox, one after another (the beat task)."""
    return {
        pk: mailbox_sync(mailbox_id=pk)
        for pk in Mailbox.objects.filter(is_active=True).values_list("pk", flat=True)
    }


# Changing any of these points the mailbox at another folder: its UIDs mean nothing there.
WHERE_FIELDS = ("imap_host", "imap_port", "username", "folder")


@transaction.atomic
def mailbox_save(*, mailbox: Mailbox, password: str = "") -> Mailbox:
    """Create or change a mailbox; a new password is stored encrypted. Pointing it at another
    server, account or folder starts its sync from the beginning (Message-IDs keep what was
    filed from being filed twice)."""
    if password:
        mailbox.password_encrypted = crypto.encrypt(password)
    if mailbox.pk:
        stored = Mailbox.objects.select_for_update().get(pk=mailbox.pk)
        if any(getattr(stored, name) != getattr(mailbox, name) for name in WHERE_FIELDS):
            mailbox.uidvalidity, mailbox.last_uid = None, 0
        else:
            mailbox.uidvalidity, mailbox.last_uid = stored.uidvalidity, stored.last_uid
    mailbox.full_clean()
    save_or_raise_validation(mailbox)
    return mailbox


def private_address_add(*, owner, pattern: str) -> PrivateAddress:
    address = PrivateAddress(owner=owner, pattern=pattern)
    address.full_clean(validate_constraints=False)
    with transaction.atomic():
        address.validate_constraints()
        save_or_raise_validation(address)
    return address
