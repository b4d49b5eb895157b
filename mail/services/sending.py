"""Writing to a customer from the CRM: one call records the e-mail, its timeline entry and the
work of sending it; a Celery task sends it after the commit, with retries.

    message = email_send(customer=c, to=[anna], subject="…", body="…", by=user)

The e-mail (EmailMessage, queued, our own Message-ID), the outbound EMAIL interaction and the
outbox row that asks for `mail.tasks.send_email` are written in one transaction: a rolled-back
e-mail sends nothing, a committed one is always sent (core.outbox). The task claims the row
(select_for_update, then a status check), so a task delivered twice sends once; a failure is
tried again MAIL_SEND_MAX_ATTEMPTS times in all with a doubling wait, then the e-mail is failed,
its error on the timeline and a "Send again" button beside it.
"""

import logging
from datetime import timedelta
from email.utils import formataddr, make_msgid

from django.conf import settings
from django.core import mail as django_mail
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from core import outbox
from core.i18n import user_language
from relationships import services as relationship_services
from relationships.models import Document, Interaction

from ..models import EmailMessage, SuppressedAddress

logger = logging.getLogger(__name__)

# The longest text an e-mail written in the CRM may have (the timeline keeps it whole).
BODY_MAX_LENGTH = Interaction._meta.get_field("notes").max_length or 10_000
SUBJECT_MAX_LENGTH = EmailMessage._meta.get_field("subject").max_length

SEND_TASK = "mail.tasks.send_email"


class Delivery:
    """What one sending attempt came to."""

    SENT = "sent"
    RETRY = "retry"
    FAILED = "failed"
    SKIPPED = "skipped"  # not queued (sent or failed before): nothing to do


def _sender_address(user) -> str:
    name = (user.get_full_name() or user.get_username()) if user else ""
    return formataddr((name, settings.DEFAULT_FROM_EMAIL)) if name else settings.DEFAULT_FROM_EMAIL


def _outcome(message: EmailMessage) -> str:
    """The interaction's outcome as the timeline shows it, in the writer's language."""
    language = user_language(message.sent_by) if message.sent_by else settings.LANGUAGE_CODE
    with translation.override(language):
        if message.status == EmailMessage.Status.FAILED:
            text = _("Failed: %(error)s") % {"error": message.last_error}
        else:
            text = str(message.get_status_display())
    return text[: Interaction._meta.get_field("outcome").max_length]


def _check(*, customer, to, subject, body, attachments, uploads, reply_to):
    errors = {}
    if not to:
        errors["to"] = _("Choose at least one recipient.")
    elif len(to) > settings.MAIL_MAX_RECIPIENTS:
        errors["to"] = ngettext(
            "An e-mail goes to at most %(limit)d recipient.",
            "An e-mail goes to at most %(limit)d recipients.",
            settings.MAIL_MAX_RECIPIENTS,
        ) % {"limit": settings.MAIL_MAX_RECIPIENTS}
    else:
        addresses = [contact.email.strip().lower() for contact in to]
        suppressed = set(
            SuppressedAddress.objects.filter(address__in=addresses).values_list(
                "address", flat=True
            )
        )
        for contact, address in zip(to, addresses, strict=True):
            if contact.customer_id != customer.pk or not contact.is_active:
                errors["to"] = _("%(name)s is not a contact person of this customer.") % {
                    "name": contact.full_name
                }
            elif not address:
                errors["to"] = _("%(name)s has no e-mail address.") % {"name": contact.full_name}
            elif address in suppressed or contact.email in suppressed:
                errors["to"] = _("E-mails to %(address)s bounced, so no more are sent there.") % {
                    "address": contact.email
                }
    subject = " ".join((subject or "").split())
    if not subject:
        errors["subject"] = _("An e-mail needs a subject.")
    elif len(subject) > SUBJECT_MAX_LENGTH:
        errors["subject"] = _("A subject has at most %(limit)d characters.") % {
            "limit": SUBJECT_MAX_LENGTH
        }
    if not (body or "").strip():
        errors["body"] = _("An e-mail needs a text.")
    elif len(body) > BODY_MAX_LENGTH:
        errors["body"] = _("The text has at most %(limit)d characters.") % {
            "limit": BODY_MAX_LENGTH
        }
    if len(attachments) + uploads > settings.MAIL_MAX_ATTACHMENTS:
        errors["attachments"] = _("At most %(limit)d attachments.") % {
            "limit": settings.MAIL_MAX_ATTACHMENTS
        }
    elif any(document.customer_id != customer.pk for document in attachments):
        errors["attachments"] = _("Only this customer's documents can be attached.")
    if reply_to is not None and reply_to.customer_id != customer.pk:
        errors["to"] = _("The e-mail replied to belongs to another customer.")
    if errors:
        raise ValidationError(errors)
    return subject


