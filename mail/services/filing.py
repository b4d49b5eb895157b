"""Filing one synced message: on the timeline of the customer whose contact person wrote it (or
received it), in the thread it answers, or into triage; never when its owner keeps it private.

Decisions, in order (README "E-mail → Mailbox sync" says the same for users):
1. A message someone made private, or one answering a private message, is not filed: only its
   Message-ID is kept (PrivateMessage), so no mailbox ever files it.
2. In a user's own mailbox, a message to or from one of their private addresses or domains is
   skipped: nothing of it is stored.
3. A message answering one the CRM knows (In-Reply-To / References) joins its thread, customer
   and process.
4. Otherwise the first known contact person among the other side's addresses (the sender of an
   inbound message, the recipients of an outbound one) decides the customer.
5. Otherwise it waits in triage: the shared mailbox's (for users with the permission) or, for a
   user's own mailbox, the owner's alone.
"""

from dataclasses import dataclass, field

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from core import bounds
from core.i18n import language_for_country
from customers.models import ContactPerson, Customer
from customers.services import contact_person_save
from relationships.models import Interaction
from relationships.services.documents import document_upload
from relationships.services.interactions import interaction_log
from relationships.services.registration import customer_register

from ..models import EmailMessage, Mailbox, PrivateAddress, PrivateMessage
from .bounces import bounce_record
from .parsing import Parsed

NO_SUBJECT = "(no subject)"  # stored, read in every language: not translated


@dataclass
class Context:
    """What filing needs to know about a mailbox, read once per sync run."""

    mailbox: Mailbox
    own_addresses: set[str] = field(default_factory=set)
    private_addresses: set[str] = field(default_factory=set)
    private_domains: set[str] = field(default_factory=set)

    @classmethod
    def of(cls, mailbox: Mailbox) -> "Context":
        own = {a.lower() for a in Mailbox.objects.values_list("address", flat=True)}
        own.add(settings.DEFAULT_FROM_EMAIL.lower())
        private_addresses, private_domains = set(), set()
        if mailbox.owner_id:
            if mailbox.owner.email:
                own.add(mailbox.owner.email.lower())
            for pattern in PrivateAddress.objects.filter(owner_id=mailbox.owner_id).values_list(
                "pattern", flat=True
            ):
                if pattern.startswith("@"):
                    private_domains.add(pattern[1:])
                else:
                    private_addresses.add(pattern)
        return cls(mailbox, own, private_addresses, private_domains)

    def is_private(self, address: str) -> bool:
        return address in self.private_addresses or (
            address.rpartition("@")[2] in self.private_domains
        )


def _references_text(refs: list[str]) -> str:
    kept, size = [], 0
    for ref in reversed(refs):
        if size + len(ref) + 1 > bounds.SHORT_TEXT:
            break
        kept.insert(0, ref)
        size += len(ref) + 1
    return " ".join(kept)


def contacts_by_address(addresses) -> dict[str, ContactPerson]:
    """The contact person each address belongs to (ContactPerson.email is stored lowercased and
    indexed: contact_email_idx). Active, not erased, of a customer not merged away."""
    found = {}
    rows = (
        ContactPerson.objects.filter(
            email__in=list(addresses),
            is_active=True,
            erased_at__isnull=True,
            customer__merged_into__isnull=True,
        )
        .select_related("customer")
        .order_by("-is_primary", "id")
    )
    for contact in rows:
        found.setdefault(contact.email, contact)
    return found


def customers_by_address(addresses) -> dict[str, Customer]:
    """Customers (people, usually) known by their own e-mail (customer_email_idx)."""
    found = {}
    for customer in Customer.objects.filter(
        email__in=list(addresses), merged_into__isnull=True
    ).order_by("id"):
        found.setdefault(customer.email, customer)
    return found


def _counterparts(parsed: Parsed, outbound: bool, context: Context) -> list[str]:
    addresses = parsed.to_addresses + parsed.cc_addresses if outbound else [parsed.from_address]
    return [a for a in addresses if a and a not in context.own_addresses]


@dataclass
class Lookups:
    """What a batch of messages needs from the database, read in a few queries for the whole
    batch rather than a few per message: the contact persons and customers of its addresses,
    the messages its messages answer, and which of those were made private. Messages filed
    from the batch join it, so a reply later in the same batch finds its thread."""

    contacts: dict[str, ContactPerson]
    customers: dict[str, Customer]
    messages: dict[str, EmailMessage]
    private: set[str]

    @classmethod
    def of(cls, batch: list[Parsed], context: Context) -> "Lookups":
        addresses, refs = set(), set()
        for parsed in batch:
            outbound = parsed.from_address in context.own_addresses
            addresses.update(_counterparts(parsed, outbound, context))
            refs.update(parsed.thread_references)
        return cls(
            contacts=contacts_by_address(addresses) if addresses else {},
            customers=customers_by_address(addresses) if addresses else {},
            messages={
                m.message_id: m
                for m in EmailMessage.objects.filter(message_id__in=refs).select_related("customer")
            }
            if refs
            else {},
            private=set(
                PrivateMessage.objects.filter(message_id__in=refs).values_list(
                    "message_id", flat=True
                )
            )
            if refs
            else set(),
        )


