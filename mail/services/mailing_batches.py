"""Sending a mailing, batch by batch: the Celery task's body and its bookkeeping.

`mailing_send_batch` (the task `mail.tasks.send_mailing_batch`) claims up to MAIL_MAILING_RATE
queued rows, sends them over one SMTP connection and queues the next batch a minute after this
one started, as an outbox row due then (durable: a broker or a worker away only delays it). Each
row is marked attempted in the same commit that marks the one before it sent, just before it
goes to the server: a batch interrupted mid-way leaves its unattempted rows to the next batch and
the one row that may or may not have left marked failed, so nobody gets the mailing twice. The
sent e-mails are then logged as outbound MAILING interactions in bulk, and a prospect with no
contact before gets the mailing as its first contact.
"""

import logging
import uuid
from datetime import timedelta

from django.conf import settings
from django.core import signing
from django.core.mail import EmailMessage as DjangoEmail
from django.core.mail import get_connection
from django.db import transaction
from django.db.models import Q
from django.db.models.functions import Lower
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from core.models import OutboxMessage
from core.outbox import enqueue
from customers.models import ConsentState, Customer
from processes.models import ProcessInstance
from relationships.models import Interaction, Relationship

from ..models import MailingRecipient, MailTemplate, SuppressedAddress
from ..models.mailings import Mailing
from ..rendering import render_mail

logger = logging.getLogger(__name__)

UNSUBSCRIBE_SALT = "mail.mailing.unsubscribe"
SEND_TASK = "mail.tasks.send_mailing_batch"
# A claimed batch belongs to its worker this long; then its rows are taken up again.
CLAIM_LEASE = timedelta(minutes=10)
# Rows the bookkeeping of a batch (interactions, first contacts) handles per statement.
CHUNK = 1000


def suppressed_among(addresses) -> set:
    """The ones of `addresses` (lower-cased) that are suppressed, whatever their case there."""
    addresses = sorted({a.lower() for a in addresses})
    found = set()
    for start in range(0, len(addresses), CHUNK):
        found.update(
            SuppressedAddress.objects.annotate(key=Lower("address"))
            .filter(key__in=addresses[start : start + CHUNK])
            .values_list("key", flat=True)
        )
    return found


def _schedule_next_batch(mailing_id: int, *, at) -> None:
    """The next batch, due at `at`: an outbox row the drainer publishes once it is due."""
    OutboxMessage.objects.create(task=SEND_TASK, args=[mailing_id], available_at=at)


def unsubscribe_token(recipient: MailingRecipient) -> str:
    return signing.Signer(salt=UNSUBSCRIBE_SALT).sign(str(recipient.pk))


def unsubscribe_url(recipient: MailingRecipient) -> str:
    return settings.SITE_URL + reverse("mail:unsubscribe", args=[unsubscribe_token(recipient)])


class _Templates:
    """The mailing's template in each language (the chosen one where there is none)."""

    def __init__(self, mailing: Mailing):
        self.default = mailing.template
        self.by_language = {
            t.language: t
            for t in MailTemplate.objects.filter(
                name=mailing.template.name, purpose=MailTemplate.Purpose.MAILING, is_active=True
            )
        }

    def __call__(self, language):
        return self.by_language.get(language, self.default)


def _compose(mailing, recipient, templates, sender) -> DjangoEmail:
    contact = recipient.contact
    link = unsubscribe_url(recipient)
    template = templates(recipient.language)
    context = {
        "customer": {"name": recipient.customer.display_name},
        "contact": {
            "name": f"{contact.first_name} {contact.last_name}".strip(),
            "first_name": contact.first_name,
        },
        "sender": sender,
        "unsubscribe_url": link,
    }
    subject, body = render_mail(template, context)
    if link not in body:
        with translation.override(recipient.language):
            footer = _("To stop receiving these e-mails, unsubscribe: %(url)s") % {"url": link}
        body = f"{body.rstrip()}\n\n-- \n{footer}\n"
    return DjangoEmail(
        subject=subject,
        body=body,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[recipient.address],
        headers={
            "Message-ID": recipient.message_id,
            # RFC 2369 and RFC 8058: mail programs offer "unsubscribe" and POST to it.
            "List-Unsubscribe": f"<{link}>",
            "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
        },
    )


def _release_stale_claims(mailing_id: int, now) -> None:
    stale = MailingRecipient.objects.filter(
        mailing=mailing_id,
        status=MailingRecipient.Status.QUEUED,
        claimed_at__lt=now - CLAIM_LEASE,
    )
    # The row that was going out when the batch stopped: it may have left; never sent twice.
    stale.filter(attempted_at__isnull=False).update(
        status=MailingRecipient.Status.FAILED,
        status_at=now,
        error="Interrupted while being sent; not sent again, so that nobody gets it twice.",
    )
    stale.filter(attempted_at__isnull=True).update(claim="", claimed_at=None)


