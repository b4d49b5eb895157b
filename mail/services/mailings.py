"""Mailings: choosing the recipients (consent, unsubscribes, suppressed addresses), drafts,
sending, unsubscribing and bounces.

`mailing_send` writes one MailingRecipient per consenting contact person (unique per mailing and
contact, so a second send only adds people who were not there) and queues the first batch
through the outbox; the batches themselves are `mail.services.mailing_batches`.
"""

import uuid

from django.conf import settings
from django.core import signing
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Exists, OuterRef
from django.http import QueryDict
from django.utils import timezone
from django.utils.translation import gettext as _

from core.i18n import is_supported, language_for_country
from core.outbox import enqueue
from core.permissions import can
from customers.filters import CustomerFilter
from customers.models import ConsentState, ContactPerson, Customer
from customers.services import consent_record
from processes.models import ProcessInstance

from ..models import MailingRecipient, MailTemplate
from ..models.mailings import Mailing
from ..permissions import SEND_MAILINGS
from .mailing_batches import (  # noqa: F401  (the batches' entry points, re-exported)
    CHUNK,
    CLAIM_LEASE,
    SEND_TASK,
    UNSUBSCRIBE_SALT,
    mailing_send_batch,
    mailings_resume,
    suppressed_among,
    unsubscribe_token,
    unsubscribe_url,
)

EXCLUSIONS = ("no_email", "unsubscribed", "no_consent", "suppressed")


# --- The audience -------------------------------------------------------------------------


def customer_filter_errors(query: str) -> dict:
    """The customer list's filter form's errors for `query` (empty when it is valid)."""
    filterset = CustomerFilter(QueryDict(query), queryset=Customer.objects.none())
    return {} if filterset.is_valid() else dict(filterset.errors)


def mailing_audience(*, mailing: Mailing, by):
    """The customers the mailing goes to, among those `by` sees (core.visibility)."""
    customers = Customer.objects.visible_to(by).current()
    if mailing.segment_id:
        return customers.filter(segments=mailing.segment_id)
    if mailing.campaign_id:
        return customers.filter(
            pk__in=ProcessInstance.objects.filter(
                campaign=mailing.campaign_id, closed_at__isnull=True
            ).values("customer_id")
        )
    filterset = CustomerFilter(QueryDict(mailing.customer_filter), queryset=customers)
    if not filterset.is_valid():
        raise ValidationError({"customer_filter": _("This customer list filter is not valid.")})
    # The list's ordering is irrelevant here, and a search's ranking would only cost time.
    return filterset.qs.order_by()


def _candidates(*, mailing: Mailing, by):
    """(contact, exclusion or None) for every active contact person of the audience."""
    purpose_state = ConsentState.objects.filter(contact=OuterRef("pk"), purpose=mailing.purpose_id)
    contacts = (
        ContactPerson.objects.filter(
            customer__in=mailing_audience(mailing=mailing, by=by).values("pk"),
            is_active=True,
            erased_at__isnull=True,
            merged_into__isnull=True,
        )
        .annotate(
            consenting=Exists(purpose_state.filter(given=True)),
            unsubscribed=Exists(purpose_state.filter(given=False, event__source="unsubscribe")),
        )
        .select_related("customer")
        .only(
            "id",
            "first_name",
            "last_name",
            "email",
            "language",
            "customer__id",
            "customer__display_name",
            "customer__country",
        )
        .order_by("pk")
    )
    contacts = list(contacts)
    suppressed = suppressed_among({c.email for c in contacts if c.email})
    for contact in contacts:
        if not contact.email:
            yield contact, "no_email"
        elif contact.unsubscribed:
            yield contact, "unsubscribed"
        elif not contact.consenting:
            yield contact, "no_consent"
        elif contact.email.lower() in suppressed:
            yield contact, "suppressed"
        else:
            yield contact, None


def mailing_preview(*, mailing: Mailing, by) -> dict:
    """How many would receive it now, and how many are left out, by reason."""
    counts = {"recipients": 0, **dict.fromkeys(EXCLUSIONS, 0)}
    for _contact, exclusion in _candidates(mailing=mailing, by=by):
        counts[exclusion or "recipients"] += 1
    counts["excluded"] = sum(counts[name] for name in EXCLUSIONS)
    return counts


# --- Drafts -------------------------------------------------------------------------------


def _check_draft(mailing: Mailing):
    errors = {}
    if mailing.template_id and mailing.template.purpose != MailTemplate.Purpose.MAILING:
        errors["template"] = _("Choose a template written for mailings.")
    if mailing.customer_filter:
        if mailing.customer_filter.startswith("?"):
            mailing.customer_filter = mailing.customer_filter[1:]
        if customer_filter_errors(mailing.customer_filter):
            errors["customer_filter"] = _("This customer list filter is not valid.")
    if mailing.purpose_id and not mailing.purpose.active:
        errors["purpose"] = _("This purpose is no longer offered.")
    if errors:
        raise ValidationError(errors)