def message_file(
    *, parsed: Parsed, context: Context, uid=None, lookups: Lookups | None = None
) -> EmailMessage | None:
    """File `parsed` (not seen before) from `context.mailbox`; None when it stays out of the CRM.
    Runs in the sync's batch transaction."""
    if lookups is None:
        lookups = Lookups.of([parsed], context)
    mailbox = context.mailbox
    if parsed.bounce is not None and mailbox.kind == Mailbox.Kind.SHARED:
        return bounce_record(parsed=parsed, mailbox=mailbox)
    outbound = parsed.from_address in context.own_addresses
    everyone = [parsed.from_address, *parsed.to_addresses, *parsed.cc_addresses]
    if mailbox.kind == Mailbox.Kind.PERSONAL and any(context.is_private(a) for a in everyone):
        return None
    refs = parsed.thread_references
    if any(ref in lookups.private for ref in refs):
        PrivateMessage.objects.get_or_create(message_id=parsed.message_id)
        lookups.private.add(parsed.message_id)
        return None
    parent = next((lookups.messages[ref] for ref in refs if ref in lookups.messages), None)
    counterparts = _counterparts(parsed, outbound, context)
    contact = next((lookups.contacts[a] for a in counterparts if a in lookups.contacts), None)
    customer = parent.customer if parent is not None and parent.customer_id else None
    if customer is None and contact is not None:
        customer = contact.customer
    if customer is None:
        customer = next(
            (lookups.customers[a] for a in counterparts if a in lookups.customers), None
        )
    if contact is not None and customer is not None and contact.customer_id != customer.pk:
        contact = None
    message = EmailMessage(
        direction=EmailMessage.Direction.OUTBOUND if outbound else EmailMessage.Direction.INBOUND,
        status=EmailMessage.Status.FILED if customer else EmailMessage.Status.TRIAGE,
        customer=customer,
        contact_person=contact,
        process_instance_id=parent.process_instance_id if parent is not None else None,
        mailbox=mailbox,
        imap_uid=uid,
        message_id=parsed.message_id,
        in_reply_to=parsed.in_reply_to,
        references=_references_text(parsed.references),
        thread_id=parent.thread_id if parent is not None else parsed.message_id,
        from_address=parsed.from_address or "unknown@unknown.invalid",
        from_name=parsed.from_name,
        to_addresses=parsed.to_addresses,
        cc_addresses=parsed.cc_addresses,
        subject=parsed.subject,
        body_text=parsed.body_text,
        occurred_at=parsed.date,
        sent_at=parsed.date if outbound else None,
    )
    if customer is not None:
        message.interaction = _log(message, by=mailbox.owner)
    # Its links are rows just read, so the foreign keys are not looked up again; a message may
    # have no recipient we can read (Bcc, a broken To).
    message.full_clean(
        exclude=[
            "customer",
            "contact_person",
            "process_instance",
            "interaction",
            "mailbox",
            "to_addresses",
        ],
        validate_unique=False,
        validate_constraints=False,
    )
    message.save()
    lookups.messages[message.message_id] = message
    if customer is not None and not outbound and parsed.attachments:
        _store_attachments(message, parsed, by=mailbox.owner)
    return message


def _log(message: EmailMessage, *, by) -> Interaction:
    return interaction_log(
        customer=message.customer,
        by=by,
        channel=Interaction.Channel.EMAIL,
        direction=message.direction,
        subject=(message.subject or NO_SUBJECT)[:200],
        notes=message.body_text[: bounds.LONG_TEXT],
        occurred_at=message.occurred_at,
        contact_person=message.contact_person,
    )


def _store_attachments(message: EmailMessage, parsed: Parsed, *, by) -> None:
    """Attachments become the customer's documents, when their content is of an accepted type
    (relationships' upload checks); others are left in the mailbox."""
    for attachment in parsed.attachments:
        if not attachment.filename:
            continue
        try:
            with transaction.atomic():
                document = document_upload(
                    customer=message.customer,
                    by=by,
                    file=ContentFile(attachment.content, name=attachment.filename),
                    title=attachment.filename,
                )
        except ValidationError:
            continue
        message.attachments.add(document)


