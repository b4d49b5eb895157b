"""What the global search (core.search) finds among contracts and invoices: by number.

A number is matched from its start, case-insensitively (`istartswith`, which compiles to
UPPER(number) LIKE 'TERM%' on PostgreSQL), through a b-tree index on UPPER(number) with
text_pattern_ops (migration 0013), read in its own order so LIMIT stops after the first hits
whatever the table's size. Contracts need only the customer permission, invoices the finance
one (`relationships.view_finance`): a user without it sees no invoice group at all.
"""

from django.db.models.functions import Upper
from django.utils.translation import gettext_lazy as _

from core import search
from core.search import SearchKind
from customers.permissions import VIEW_CUSTOMERS

from .models import Contract, Invoice
from .permissions import VIEW_FINANCE


def find_contracts(term, *, user, limit):
    return list(
        Contract.objects.visible_to(user)
        .filter(number__istartswith=term)
        .select_related("customer")
        .order_by(Upper("number"))[:limit]
    )


def find_invoices(term, *, user, limit):
    return list(
        Invoice.objects.visible_to(user)
        .filter(number__istartswith=term)
        .select_related("customer")
        .order_by(Upper("number"))[:limit]
    )


def register():
    search.register(
        SearchKind(
            key="contracts",
            label=_("Contracts"),
            order=30,
            permission=VIEW_CUSTOMERS,
            find=find_contracts,
            template="relationships/_search_contract.html",
            more_url=search.list_url("relationships:contract_list"),
        )
    )
    search.register(
        SearchKind(
            key="invoices",
            label=_("Invoices"),
            order=40,
            permission=VIEW_FINANCE,
            find=find_invoices,
            template="relationships/_search_invoice.html",
            more_url=search.list_url("relationships:invoice_list"),
        )
    )
