"""What privacy adds to the customer page: the person's data (export, erasure) panel, shown
only to a user who may do one of them with this customer (privacy.access decides the same)."""

from core import visibility
from core.permissions import can
from customers.customer_page import register_section
from customers.models import Customer
from customers.selectors import customer_contacts

from .permissions import ERASE_PERSONAL_DATA, EXPORT_PERSONAL_DATA


def _context(request, customer):
    may_export = can(request.user, EXPORT_PERSONAL_DATA) and visibility.can_edit_owner(
        request.user, customer.owner_id
    )
    return {
        "customer": customer,
        "is_person": customer.kind == Customer.Kind.PERSON,
        "may_export": may_export,
        "may_erase": can(request.user, ERASE_PERSONAL_DATA),
        # The same contacts the page lists (fetched once per customer object).
        "contacts": customer_contacts(customer),
    }


register_section(slot="side", order=90, template="privacy/_personal_data.html", context=_context)
