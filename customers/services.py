"""Writes to the customer identity: customer details, contact persons and the duplicate guard."""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core import lists, visibility
from core.integrity import save_or_raise_validation, unique_error
from core.locks import lock_keys
from core.users import staff_users

from .models import (
    ConsentEvent,
    ConsentPurpose,
    ConsentState,
    ContactPerson,
    Customer,
    phone_key,
)
from .selectors import find_duplicates

POSSIBLE_DUPLICATE_MESSAGE = _(
    "This customer looks like one we already know (see the matches). Open the existing "
    "customer, or confirm that this is a different one."
)


ERASED_MESSAGE = _("This person's data was erased; it cannot be changed any more.")


class PossibleDuplicate(ValidationError):
    """A new customer looks like the existing ones in `matches` (see `find_duplicates`)."""

    def __init__(self, matches):
        super().__init__(POSSIBLE_DUPLICATE_MESSAGE, code="possible_duplicate")
        self.matches = matches


def _duplicate_keys(customer: Customer) -> list[str]:
    """What two twins share: the values `find_duplicates` matches on, as the lock keys."""
    name = (customer.display_name or "").strip().lower()
    return [
        f"customer:tax_id:{customer.tax_id}" if customer.tax_id else "",
        f"customer:email:{customer.email}" if customer.email else "",
        f"customer:phone:{key}" if (key := phone_key(customer.phone)) else "",
        f"customer:name:{name}" if name else "",
    ]


def customer_guard_duplicates(*, customer: Customer, confirmed: bool = False) -> None:
    """Refuse a new customer that has a twin: the same tax id always, the same e-mail, phone or
    name unless the user `confirmed` it is another customer (PossibleDuplicate, with the matches).

    Checking and then inserting let five simultaneous posts make five twins. The locks on the
    customer's keys, held until the caller's transaction ends, make a parallel registration of
    a look-alike wait here until this one is committed, and then find it. Call it inside the
    transaction that saves the customer, after `clean()` normalised its tax id and e-mail.
    """
    lock_keys(*_duplicate_keys(customer))
    if customer.tax_id and (
        Customer.objects.current().filter(tax_id=customer.tax_id).exclude(pk=customer.pk).exists()
    ):
        raise unique_error(customer, "customer_tax_id_unique_when_given")
    if confirmed:
        return
    matches = find_duplicates(
        email=customer.email,
        phone=customer.phone,
        display_name=customer.display_name,
        exclude_pk=customer.pk,
    )
    if matches:
        raise PossibleDuplicate(matches)


@transaction.atomic
def customer_update(*, customer: Customer, data: dict, segments=None) -> Customer:
    if customer.erased_at is not None:
        raise ValidationError(ERASED_MESSAGE, code="erased")
    for name, value in data.items():
        setattr(customer, name, value)
    customer.full_clean()
    save_or_raise_validation(customer)
    if segments is not None:
        customer.segments.set(segments)
    return customer


@transaction.atomic
def contact_person_save(*, contact: ContactPerson, by=None) -> ContactPerson:
    """Create or update a contact person; making one primary demotes the previous primary.

    Consent carries its date: giving consent stamps it, withdrawing clears it. The checkbox is
    the default purpose's consent, so a change of it is an event in the consent history,
    recorded by `by` through the form.
    """
    stored = (
        ContactPerson.objects.filter(pk=contact.pk).values_list("marketing_consent", flat=True)
        if contact.pk
        else []
    )
    consent_changed = contact.marketing_consent != (stored[0] if stored else False)
    if contact.erased_at is not None or contact.customer.erased_at is not None:
        raise ValidationError(ERASED_MESSAGE, code="erased")
    if contact.marketing_consent and not contact.marketing_consent_at:
        contact.marketing_consent_at = timezone.now()
    if not contact.marketing_consent:
        contact.marketing_consent_at = None
    if contact.is_primary:
        # Two people making someone primary at once: locking the customer row makes the second
        # wait, then demote the first one's choice, as if they had saved one after the other.
        # (Locking only the current primary left nothing to lock when there was none.)
        Customer.objects.select_for_update().filter(pk=contact.customer_id).first()
        others = ContactPerson.objects.filter(
            customer_id=contact.customer_id, is_primary=True
        ).exclude(pk=contact.pk)
        for other in others:
            other.is_primary = False
            other.save(update_fields=["is_primary"])
    contact.full_clean()
    save_or_raise_validation(contact, fields={"one_primary_contact_per_customer": "is_primary"})
    default = ConsentPurpose.objects.filter(is_default=True).first()
    if consent_changed and default is not None:
        _consent_append(
            contact=contact,
            purpose=default,
            given=contact.marketing_consent,
            source=ConsentEvent.Source.FORM,
            by=by,
            at=contact.marketing_consent_at or timezone.now(),
        )
    return contact


