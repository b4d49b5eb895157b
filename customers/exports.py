"""The customer list's rows (core.lists) and its export's columns (core.exports), read with
values_list()."""

from django.utils.translation import gettext_lazy as _

from core.exports import AMOUNT, DATE, DATETIME, NUMBER, Column
from core.lists import ListRows

from .filters import CustomerFilter
from .models import Customer

CUSTOMER_COLUMNS = [
    Column(_("Id"), "id", NUMBER),
    Column(_("Name"), "display_name"),
    Column(_("Kind"), "kind", choices=Customer.Kind),
    Column(_("Legal name"), "legal_name"),
    Column(_("Tax id"), "tax_id"),
    Column(_("E-mail"), "email"),
    Column(_("Phone"), "phone"),
    Column(_("Street"), "street"),
    Column(_("Postal code"), "postal_code"),
    Column(_("City"), "city"),
    Column(_("Country"), "country"),
    Column(_("Status"), "status", choices=Customer.Status),
    Column(_("Relationship kind"), "relationship_kind", choices=Customer.RelationshipKind),
    Column(_("Source"), "source", choices=Customer.Source),
    Column(_("Owner"), "owner__username"),
    Column(_("Grade"), "value__grade"),  # A to D: the letter is the grade's name in every language
    Column(_("Lifetime value"), "value__ltv", AMOUNT),
    Column(_("Value currency"), "value__ltv_currency"),
    Column(_("Payment reliability"), "value__payment_reliability", NUMBER),
    Column(_("First contact"), "first_contact_on", DATE),
    Column(_("Last contact"), "last_contact_at", DATETIME),
]


def customer_rows(user, params, *, request):
    """The customer list as `user` sees it with these filters (the page and the export)."""
    customer_filter = CustomerFilter(
        params,
        queryset=Customer.objects.visible_to(user).current().for_list(),
        request=request,
    )
    return ListRows(customer_filter, CUSTOMER_COLUMNS)