@transaction.atomic
def email_send(
    *,
    customer,
    to,
    subject,
    body,
    by,
    process_instance=None,
    attachments=(),
    upload=None,
    reply_to=None,
) -> EmailMessage:
    """Queue an e-mail from `by` to contact persons `to` of `customer`, with the customer's
    `attachments` (Documents) and an `upload` stored as a new Document of the customer; about
    `process_instance` (a ticket, deal, collection case), in the thread of `reply_to`."""
    attachments = list(attachments)
    to = list(to)
    subject = _check(
        customer=customer,
        to=to,
        subject=subject,
        body=body,
        attachments=attachments,
        uploads=0 if upload is None else 1,
        reply_to=reply_to,
    )
    if process_instance is not None and process_instance.customer_id != customer.pk:
        raise ValidationError(_("The process belongs to another customer."))
    if upload is not None:
        try:
            attachments.append(
                relationship_services.document_upload(customer=customer, by=by, file=upload)
            )
        except ValidationError as error:
            raise ValidationError({"upload": error.messages}) from error
    interaction = relationship_services.interaction_log(
        customer=customer,
        by=by,
        channel=Interaction.Channel.EMAIL,
        direction=Interaction.Direction.OUTBOUND,
        subject=subject[: Interaction._meta.get_field("subject").max_length],
        notes=body,
        contact_person=to[0],
    )
    message_id = make_msgid(domain=settings.MAIL_MESSAGE_ID_DOMAIN)
    references = ""
    if reply_to is not None:
        references = " ".join(filter(None, [reply_to.references, reply_to.message_id]))
        references = references[-EmailMessage._meta.get_field("references").max_length :]
    message = EmailMessage(
        direction=EmailMessage.Direction.OUTBOUND,
        status=EmailMessage.Status.QUEUED,
        customer=customer,
        contact_person=to[0],
        process_instance=process_instance,
        interaction=interaction,
        message_id=message_id,
        in_reply_to=reply_to.message_id if reply_to is not None else "",
        references=references,
        thread_id=reply_to.thread_id if reply_to is not None else message_id,
        from_address=settings.DEFAULT_FROM_EMAIL,
        from_name=(by.get_full_name() or by.get_username())[:200] if by else "",
        to_addresses=[contact.email for contact in to],
        subject=subject,
        body_text=body,
        sent_by=by,
        occurred_at=interaction.occurred_at,
    )
    message.full_clean()
    message.save()
    if attachments:
        message.attachments.set(attachments)
    interaction.outcome = _outcome(message)
    interaction.save(update_fields=["outcome"])
    outbox.enqueue(SEND_TASK, message.pk)
    return message


