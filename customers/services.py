"""Writes to the customer identity: customer details, contact persons and the duplicate guard."""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.integrity import save_or_raise_validation, unique_error
from core.locks import lock_keys

from .models import ContactPerson, Customer, phone_key
from .selectors import find_duplicates

POSSIBLE_DUPLICATE_MESSAGE = _(
    "This customer looks like one we already know (see the matches). Open the existing "
    "customer, or confirm that this is a different one."
)


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
    for name, value in data.items():
        setattr(customer, name, value)
    customer.full_clean()
    save_or_raise_validation(customer)
    if segments is not None:
        customer.segments.set(segments)
    return customer


@transaction.atomic
def contact_person_save(*, contact: ContactPerson) -> ContactPerson:
    """Create or update a contact person; making one primary demotes the previous primary.

    Consent carries its date: giving consent stamps it, withdrawing clears it.
    """
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
    return contact
