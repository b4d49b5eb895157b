"""What the global search (core.search) finds among deals and tickets: by title (a ticket's
subject is its process instance's title), or by number (`#123`, the instance's id).

The title is matched anywhere (`icontains`, UPPER(title) LIKE '%TERM%') through the trigram
GIN index on UPPER(title) (migration 0011), the number through the primary key: both branches
have an index, so the planner combines them. No ORDER BY: the hits fetched are ranked by last
activity in Python (core.search explains why).
"""

from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from core import search
from core.search import SearchKind

from .models import ProcessDefinition, ProcessInstance
from .permissions import VIEW_PROCESSES

Kind = ProcessDefinition.Kind
MAX_ID = 2**63 - 1


def _condition(term):
    condition = Q(pk__in=[])
    if search.allows_substring(term):
        condition |= Q(title__icontains=term)
    number = term.removeprefix("#")
    if number.isascii() and number.isdigit() and int(number) <= MAX_ID:
        condition |= Q(pk=int(number))
    return condition


def _find(kind, term, user, limit):
    hits = (
        ProcessInstance.objects.visible_to(user)
        .filter(_condition(term), definition__kind=kind)
        .select_related("customer", "stage", "definition")
        .order_by()[:limit]
    )
    return sorted(hits, key=lambda i: (i.closed_at is not None, -i.last_activity_at.timestamp()))


def find_deals(term, *, user, limit):
    return _find(Kind.SALES, term, user, limit)


def find_tickets(term, *, user, limit):
    return _find(Kind.SUPPORT, term, user, limit)


def register():
    search.register(
        SearchKind(
            key="deals",
            label=_("Deals"),
            order=50,
            permission=VIEW_PROCESSES,
            find=find_deals,
            template="processes/_search_instance.html",
            more_url=search.list_url("processes:instance_list", kind=Kind.SALES),
        )
    )
    search.register(
        SearchKind(
            key="tickets",
            label=_("Tickets"),
            order=60,
            permission=VIEW_PROCESSES,
            find=find_tickets,
            template="processes/_search_instance.html",
            more_url=search.list_url("processes:ticket_list"),
        )
    )
