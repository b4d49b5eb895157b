"""What the global search (core.search) finds among customers and contact persons.

Each kind is one query whose every OR branch has an index on PostgreSQL, so the planner
combines them (BitmapOr) instead of scanning the table: names through the trigram GIN indexes
on UPPER(name) (migration 0004, what `icontains` compiles to), e-mails by equality with the
stored, lower-cased column (clean() lower-cases it; `iexact` would compile to UPPER(email) =
…, which no index serves, and made the old search scan every contact person), tax ids through
the unique index, phones through the nine-digit phone key. No ORDER BY: the hits fetched are
ranked in Python (see core.search).
"""

from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from core import search
from core.search import SearchKind

from .models import ContactPerson, Customer, normalize_tax_id, phone_key
from .permissions import VIEW_CUSTOMERS


def _email(term):
    return term.lower() if "@" in term else ""


def _rank(hits, term, *names):
    """Exact matches first, then names starting with the term, then by name."""
    lowered = term.lower()

    def key(hit):
        values = [(getattr(hit, name) or "").lower() for name in names]
        return (
            not any(v == lowered for v in values),
            not any(v.startswith(lowered) for v in values),
            values[0],
            hit.pk,
        )

    return sorted(hits, key=key)


def find_customers(term, *, user, limit):
    condition = Q(pk__in=[])
    if search.allows_substring(term):
        condition |= Q(display_name__icontains=term) | Q(legal_name__icontains=term)
    if email := _email(term):
        condition |= Q(email=email)
    if tax_id := normalize_tax_id(term):
        condition |= Q(tax_id=tax_id)
    if key := phone_key(term):
        condition |= Q(phone_key=key)
    hits = (
        Customer.objects.visible_to(user)
        .current()
        .filter(condition)
        .select_related("owner")
        .order_by()[:limit]
    )
    return _rank(list(hits), term, "display_name", "legal_name")


def find_contacts(term, *, user, limit):
    condition = Q(pk__in=[])
    if search.allows_substring(term):
        condition |= Q(last_name__icontains=term) | Q(first_name__icontains=term)
        first, _space, last = term.partition(" ")
        if search.allows_substring(last):
            # "Jan Kowalski": the last name's trigram index finds the rows, the first name
            # is checked on them.
            condition |= Q(first_name__iexact=first, last_name__icontains=last)
    if email := _email(term):
        condition |= Q(email=email)
    if key := phone_key(term):
        condition |= Q(phone_key=key)
    hits = (
        ContactPerson.objects.visible_to(user)
        .filter(condition, merged_into__isnull=True, erased_at__isnull=True)
        .select_related("customer")
        .order_by()[:limit]
    )
    return _rank(list(hits), term, "last_name", "first_name")


def register():
    search.register(
        SearchKind(
            key="customers",
            label=_("Customers"),
            order=10,
            permission=VIEW_CUSTOMERS,
            find=find_customers,
            template="customers/_search_customer.html",
            more_url=search.list_url("customers:list"),
        )
    )
    search.register(
        SearchKind(
            key="contacts",
            label=_("Contact persons"),
            order=20,
            permission=VIEW_CUSTOMERS,
            find=find_contacts,
            template="customers/_search_contact.html",
            url=lambda contact: contact.customer.get_absolute_url(),
        )
    )
