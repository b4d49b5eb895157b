"""Writes to the customer identity: customer details and contact persons."""

from django.db import transaction
from django.utils import timezone

from .models import ContactPerson, Customer


@transaction.atomic
def customer_update(*, customer: Customer, data: dict, segments=None) -> Customer:
    for name, value in data.items():
        setattr(customer, name, value)
    customer.full_clean()
    customer.save()
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
        # Lock the customer's contacts so two concurrent saves cannot both leave a primary.
        others = (
            ContactPerson.objects.select_for_update()
            .filter(customer_id=contact.customer_id, is_primary=True)
            .exclude(pk=contact.pk)
        )
        for other in others:
            other.is_primary = False
            other.save(update_fields=["is_primary"])
    contact.full_clean()
    contact.save()
    return contact
