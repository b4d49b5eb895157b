"""What privacy adds to the customer page: the person's data (export, erasure) panel."""

from customers.customer_page import register_section
from customers.models import Customer
from customers.selectors import customer_contacts


def _context(request, customer):
    return {
        "customer": customer,
        "is_person": customer.kind == Customer.Kind.PERSON,
        # The same contacts the page lists (fetched once per customer object).
        "contacts": customer_contacts(customer),
    }


register_section(slot="side", order=90, template="privacy/_personal_data.html", context=_context)
