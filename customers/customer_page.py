"""The customer page ("360"): the customer's details, and the sections, timeline and history that
the apps above register in their AppConfig.ready() (the machinery is `core.pages`).

relationships add the status header, the quick interaction form, contracts, invoices, payments,
payouts, equipment, documents and their timeline entries; processes add open processes, tickets
and tasks; analytics add the customer's value to the header.
"""

from django.db.models import F

from core import visibility
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
_fetch_pending_duplicates = CustomerRows(
    lambda customer: pending_for(customer).annotate(
        first_owner_id=F("first__owner_id"), second_owner_id=F("second__owner_id")
    )[:3]
)


def duplicates_hint(request, customer):
    """The possible duplicates nobody dismissed, for those who may merge them: both customers
    must be theirs to change, as the merge screen requires (one indexed query, none when this
    customer is not theirs)."""
    from .permissions import MERGE_CUSTOMERS

    user = request.user
    if not can(user, MERGE_CUSTOMERS) or not visibility.can_edit_owner(user, customer.owner_id):
        return {"suggestions": []}
    suggestions = [
        suggestion
        for suggestion in _fetch_pending_duplicates(customer)
        if visibility.can_edit_owner(user, suggestion.first_owner_id)
        and visibility.can_edit_owner(user, suggestion.second_owner_id)
    ]
    return {"customer": customer, "suggestions": suggestions}
