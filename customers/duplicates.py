"""Finding likely duplicate customers, for the suggestions list and the customer page's hint.

Suggestions are computed per customer (`duplicates_find`: a handful of index look-ups) and
stored as DuplicateSuggestion pairs, never by a self-join of the whole table per page view: the
nightly job (`duplicates_scan`, customers.tasks.find_duplicate_customers) runs it for the
customers created or changed since the day before, the "Look for duplicates" button on a
customer's page runs it for that one at once, and `manage.py find_duplicates --all` runs it for
every customer (a first installation, an import). A pair someone dismissed ("not duplicates")
stays dismissed: finding it again changes nothing.

What makes a pair: the same tax id, the same e-mail or the same phone (the last nine digits),
each on the customer or any of its contact persons; and on PostgreSQL a similar name (pg_trgm
similarity of at least DUPLICATE_NAME_SIMILARITY, served by the trigram index of the search).
Merged customers are left out.
"""

from dataclasses import dataclass, field
from datetime import timedelta

from django.db import connection, models, transaction
from django.db.models import Q
from django.db.models.functions import Cast, Upper
from django.utils import timezone

from .models import ContactPerson, Customer, DuplicateSuggestion

# pg_trgm similarity of two names from which they count as "similar" (0-1). "Acme Sp. z o.o."
# and "ACME sp z oo" are about 0.6; unrelated names of one trade ("Acme Consulting", "Beta
# Consulting") stay under 0.5.
DUPLICATE_NAME_SIMILARITY = 0.6
PER_CUSTOMER_LIMIT = 10
Reason = DuplicateSuggestion.Reason


class _TrigramMatch(models.Func):
    """`UPPER(display_name::text) % UPPER(term)`: the operator the trigram GIN index serves."""

    arg_joiner = " %% "
    template = "%(expressions)s"
    output_field = models.BooleanField()
    conditional = True


class _Similarity(models.Func):
    function = "similarity"
    output_field = models.FloatField()


@dataclass
class Candidate:
    pk: int
    reasons: list = field(default_factory=list)
    similarity: float | None = None


def _name_expression():
    return Upper(Cast("display_name", models.TextField()))


def duplicates_find(customer) -> list[Candidate]:
    """The customers that look like `customer`, with why; each look-up uses an index."""
    found: dict[int, Candidate] = {}
    base = Customer.objects.current().exclude(pk=customer.pk)

    def add(pks, reason):
        for pk in pks:
            candidate = found.setdefault(pk, Candidate(pk))
            if reason not in candidate.reasons:
                candidate.reasons.append(reason)

    def ids(queryset):
        return list(queryset.values_list("pk", flat=True)[:PER_CUSTOMER_LIMIT])

    if customer.tax_id:
        add(ids(base.filter(tax_id=customer.tax_id)), Reason.TAX_ID)
    contacts = list(
        ContactPerson.objects.filter(customer=customer).values_list("email", "phone_key")
    )
    emails = {e for e in [customer.email, *(c[0] for c in contacts)] if e}
    keys = {k for k in [customer.phone_key, *(c[1] for c in contacts)] if k}
    if emails:
        by_contact = ContactPerson.objects.filter(email__in=emails).values("customer_id")
        add(ids(base.filter(Q(email__in=emails) | Q(pk__in=by_contact))), Reason.EMAIL)
    if keys:
        by_contact = ContactPerson.objects.filter(phone_key__in=keys).values("customer_id")
        add(ids(base.filter(Q(phone_key__in=keys) | Q(pk__in=by_contact))), Reason.PHONE)
    name = (customer.display_name or "").strip()
    if name and connection.vendor == "postgresql":
        term = Upper(models.Value(name, output_field=models.TextField()))
        similar = (
            base.filter(_TrigramMatch(_name_expression(), term))
            .annotate(similarity=_Similarity(_name_expression(), term))
            .filter(similarity__gte=DUPLICATE_NAME_SIMILARITY)
            .order_by("-similarity")
            .values_list("pk", "similarity")[:PER_CUSTOMER_LIMIT]
        )
        for pk, similarity in similar:
            add([pk], Reason.NAME)
            found[pk].similarity = round(similarity, 3)
    elif name:
        add(ids(base.filter(display_name__iexact=name)), Reason.NAME)
    return list(found.values())


@transaction.atomic
def duplicates_record(*, customer) -> int:
    """Stores the pairs `duplicates_find` gives for `customer`; answers how many are new. A pair
    already stored keeps its dismissal, and takes the reasons found now."""
    new = 0
    for candidate in duplicates_find(customer):
        first, second = sorted((customer.pk, candidate.pk))
        suggestion, created = DuplicateSuggestion.objects.get_or_create(
            first_id=first,
            second_id=second,
            defaults={"reasons": candidate.reasons, "similarity": candidate.similarity},
        )
        if created:
            new += 1
        elif set(suggestion.reasons) != set(candidate.reasons):
            suggestion.reasons = sorted(set(suggestion.reasons) | set(candidate.reasons))
            suggestion.similarity = candidate.similarity or suggestion.similarity
            suggestion.save(update_fields=["reasons", "similarity"])
    return new


def duplicates_scan(*, since=None, batch=500) -> dict:
    """`duplicates_record` for every customer changed since `since` (None: every customer), in
    batches of ids so the job's memory and transactions stay small."""
    customers = Customer.objects.current()
    if since is not None:
        customers = customers.filter(updated_at__gte=since)
    scanned = new = 0
    last = 0
    while True:
        chunk = list(customers.filter(pk__gt=last).order_by("pk")[:batch])
        if not chunk:
            break
        for customer in chunk:
            new += duplicates_record(customer=customer)
        scanned += len(chunk)
        last = chunk[-1].pk
    return {"scanned": scanned, "new": new}


def duplicates_scan_recent() -> dict:
    """The nightly run: customers created or changed in the last two days (a night's run
    missed is caught up by the next)."""
    return duplicates_scan(since=timezone.now() - timedelta(days=2))


def duplicate_dismiss(*, suggestion, by):
    DuplicateSuggestion.objects.filter(pk=suggestion.pk).update(
        dismissed_at=timezone.now(), dismissed_by=by
    )


def pending_for(customer):
    """The pairs nobody dismissed that name `customer` (a Customer or its pk; its page's hint)."""
    return DuplicateSuggestion.objects.filter(
        Q(first=customer) | Q(second=customer), dismissed_at__isnull=True
    )