def _consent_append(*, contact, purpose, given, source, by=None, by_person=False, at=None):
    """One event in the history and the current state that follows from it."""
    event = ConsentEvent(
        contact=contact,
        purpose=purpose,
        given=given,
        at=at or timezone.now(),
        source=source,
        wording=purpose.wording,
        by_person=by_person,
        recorded_by=by if by is not None and by.is_authenticated else None,
    )
    event.full_clean()
    event.save()
    ConsentState.objects.update_or_create(
        contact=contact,
        purpose=purpose,
        defaults={"given": given, "since": event.at, "event": event},
    )
    return event


@transaction.atomic
def consent_record(
    *, contact, purpose, given, source, by=None, by_person=False, at=None
) -> ConsentEvent:
    """The person gave or withdrew consent to `purpose`: appended to the history (with the
    purpose's wording as shown), the current state follows; for the default purpose, the contact
    person's marketing checkbox and its date follow too."""
    # Two people recording the same person's consent at once: the second waits, then appends
    # after the first, so the current state is the later event.
    locked = ContactPerson.objects.select_for_update().filter(pk=contact.pk).first()
    if locked is None or locked.erased_at is not None:
        raise ValidationError(ERASED_MESSAGE, code="erased")
    if not purpose.active and given:
        raise ValidationError(
            {"purpose": _("This purpose is no longer offered.")}, code="inactive_purpose"
        )
    event = _consent_append(
        contact=contact,
        purpose=purpose,
        given=given,
        source=source,
        by=by,
        by_person=by_person,
        at=at,
    )
    if purpose.is_default:
        locked.marketing_consent = given
        locked.marketing_consent_at = event.at if given else None
        locked.full_clean()
        locked.save(update_fields=["marketing_consent", "marketing_consent_at"])
        contact.marketing_consent = locked.marketing_consent
        contact.marketing_consent_at = locked.marketing_consent_at
    return event


# --- Bulk actions on the customer list (core.lists) -----------------------------------------


def _bulk_customers(customers, by):
    """The selected customers, locked, each one `by` may change (else nothing is changed)."""
    rows = lists.bulk_rows(customers.current())
    lists.refuse_uneditable(
        rows,
        lambda customer: (
            customer.erased_at is None and visibility.can_edit_owner(by, customer.owner_id)
        ),
        describe=lambda customer: customer.display_name,
    )
    return rows


def _check_owner(owner):
    if owner is None or not staff_users().filter(pk=owner.pk).exists():
        raise ValidationError({"owner": _("Choose an active member of staff as the owner.")})


@transaction.atomic
def customer_bulk_assign(*, customers, owner, by) -> int:
    """Gives every selected customer to `owner`: all of them or (when one of them is not `by`'s
    to change, or there are too many) none. Each change is in the customer's audit, the action
    in one audit line. Returns how many customers changed owner."""
    _check_owner(owner)
    rows = _bulk_customers(customers, by)
    changed = [customer for customer in rows if customer.owner_id != owner.pk]
    now = timezone.now()
    for customer in changed:
        customer.owner = owner
        customer.updated_at = now
        customer.save(update_fields=["owner", "updated_at"])
    lists.record_bulk(
        action="customer_bulk_assign",
        by=by,
        model=Customer,
        ids=[customer.pk for customer in rows],
        owner=owner.get_username(),
        changed=len(changed),
    )
    return len(changed)


@transaction.atomic
def customer_bulk_segment(*, customers, segment, add: bool, by) -> int:
    """Adds every selected customer to `segment` (or, `add=False`, takes them out of it), all or
    none, in one audit line. Returns how many memberships changed."""
    if segment is None:
        raise ValidationError({"segment": _("Choose a segment.")})
    rows = _bulk_customers(customers, by)
    ids = [customer.pk for customer in rows]
    membership = Customer.segments.through.objects
    current = set(
        membership.filter(segment=segment, customer_id__in=ids).values_list(
            "customer_id", flat=True
        )
    )
    if add:
        new = [membership.model(customer_id=pk, segment=segment) for pk in ids if pk not in current]
        membership.bulk_create(new, ignore_conflicts=True)
        changed = len(new)
    else:
        changed, _deleted = membership.filter(segment=segment, customer_id__in=current).delete()
    lists.record_bulk(
        action="customer_bulk_segment_add" if add else "customer_bulk_segment_remove",
        by=by,
        model=Customer,
        ids=ids,
        segment=segment.name,
        changed=changed,
    )
    return changed