@transaction.atomic
def message_file_to_customer(
    *, message: EmailMessage, customer: Customer, contact: ContactPerson | None, by
) -> EmailMessage:
    """A triage message filed on `customer`'s timeline (triage's "attach" and "new customer")."""
    message = _lock_waiting(message)
    message.customer = customer
    message.contact_person = contact
    message.status = EmailMessage.Status.FILED
    message.interaction = _log(message, by=by)
    message.save(update_fields=["customer", "contact_person", "status", "interaction"])
    # Its thread's other waiting messages follow it.
    waiting = EmailMessage.objects.filter(
        thread_id=message.thread_id, status=EmailMessage.Status.TRIAGE
    ).exclude(pk=message.pk)
    for other in waiting.select_for_update():
        other.customer, other.status = customer, EmailMessage.Status.FILED
        other.contact_person = contact if other.from_address == message.from_address else None
        other.interaction = _log(other, by=by)
        other.save(update_fields=["customer", "contact_person", "status", "interaction"])
    return message


NOT_IN_TRIAGE = gettext_lazy("Someone else has already dealt with this message.")


def _lock_waiting(message: EmailMessage) -> EmailMessage:
    message = EmailMessage.objects.select_for_update().get(pk=message.pk)
    if message.status != EmailMessage.Status.TRIAGE:
        raise ValidationError(NOT_IN_TRIAGE, code="not_in_triage")
    return message


def _split_name(name: str, address: str) -> tuple[str, str]:
    words = (name or "").split()
    if len(words) >= 2:
        return " ".join(words[:-1])[:100], words[-1][:100]
    if words:
        return words[0][:100], "-"
    return address.partition("@")[0][:100] or "-", "-"


def _contact_for(*, customer: Customer, message: EmailMessage, by) -> ContactPerson:
    """The customer's contact person with the sender's address, created when missing."""
    address = message.from_address
    existing = ContactPerson.objects.filter(
        customer=customer, email=address, erased_at__isnull=True
    ).first()
    if existing is not None:
        return existing
    first, last = _split_name(message.from_name, address)
    return contact_person_save(
        contact=ContactPerson(
            customer=customer,
            first_name=first,
            last_name=last,
            email=address,
            language=language_for_country(customer.country),
        ),
        by=by,
    )


@transaction.atomic
def triage_attach(*, message: EmailMessage, customer: Customer, by) -> EmailMessage:
    """File a waiting message on an existing customer; its sender becomes a contact person of
    that customer when not one already. The caller checked `by` may change the customer."""
    message = _lock_waiting(message)
    contact = _contact_for(customer=customer, message=message, by=by)
    return message_file_to_customer(message=message, customer=customer, contact=contact, by=by)


@transaction.atomic
def triage_create_customer(
    *, message: EmailMessage, customer: Customer, by, duplicates_confirmed=False
) -> Customer:
    """A new customer whose first contact is this message (its date is the first contact's
    date), with the sender as its contact person, the message on its timeline."""
    message = _lock_waiting(message)
    customer.first_contact_on = timezone.localdate(message.occurred_at)
    if not customer.source:
        customer.source = Customer.Source.EMAIL
    if customer.kind == Customer.Kind.PERSON and not customer.email:
        customer.email = message.from_address
    customer = customer_register(
        customer=customer,
        first_contact={
            "channel": Interaction.Channel.EMAIL,
            "direction": message.direction,
            "subject": (message.subject or NO_SUBJECT)[:200],
            "notes": message.body_text[: bounds.LONG_TEXT],
            "occurred_at": message.occurred_at,
        },
        by=by,
        duplicates_confirmed=duplicates_confirmed,
    )
    contact = _contact_for(customer=customer, message=message, by=by)
    interaction = customer.interactions.get()
    Interaction.objects.filter(pk=interaction.pk).update(contact_person=contact)
    message.customer, message.contact_person = customer, contact
    message.status, message.interaction = EmailMessage.Status.FILED, interaction
    message.save(update_fields=["customer", "contact_person", "status", "interaction"])
    return customer


@transaction.atomic
def triage_dismiss(*, message: EmailMessage, by) -> EmailMessage:
    message = _lock_waiting(message)
    message.status = EmailMessage.Status.DISMISSED
    message.save(update_fields=["status"])
    return message


@transaction.atomic
def message_make_private(*, message: EmailMessage, by) -> PrivateMessage:
    """Remove a synced message from the CRM: its text, its timeline entry and the documents
    taken from it go; its Message-ID stays so that no mailbox files it (or a reply to it) again.
    Only synced messages: what the CRM sent itself is the customer's record."""
    message = EmailMessage.objects.select_for_update().get(pk=message.pk)
    if message.mailbox_id is None:
        raise ValidationError(
            _("Only messages filed from a mailbox can be made private."), code="not_synced"
        )
    private, _created = PrivateMessage.objects.get_or_create(
        message_id=message.message_id, defaults={"made_private_by": by}
    )
    documents = list(message.attachments.all())
    interaction = message.interaction
    message.attachments.clear()
    message.delete()
    if interaction is not None:
        interaction.delete()
    for document in documents:
        if not document.email_messages.exists():
            stored = document.file
            document.delete()
            transaction.on_commit(lambda stored=stored: stored.delete(save=False))
    return private
