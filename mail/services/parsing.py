"""A raw message as the sync files it: decoded headers, addresses, the text (text/plain
preferred, HTML turned into text), attachments, and what a delivery status report says.

Only the standard library's `email` package with `policy.default`: it decodes RFC 2047 headers
and charsets, and a malformed header or part is read as well as it can be, never an exception
that would stop a mailbox's sync."""

import email
import hashlib
import html
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email import policy
from email.utils import getaddresses, parseaddr, parsedate_to_datetime
from html.parser import HTMLParser

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.utils import timezone

from ..models.messages import BODY_LIMIT

MESSAGE_ID_LIMIT = 255
EARLIEST = datetime(1970, 1, 2, tzinfo=UTC)
_MESSAGE_ID = re.compile(r"<[^<>\s]+>")


@dataclass
class Attachment:
    filename: str
    content_type: str
    content: bytes


@dataclass
class Parsed:
    message_id: str
    in_reply_to: str
    references: list[str]
    from_address: str
    from_name: str
    to_addresses: list[str]
    cc_addresses: list[str]
    subject: str
    body_text: str
    date: datetime
    attachments: list[Attachment] = field(default_factory=list)
    # A delivery status report (RFC 3464): the failed recipients and what the server said.
    bounce: "Bounce | None" = None

    @property
    def thread_references(self) -> list[str]:
        """The messages this one answers, nearest first."""
        found = [self.in_reply_to] if self.in_reply_to else []
        found += [ref for ref in reversed(self.references) if ref not in found]
        return found


@dataclass
class Bounce:
    recipients: list[tuple[str, str, str]]  # (address, status such as 5.1.1, diagnostic)
    original_message_id: str

    @property
    def hard(self) -> list[tuple[str, str, str]]:
        return [r for r in self.recipients if r[1].startswith("5")]


def _header(message, name) -> str:
    try:
        value = message.get(name)
    except (IndexError, ValueError, TypeError):  # a header the parser cannot make sense of
        raw = message.get_all(name, failobj=[None])[0] if hasattr(message, "get_all") else None
        value = str(raw) if raw is not None else ""
    return " ".join(str(value or "").split())


def _ids(text: str) -> list[str]:
    return [m for m in _MESSAGE_ID.findall(text or "") if len(m) <= MESSAGE_ID_LIMIT]


def _addresses(message, *names) -> list[str]:
    values = []
    for name in names:
        try:
            values += [str(v) for v in message.get_all(name, [])]
        except (IndexError, ValueError, TypeError):
            continue
    found = []
    for _name, address in getaddresses(values):
        address = address.strip().lower()
        if address not in found and _valid(address):
            found.append(address)
    return found


def _valid(address: str) -> bool:
    """Addresses as the models' EmailFields accept them (others cannot be stored or matched)."""
    try:
        validate_email(address)
    except ValidationError:
        return False
    return len(address) <= 254


def synthetic_message_id(message, text: str) -> str:
    """A stable id for a message without one: the same message read twice (in two mailboxes,
    whose servers add Received and Delivered-To headers of their own) gets the same id."""
    parts = [_header(message, name) for name in ("From", "To", "Cc", "Date", "Subject")]
    digest = hashlib.sha256("\n".join([*parts, text]).encode()).hexdigest()[:40]
    return f"<synthetic.{digest}@crm.invalid>"