@transaction.atomic
def email_resend(*, message: EmailMessage, by) -> EmailMessage:
    """Queue a failed e-mail again ("Send again"), with a fresh count of attempts."""
    message = EmailMessage.objects.select_for_update().get(pk=message.pk)
    if message.status != EmailMessage.Status.FAILED:
        raise ValidationError(_("Only an e-mail that failed can be sent again."))
    message.status = EmailMessage.Status.QUEUED
    message.attempts = 0
    message.last_error = ""
    message.save(update_fields=["status", "attempts", "last_error"])
    _sync_interaction(message)
    outbox.enqueue(SEND_TASK, message.pk)
    return message


def _sync_interaction(message):
    if message.interaction_id:
        Interaction.objects.filter(pk=message.interaction_id).update(outcome=_outcome(message))


def _django_message(message: EmailMessage, connection) -> django_mail.EmailMessage:
    headers = {"Message-ID": message.message_id}
    if message.in_reply_to:
        headers["In-Reply-To"] = message.in_reply_to
    if message.references:
        headers["References"] = message.references
    email = django_mail.EmailMessage(
        subject=message.subject,
        body=message.body_text,
        from_email=_sender_address(message.sent_by),
        to=list(message.to_addresses),
        cc=list(message.cc_addresses or []),
        reply_to=[settings.MAIL_REPLY_TO] if settings.MAIL_REPLY_TO else None,
        headers=headers,
        connection=connection,
    )
    document: Document
    for document in message.attachments.all():
        with document.file.open("rb") as handle:
            email.attach(document.original_name, handle.read(), document.content_type)
    return email


def retry_delay(attempts: int) -> int:
    """Seconds before the next attempt after `attempts` failed ones: doubling each time."""
    return settings.MAIL_SEND_RETRY_SECONDS * 2 ** max(attempts - 1, 0)


def email_deliver(*, message_pk: int) -> str:
    """One attempt at sending a queued e-mail (the Celery task's work); a Delivery value.

    The row is locked for the attempt: a second run of the task (at-least-once delivery) waits,
    then finds it sent and does nothing. An e-mail the server accepted is never sent again.
    """
    with transaction.atomic():
        message = (
            EmailMessage.objects.select_for_update(of=("self",))
            .select_related("sent_by")
            .filter(pk=message_pk)
            .first()
        )
        if message is None or message.status != EmailMessage.Status.QUEUED:
            return Delivery.SKIPPED
        message.attempts += 1
        try:
            connection = django_mail.get_connection(fail_silently=False)
            _django_message(message, connection).send()
        except Exception as error:  # any refusal: the server's, the network's, a missing file
            logger.warning("E-mail %s: attempt %s failed: %s", message.pk, message.attempts, error)
            message.last_error = (str(error) or error.__class__.__name__)[:500]
            final = message.attempts >= settings.MAIL_SEND_MAX_ATTEMPTS
            if final:
                message.status = EmailMessage.Status.FAILED
            message.save(update_fields=["attempts", "last_error", "status"])
            _sync_interaction(message)
            return Delivery.FAILED if final else Delivery.RETRY
        message.status = EmailMessage.Status.SENT
        message.sent_at = timezone.now()
        message.last_error = ""
        message.save(update_fields=["attempts", "last_error", "status", "sent_at"])
        _sync_interaction(message)
        return Delivery.SENT


def emails_requeue_stale(*, now) -> int:
    """Queue the send task again for e-mails queued for longer than all their retries take (plus
    a margin): a retry scheduled on a broker that then lost it. Once per e-mail and period."""
    waits = sum(retry_delay(n) for n in range(1, settings.MAIL_SEND_MAX_ATTEMPTS))
    period = waits + 15 * 60
    stale = EmailMessage.objects.filter(
        status=EmailMessage.Status.QUEUED,
        direction=EmailMessage.Direction.OUTBOUND,
        occurred_at__lt=now - timedelta(seconds=period),
    ).values_list("pk", flat=True)[:500]
    queued = 0
    for pk in stale:
        with transaction.atomic():
            queued += (
                outbox.enqueue_once(SEND_TASK, pk, key=f"mail-send-stale:{pk}", within=period)
                is not None
            )
    return queued