def _claim(mailing_id: int, limit: int) -> tuple[str, list[MailingRecipient]]:
    token = uuid.uuid4().hex
    now = timezone.now()
    with transaction.atomic():
        ids = list(
            MailingRecipient.objects.filter(
                mailing=mailing_id, status=MailingRecipient.Status.QUEUED, claim=""
            )
            .order_by("id")
            .select_for_update(skip_locked=True)
            .values_list("pk", flat=True)[:limit]
        )
        MailingRecipient.objects.filter(pk__in=ids, claim="").update(claim=token, claimed_at=now)
    rows = list(
        MailingRecipient.objects.filter(claim=token, status=MailingRecipient.Status.QUEUED)
        .select_related("contact", "customer")
        .order_by("id")
    )
    return token, rows


def _still_consenting(mailing, rows, *, now) -> list:
    """The claimed rows whose person still consents and whose address is not suppressed: a
    mailing spread over minutes respects a withdrawal (or a bounce) that came meanwhile."""
    consenting = set(
        ConsentState.objects.filter(
            contact__in=[r.contact_id for r in rows], purpose=mailing.purpose_id, given=True
        ).values_list("contact_id", flat=True)
    )
    suppressed = suppressed_among({r.address for r in rows})
    withdrawn = [r.pk for r in rows if r.contact_id not in consenting]
    MailingRecipient.objects.filter(pk__in=withdrawn).update(
        status=MailingRecipient.Status.UNSUBSCRIBED,
        status_at=now,
        error="Consent withdrawn before it was sent.",
    )
    bounced = [r.pk for r in rows if r.contact_id in consenting and r.address.lower() in suppressed]
    MailingRecipient.objects.filter(pk__in=bounced).update(
        status=MailingRecipient.Status.FAILED,
        status_at=now,
        error="The address was suppressed before it was sent.",
    )
    left_out = set(withdrawn) | set(bounced)
    return [r for r in rows if r.pk not in left_out]


def _mark_sent(recipient, at):
    MailingRecipient.objects.filter(pk=recipient.pk).update(
        status=MailingRecipient.Status.SENT, sent_at=at, status_at=at
    )


def mailing_send_batch(*, mailing_id: int) -> dict:
    """Send the next batch of a mailing (at most MAIL_MAILING_RATE messages) and queue the
    following one a minute after this one began; idempotent (a second run finds the rows
    claimed or sent). Returns the counts of this batch."""
    started = timezone.now()
    mailing = Mailing.objects.select_related("template", "sent_by").filter(pk=mailing_id).first()
    if mailing is None or mailing.status != Mailing.Status.SENDING:
        return {"sent": 0, "failed": 0, "left": 0}
    _release_stale_claims(mailing_id, started)
    _log_interactions(mailing)  # what an interrupted batch sent but did not log yet
    _token, rows = _claim(mailing_id, settings.MAIL_MAILING_RATE)
    rows = _still_consenting(mailing, rows, now=started)
    sent = failed = 0
    if rows:
        templates = _Templates(mailing)
        sender = {
            "name": mailing.sent_by.get_full_name() or mailing.sent_by.get_username(),
            "email": mailing.sent_by.email or settings.DEFAULT_FROM_EMAIL,
        }
        connection = get_connection(fail_silently=False)
        try:
            connection.open()
        except Exception as error:  # the server is away: the rows wait for the next batch
            logger.warning("Mailing %s: the mail server is away (%s).", mailing_id, error)
            MailingRecipient.objects.filter(pk__in=[r.pk for r in rows]).update(
                claim="", claimed_at=None
            )
            _schedule_next_batch(mailing_id, at=started + timedelta(minutes=1))
            return {"sent": 0, "failed": 0, "left": len(rows)}
        previous = None
        try:
            for recipient in rows:
                now = timezone.now()
                with transaction.atomic():
                    if previous is not None:
                        _mark_sent(previous, previous.sent_at)
                    MailingRecipient.objects.filter(pk=recipient.pk).update(attempted_at=now)
                previous = None
                try:
                    connection.send_messages([_compose(mailing, recipient, templates, sender)])
                except Exception as error:
                    failed += 1
                    MailingRecipient.objects.filter(pk=recipient.pk).update(
                        status=MailingRecipient.Status.FAILED,
                        status_at=timezone.now(),
                        error=f"{type(error).__name__}: {error}"[:500],
                    )
                    continue
                recipient.sent_at = timezone.now()
                previous = recipient
                sent += 1
            if previous is not None:
                _mark_sent(previous, previous.sent_at)
        finally:
            connection.close()
        _log_interactions(mailing)
    left = MailingRecipient.objects.filter(
        mailing=mailing_id, status=MailingRecipient.Status.QUEUED
    ).exists()
    if left:
        _schedule_next_batch(mailing_id, at=started + timedelta(minutes=1))
    else:
        Mailing.objects.filter(pk=mailing_id, status=Mailing.Status.SENDING).update(
            status=Mailing.Status.SENT, finished_at=timezone.now()
        )
    return {"sent": sent, "failed": failed, "left": int(left)}