@transaction.atomic
def mailing_save(*, mailing: Mailing, by) -> Mailing:
    """Create or change a draft mailing."""
    if not can(by, SEND_MAILINGS):
        raise PermissionDenied
    if mailing.pk and Mailing.objects.select_for_update().get(pk=mailing.pk).status != (
        Mailing.Status.DRAFT
    ):
        raise ValidationError(_("This mailing is already being sent; it cannot be changed."))
    if mailing.pk is None:
        mailing.created_by = by
    _check_draft(mailing)
    mailing.full_clean()
    mailing.save()
    return mailing


# --- Sending ------------------------------------------------------------------------------


def _message_id(mailing: Mailing) -> str:
    domain = settings.DEFAULT_FROM_EMAIL.rpartition("@")[2].strip(">") or "localhost"
    return f"<{uuid.uuid4().hex}.mailing{mailing.pk}@{domain}>"


def _language(contact) -> str:
    if contact.language and is_supported(contact.language):
        return contact.language
    return language_for_country(contact.customer.country)


@transaction.atomic
def mailing_send(*, mailing: Mailing, by) -> int:
    """Send the mailing to everyone of its audience who consents now (and was not mailed by it
    yet); returns how many were added. Sending it again later reaches only the new ones."""
    if not can(by, SEND_MAILINGS):
        raise PermissionDenied
    mailing = Mailing.objects.select_for_update().select_related("purpose").get(pk=mailing.pk)
    _check_draft(mailing)
    instances = {}
    if mailing.campaign_id:
        instances = dict(
            ProcessInstance.objects.filter(
                campaign=mailing.campaign_id, closed_at__isnull=True
            ).values_list("customer_id", "pk")
        )
    excluded = dict.fromkeys(EXCLUSIONS, 0)
    rows = []
    for contact, exclusion in _candidates(mailing=mailing, by=by):
        if exclusion:
            excluded[exclusion] += 1
            continue
        rows.append(
            MailingRecipient(
                mailing=mailing,
                contact=contact,
                customer_id=contact.customer_id,
                process_instance_id=instances.get(contact.customer_id),
                address=contact.email,
                language=_language(contact),
                message_id=_message_id(mailing),
            )
        )
    before = mailing.recipients.count()
    # (mailing, contact) is unique: the people this mailing already reached are left as they are.
    MailingRecipient.objects.bulk_create(rows, batch_size=CHUNK, ignore_conflicts=True)
    added = mailing.recipients.count() - before
    if not added and mailing.status == Mailing.Status.DRAFT:
        raise ValidationError(_("Nobody of this audience may receive the mailing."))
    mailing.status = Mailing.Status.SENDING
    mailing.sent_by = mailing.sent_by or by
    mailing.send_started_at = mailing.send_started_at or timezone.now()
    mailing.finished_at = None
    mailing.excluded = excluded
    mailing.save(update_fields=["status", "sent_by", "send_started_at", "finished_at", "excluded"])
    enqueue(SEND_TASK, mailing.pk)
    return added


def recipient_for_token(token: str) -> MailingRecipient | None:
    """The recipient a link names, or None for a link that was not made by us."""
    try:
        pk = signing.Signer(salt=UNSUBSCRIBE_SALT).unsign(token)
    except signing.BadSignature:
        return None
    return (
        MailingRecipient.objects.select_related("mailing__purpose", "contact")
        .filter(pk=int(pk))
        .first()
    )


# --- Unsubscribing and bounces --------------------------------------------------------------


@transaction.atomic
def mailing_unsubscribe(*, recipient: MailingRecipient) -> bool:
    """The person followed the mailing's unsubscribe link: their consent to its purpose is
    withdrawn (by the person, source "unsubscribe") and the recipient marked. Idempotent: a
    second click changes nothing. False when there was nothing left to withdraw."""
    recipient = MailingRecipient.objects.select_for_update().get(pk=recipient.pk)
    mailing = Mailing.objects.select_related("purpose").get(pk=recipient.mailing_id)
    state = ConsentState.objects.filter(contact=recipient.contact_id, purpose=mailing.purpose_id)
    withdrawn = False
    if state.filter(given=True).exists():
        contact = ContactPerson.objects.get(pk=recipient.contact_id)
        try:
            consent_record(
                contact=contact,
                purpose=mailing.purpose,
                given=False,
                source="unsubscribe",
                by_person=True,
            )
            withdrawn = True
        except ValidationError as error:
            if error.code != "erased":
                raise
    if recipient.status != MailingRecipient.Status.UNSUBSCRIBED:
        recipient.status = MailingRecipient.Status.UNSUBSCRIBED
        recipient.status_at = timezone.now()
        recipient.save(update_fields=["status", "status_at"])
    return withdrawn


def _bare(message_id: str) -> str:
    return message_id.strip().strip("<>").strip()


def mailing_recipient_bounced(*, address: str, original_message_id: str, diagnostic: str) -> None:
    """mail.hooks' bounce handler: the recipient whose message bounced is marked bounced (the
    mailbox sync has already suppressed the address)."""
    if not original_message_id:
        return
    bare = _bare(original_message_id)
    MailingRecipient.objects.filter(message_id__in=[f"<{bare}>", bare]).exclude(
        status=MailingRecipient.Status.UNSUBSCRIBED
    ).update(
        status=MailingRecipient.Status.BOUNCED,
        status_at=timezone.now(),
        error=(diagnostic or "")[:500],
    )