class _Text(HTMLParser):
    """HTML to readable text: blocks become lines, scripts and styles are dropped."""

    BLOCKS = {"p", "div", "br", "tr", "li", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote"}
    SKIP = {"script", "style", "head", "title"}

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.parts, self.skipping = [], 0

    def handle_starttag(self, tag, attrs):
        if tag in self.SKIP:
            self.skipping += 1
        elif tag in self.BLOCKS:
            self.parts.append("\n")

    def handle_endtag(self, tag):
        if tag in self.SKIP:
            self.skipping = max(0, self.skipping - 1)
        elif tag in self.BLOCKS:
            self.parts.append("\n")

    def handle_data(self, data):
        if not self.skipping:
            self.parts.append(data)


def html_to_text(markup: str) -> str:
    parser = _Text()
    try:
        parser.feed(markup)
        parser.close()
    except (AssertionError, ValueError):
        return html.unescape(re.sub(r"<[^>]*>", " ", markup))
    lines = (" ".join(line.split()) for line in "".join(parser.parts).splitlines())
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()


def _content(part) -> str:
    try:
        content = part.get_content()
    except (LookupError, ValueError, AssertionError):  # an unknown charset, a broken encoding
        payload = part.get_payload(decode=True) or b""
        content = payload.decode("utf-8", errors="replace")
    return content if isinstance(content, str) else ""


def body_text(message) -> str:
    try:
        part = message.get_body(preferencelist=("plain", "html"))
    except (KeyError, ValueError):
        part = None
    if part is None:
        return ""
    text = _content(part)
    if part.get_content_subtype() == "html":
        text = html_to_text(text)
    return text.replace("\x00", "").strip()[:BODY_LIMIT]


def _date(message) -> datetime:
    """The Date header within what a timeline accepts (1970 to now); now when missing."""
    now = timezone.now()
    try:
        value = parsedate_to_datetime(_header(message, "Date"))
    except (TypeError, ValueError, IndexError):
        return now
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return min(max(value, EARLIEST), now)


def _attachments(message, max_bytes: int) -> list[Attachment]:
    found = []
    for part in message.iter_attachments():
        try:
            content = part.get_payload(decode=True)
        except (ValueError, AssertionError):
            continue
        if not content or len(content) > max_bytes or part.is_multipart():
            continue
        name = part.get_filename() or ""
        found.append(Attachment(name.strip()[:200], part.get_content_type(), content))
    return found


def _bounce(message) -> Bounce | None:
    """An RFC 3464 delivery status notification: multipart/report;
    report-type=delivery-status with a message/delivery-status part."""
    if message.get_content_type() != "multipart/report":
        return None
    if (message.get_param("report-type") or "").lower() != "delivery-status":
        return None
    recipients, original = [], ""
    for part in message.iter_parts():
        kind = part.get_content_type()
        if kind == "message/delivery-status":
            # Its payload is a list of header blocks: the per-message one, then one per recipient.
            for block in part.get_payload():
                address = _dsn_address(block.get("Final-Recipient") or "") or _dsn_address(
                    block.get("Original-Recipient") or ""
                )
                action = str(block.get("Action") or "").strip().lower()
                if not address or action not in ("failed", ""):
                    continue
                status = str(block.get("Status") or "").strip()[:20]
                diagnostic = " ".join(str(block.get("Diagnostic-Code") or "").split())
                recipients.append((address, status or "5.0.0", diagnostic[:500]))
        elif kind in ("message/rfc822", "text/rfc822-headers", "message/rfc822-headers"):
            original = original or _original_id(part)
    return Bounce(recipients, original)


def _dsn_address(value: str) -> str:
    # "rfc822; anna@example.com"
    _kind, _, address = str(value).partition(";")
    address = parseaddr(address.strip())[1].strip().lower()
    return address if "@" in address and len(address) <= 254 else ""


def _original_id(part) -> str:
    if part.get_content_type() == "message/rfc822":
        inner = part.get_payload()
        inner = inner[0] if isinstance(inner, list) and inner else inner
        ids = _ids(str(inner.get("Message-ID", ""))) if hasattr(inner, "get") else []
    else:
        headers = email.message_from_bytes(
            part.get_payload(decode=True) or str(part.get_payload()).encode(),
            policy=policy.default,
        )
        ids = _ids(str(headers.get("Message-ID", "")))
    return ids[0] if ids else ""


def parse(raw: bytes, *, attachment_max_bytes: int = 0) -> Parsed:
    message = email.message_from_bytes(raw, policy=policy.default)
    text = body_text(message)
    ids = _ids(_header(message, "Message-ID"))
    sender = _addresses(message, "From") or _addresses(message, "Sender")
    names = getaddresses([_header(message, "From")])
    return Parsed(
        message_id=ids[0] if ids else synthetic_message_id(message, text),
        in_reply_to=next(iter(_ids(_header(message, "In-Reply-To"))), ""),
        references=_ids(_header(message, "References"))[-50:],
        from_address=sender[0] if sender else "",
        from_name=(names[0][0].strip() if names else "")[:200],
        to_addresses=_addresses(message, "To")[:100],
        cc_addresses=_addresses(message, "Cc")[:100],
        subject=_header(message, "Subject")[:300],
        body_text=text,
        date=_date(message),
        attachments=_attachments(message, attachment_max_bytes) if attachment_max_bytes else [],
        bounce=_bounce(message),
    )