def mailings_resume() -> int:
    """Queue a batch for each mailing still sending that has none queued and none running
    (its worker died before queuing the next); the beat runs it every few minutes."""
    now = timezone.now()
    resumed = 0
    for pk in Mailing.objects.filter(status=Mailing.Status.SENDING).values_list("pk", flat=True):
        if OutboxMessage.objects.pending().filter(task=SEND_TASK, args=[pk]).exists():
            continue
        running = MailingRecipient.objects.filter(
            mailing=pk, status=MailingRecipient.Status.QUEUED, claimed_at__gte=now - CLAIM_LEASE
        )
        if running.exists():
            continue
        with transaction.atomic():
            enqueue(SEND_TASK, pk)
        resumed += 1
    return resumed


# --- The timeline and first contacts ------------------------------------------------------


@transaction.atomic
def _log_interactions(mailing: Mailing) -> int:
    """One outbound MAILING interaction per e-mail sent and not logged yet, in bulk; prospects
    that had no contact before get the mailing as their first contact; the campaign's
    processes count it as activity."""
    rows = list(
        MailingRecipient.objects.select_for_update()
        .filter(mailing=mailing.pk, status=MailingRecipient.Status.SENT, interaction__isnull=True)
        .order_by("id")
        .values("pk", "customer_id", "contact_id", "sent_at", "process_instance_id")
    )
    if not rows:
        return 0
    customer_ids = {row["customer_id"] for row in rows}
    first_day = timezone.localdate(min(row["sent_at"] for row in rows))
    first_contacts = _first_contacts(customer_ids, day=first_day, by=mailing.sent_by)
    relationships = dict(
        Relationship.objects.open()
        .filter(customer_id__in=customer_ids)
        .values_list("customer_id", "pk")
    )
    subject = _("Mailing: %(name)s") % {"name": mailing.name}
    interactions = [
        Interaction(
            customer_id=row["customer_id"],
            relationship_id=relationships.get(row["customer_id"]),
            contact_person_id=row["contact_id"],
            channel=Interaction.Channel.MAILING,
            direction=Interaction.Direction.OUTBOUND,
            subject=subject[:200],
            outcome=_("First contact") if row["customer_id"] in first_contacts else "",
            occurred_at=row["sent_at"],
            created_by=mailing.sent_by,
        )
        for row in rows
    ]
    Interaction.objects.bulk_create(interactions, batch_size=CHUNK)
    MailingRecipient.objects.bulk_update(
        [
            MailingRecipient(pk=row["pk"], interaction_id=interaction.pk)
            for row, interaction in zip(rows, interactions, strict=True)
        ],
        ["interaction"],
        batch_size=CHUNK,
    )
    last = max(row["sent_at"] for row in rows)
    # Only forward: an older mailing must not hide a newer call (as interaction_log does).
    Customer.objects.filter(pk__in=customer_ids).filter(
        Q(last_contact_at__isnull=True) | Q(last_contact_at__lt=last)
    ).update(last_contact_at=last)
    instance_ids = {row["process_instance_id"] for row in rows} - {None}
    if instance_ids:
        ProcessInstance.objects.filter(pk__in=instance_ids).filter(
            Q(last_activity_at__isnull=True) | Q(last_activity_at__lt=last)
        ).update(last_activity_at=last)
    return len(rows)


def _first_contacts(customer_ids, *, day, by) -> set:
    """The prospects among `customer_ids` with no contact logged yet: the mailing is their first
    contact (its day their first-contact date, their relationship starting then)."""
    contacted = set(
        Interaction.objects.filter(customer_id__in=customer_ids).values_list(
            "customer_id", flat=True
        )
    )
    first = set(
        Customer.objects.filter(
            pk__in=set(customer_ids) - contacted, status=Customer.Status.PROSPECT
        ).values_list("pk", flat=True)
    )
    if not first:
        return first
    Customer.objects.filter(pk__in=first).update(
        first_contact_on=day, source=Customer.Source.MAILING
    )
    Relationship.objects.open().filter(
        customer_id__in=first, status=Relationship.Status.PROSPECT
    ).update(started_on=day)
    # A customer recorded with no relationship at all gets the one its first contact starts.
    with_one = set(
        Relationship.objects.filter(customer_id__in=first).values_list("customer_id", flat=True)
    )
    Relationship.objects.bulk_create(
        [
            Relationship(customer_id=pk, started_on=day, started_by=by)
            for pk in sorted(first - with_one)
        ]
    )
    return first
