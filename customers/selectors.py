from dataclasses import dataclass, field

from django.db.models import Q

from core import fastpath
from core.memo import per_object

from .models import (
    ContactPerson,
    Customer,
    Segment,
    normalize_tax_id,
    phone_key,
)


@dataclass
class DuplicateMatch:
    customer: Customer
    reasons: list = field(default_factory=list)


def find_duplicates(*, tax_id="", email="", phone="", display_name="", exclude_pk=None, limit=10):
    """Existing customers that look like the one described, with why each one matched.

    Matches on tax id, e-mail and phone of the customer or of any of its contact persons, and on
    the exact display name (case-insensitive). Each lookup uses an index. Erased customers and
    persons are left out.
    """
    from django.utils.translation import gettext as _

    matches: dict[int, DuplicateMatch] = {}

    def add(customers, reason):
        for customer in customers:
            matches.setdefault(customer.pk, DuplicateMatch(customer)).reasons.append(reason)

    # An erased person is nobody we know any more, and a merged customer lives on in its
    # survivor: neither is offered as a match.
    base = Customer.objects.current().select_related("owner").filter(erased_at__isnull=True)
    live_contacts = ContactPerson.objects.filter(erased_at__isnull=True)
    if exclude_pk:
        base = base.exclude(pk=exclude_pk)
    tax_id = normalize_tax_id(tax_id)
    if tax_id:
        add(base.filter(tax_id=tax_id)[:limit], _("same tax id"))
    email = (email or "").strip().lower()
    if email:
        contact_ids = live_contacts.filter(email=email)
        add(
            base.filter(Q(email=email) | Q(pk__in=contact_ids.values("customer_id"))).distinct()[
                :limit
            ],
            _("same e-mail"),
        )
    key = phone_key(phone)
    if key:
        contact_ids = live_contacts.filter(phone_key=key)
        add(
            base.filter(Q(phone_key=key) | Q(pk__in=contact_ids.values("customer_id"))).distinct()[
                :limit
            ],
            _("same phone"),
        )
    name = (display_name or "").strip()
    if name:
        add(base.filter(display_name__iexact=name)[:limit], _("same name"))
    return list(matches.values())[:limit]


class CustomerRows(fastpath.CompiledRows):
    """The rows of one queryset about one customer, from a statement compiled once per process
    (core.fastpath): `CustomerRows(lambda customer: ...)`, where `customer` stands for the
    customer's primary key, called with a Customer or its primary key."""

    model = Customer


class CustomerCounts(fastpath.CompiledCounts):
    """Counts of several kinds of rows about one customer, in one statement compiled once per
    process (core.fastpath)."""

    model = Customer


_fetch_contacts = CustomerRows(lambda customer: ContactPerson.objects.filter(customer=customer))
_fetch_segments = CustomerRows(lambda customer: Segment.objects.filter(customers=customer))


@per_object
def customer_contacts(customer):
    """The customer's contact persons, active or not, fetched once per customer object: the
    customer page lists them and its interaction form offers the active ones."""
    return _fetch_contacts(customer)


def customer_segments(customer):
    return _fetch_segments(customer)
