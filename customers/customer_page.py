"""The customer page ("360"): the customer's details, and the sections, timeline and history that
the apps above register in their AppConfig.ready() (the machinery is `core.pages`).

relationships add the status header, the quick interaction form, contracts, invoices, payments,
payouts, equipment, documents and their timeline entries; processes add open processes, tickets
and tasks; analytics add the customer's value to the header.
"""

from core.pages import PageRegistry
from core.permissions import can

from .duplicates import pending_for
from .selectors import CustomerRows

customer_page = PageRegistry("customer page", slots=("header", "main", "side"))

register_section = customer_page.register_section
register_timeline_source = customer_page.register_timeline_source
register_history_source = customer_page.register_history_source
sections_for = customer_page.sections_for
timeline_for = customer_page.timeline_for
history_querysets = customer_page.history_querysets


# The page is the most requested one: its hint's statement is compiled once per process.
_fetch_pending_duplicates = CustomerRows(lambda customer: pending_for(customer)[:3])


def duplicates_hint(request, customer):
    """The possible duplicates nobody dismissed, for those who may merge (one indexed query)."""
    from .permissions import MERGE_CUSTOMERS

    if not can(request.user, MERGE_CUSTOMERS):
        return {"suggestions": []}
    return {"customer": customer, "suggestions": _fetch_pending_duplicates(customer)}
