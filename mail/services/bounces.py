"""Delivery status notifications (RFC 3464) arriving in a shared mailbox: the failed recipient
is suppressed (hard bounces, status 5.x.x), our original message marked failed, and every
`mail.hooks.bounce_handlers()` handler told (a mailing marks its recipient). The report itself is
not filed on a timeline: a dismissed row keeps its Message-ID so it is handled once."""

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from ..hooks import bounce_handlers
from ..models import EmailMessage, SuppressedAddress
from .parsing import Parsed


def address_suppress(*, address: str, diagnostic: str = "", at=None) -> SuppressedAddress:
    """Record a hard bounce of `address` (lowercased); a second one counts up."""
    address = address.strip().lower()
    at = at or timezone.now()
    with transaction.atomic():
        suppressed, created = SuppressedAddress.objects.select_for_update().get_or_create(
            address=address,
            defaults={"diagnostic": diagnostic[:500], "first_at": at, "last_at": at},
        )
        if not created:
            SuppressedAddress.objects.filter(pk=suppressed.pk).update(
                bounces=F("bounces") + 1, last_at=at, diagnostic=diagnostic[:500]
            )
            suppressed.refresh_from_db()
    return suppressed


@transaction.atomic
def bounce_record(*, parsed: Parsed, mailbox) -> EmailMessage:
    """Handle one delivery status notification; the caller checked it is not handled yet."""
    original_id = parsed.bounce.original_message_id or parsed.in_reply_to
    original = (
        EmailMessage.objects.filter(message_id=original_id, direction="outbound").first()
        if original_id
        else None
    )
    for address, status, diagnostic in parsed.bounce.hard:
        reason = f"{status} {diagnostic}".strip()
        address_suppress(address=address, diagnostic=reason, at=parsed.date)
        if original is not None and original.status in (
            EmailMessage.Status.QUEUED,
            EmailMessage.Status.SENT,
        ):
            original.status = EmailMessage.Status.FAILED
            original.last_error = reason[:500]
            original.save(update_fields=["status", "last_error"])
        for handler in bounce_handlers():
            handler(address=address, original_message_id=original_id, diagnostic=reason)
    return EmailMessage.objects.create(
        direction=EmailMessage.Direction.INBOUND,
        status=EmailMessage.Status.DISMISSED,
        mailbox=mailbox,
        message_id=parsed.message_id,
        thread_id=parsed.message_id,
        in_reply_to=parsed.in_reply_to,
        from_address=parsed.from_address or "mailer-daemon@unknown.invalid",
        subject=parsed.subject,
        occurred_at=parsed.date,
    )
