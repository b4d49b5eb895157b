"""A new customer from its first contact: the "New customer" page's service.

It lives here, not in customers, because registering a customer also starts its relationship
and logs its first contact, and customers sits below relationships."""

from django.db import transaction
from django.utils import timezone

from core import events
from core.integrity import save_or_raise_validation
from customers.models import Customer
from customers.services import customer_guard_duplicates

from ..models import Relationship
from .interactions import interaction_log
from .relationships import _sync_customer_status


@transaction.atomic
def customer_register(
    *,
    customer: Customer,
    segments=(),
    relationship_kind=Relationship.Kind.LASTING,
    first_contact: dict,
    by,
    duplicates_confirmed=False,
) -> Customer:
    """A new customer, from its first contact: the customer, its relationship and that contact.

    A customer that looks like a known one is refused (customers.services.PossibleDuplicate)
    unless `duplicates_confirmed`; one with a known tax id always is.
    """
    customer.created_by = by
    if customer.owner_id is None:
        customer.owner = by
    # The field checks first (they normalise the tax id and e-mail the guard locks on), the
    # guard, then the constraints: by then a parallel twin is committed and visible.
    customer.full_clean(validate_constraints=False)
    customer_guard_duplicates(customer=customer, confirmed=duplicates_confirmed)
    customer.validate_constraints()
    save_or_raise_validation(customer)
    customer.segments.set(segments)
    relationship = Relationship(
        customer=customer,
        kind=relationship_kind,
        started_on=customer.first_contact_on,
        started_by=by,
    )
    relationship.full_clean()
    relationship.save()
    _sync_customer_status(customer=customer, relationship=relationship)
    first_contact = {"occurred_at": timezone.now(), **first_contact}
    interaction_log(customer=customer, by=by, **first_contact)
    events.publish(
        events.CUSTOMER_CREATED,
        instance=customer,
        key=f"customer:{customer.pk}",
        data={
            "customer_id": customer.pk,
            "display_name": customer.display_name,
            "kind": customer.kind,
            "email": customer.email,
            "phone": customer.phone,
            "tax_id": customer.tax_id,
            "source": customer.source,
            "owner_id": customer.owner_id,
            "relationship_id": relationship.pk,
            "relationship_kind": relationship.kind,
            "first_contact_on": events.iso(customer.first_contact_on),
        },
    )
    return customer
