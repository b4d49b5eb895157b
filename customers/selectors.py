from dataclasses import dataclass, field

from django.db import connections, router
from django.db.models import F, Func, OuterRef, Q, Subquery
from django.db.models.functions import Coalesce
from django.db.models.query import get_related_populators

from .models import (
    ContactPerson,
    Customer,
    Segment,
    normalize_tax_id,
    phone_digits,
    phone_key,
)


@dataclass
class DuplicateMatch:
    customer: Customer
    reasons: list = field(default_factory=list)


def find_duplicates(*, tax_id="", email="", phone="", display_name="", exclude_pk=None, limit=10):
    """Existing customers that look like the one described, with why each one matched.

    Matches on tax id, e-mail and phone of the customer or of any of its contact persons, and on
    the exact display name (case-insensitive). Each lookup uses an index.
    """
    from django.utils.translation import gettext as _

    matches: dict[int, DuplicateMatch] = {}

    def add(customers, reason):
        for customer in customers:
            matches.setdefault(customer.pk, DuplicateMatch(customer)).reasons.append(reason)

    base = Customer.objects.select_related("owner")
    if exclude_pk:
        base = base.exclude(pk=exclude_pk)
    tax_id = normalize_tax_id(tax_id)
    if tax_id:
        add(base.filter(tax_id=tax_id)[:limit], _("same tax id"))
    email = (email or "").strip().lower()
    if email:
        contact_ids = ContactPerson.objects.filter(email=email)
        add(
            base.filter(Q(email=email) | Q(pk__in=contact_ids.values("customer_id"))).distinct()[
                :limit
            ],
            _("same e-mail"),
        )
    key = phone_key(phone)
    if key:
        contact_ids = ContactPerson.objects.filter(phone_key=key)
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


def global_search(term, *, limit=10):
    """Customers and contact persons by name, tax id, e-mail or phone, for the navbar search box."""
    term = (term or "").strip()
    if len(term) < 2:
        return [], []
    customers = list(Customer.objects.search(term).select_related("owner")[:limit])
    digits, key = phone_digits(term), phone_key(term)
    contact_q = Q(last_name__icontains=term) | Q(first_name__icontains=term) | Q(email__iexact=term)
    if " " in term:
        first, _, last = term.partition(" ")
        contact_q |= Q(first_name__iexact=first, last_name__icontains=last.strip())
    if key:
        contact_q |= Q(phone_key=key)
    elif len(digits) >= 6:
        contact_q |= Q(phone_digits__endswith=digits)
    contacts = list(ContactPerson.objects.filter(contact_q).select_related("customer")[:limit])
    return customers, contacts


class CustomerCounts:
    """Counts of several kinds of rows about one customer, in one statement of correlated
    subqueries that the ORM builds and compiles once per process.

    The customer page counts what its panels hold on every request: building six Subquery
    expressions and compiling them took the ORM about 3 ms of CPU, running them the database
    0.1 ms. `querysets(customer)` returns {name: a queryset of the rows to count, filtered by
    `customer`, which stands for the customer's primary key}; nothing else in them may vary
    between calls, since they are built only once.
    """

    # Stands for the customer's id while the statement is compiled; no customer has it.
    _PLACEHOLDER = -7_340_912_111

    def __init__(self, querysets):
        self._querysets = querysets
        self._compiled = {}

    def _compile(self, alias):
        outer = OuterRef("pk")
        query = (
            Customer.objects.using(alias)
            .filter(pk=self._PLACEHOLDER)
            .values(
                **{
                    # Prefixed: a name may be a reverse relation's ("contracts"), which
                    # values() refuses as an alias.
                    f"count_{name}": Coalesce(
                        Subquery(
                            queryset.order_by()
                            .annotate(n=Func(F("pk"), function="COUNT"))
                            .values("n")[:1]
                        ),
                        0,
                    )
                    for name, queryset in self._querysets(outer).items()
                }
            )
        )
        return query.query.sql_with_params()

    def __call__(self, customer):
        alias = router.db_for_read(Customer, instance=customer)
        if alias not in self._compiled:
            self._compiled[alias] = self._compile(alias)
        sql, params = self._compiled[alias]
        params = [customer.pk if param == self._PLACEHOLDER else param for param in params]
        with connections[alias].cursor() as cursor:
            cursor.execute(sql, params)
            names = [column[0].removeprefix("count_") for column in cursor.description]
            return dict(zip(names, cursor.fetchone(), strict=True))


class CustomerRows:
    """The rows of one queryset about one customer, as model instances (with their
    select_related() objects), from a statement that the ORM builds and compiles once per process.

    Building and compiling a queryset with a few joins costs the ORM 0.3 to 0.5 ms of CPU, more than
    the database takes to run it; the customer page ran a dozen of them on every request.
    `queryset(customer)` returns the queryset, filtered by `customer`, which stands for the
    customer's primary key; as with CustomerCounts nothing else in it may vary between calls (no
    dates, no user), since it is built only once. prefetch_related() is not supported.
    """

    def __init__(self, queryset):
        self._queryset = queryset
        self._prepared = {}

    def _prepare(self, alias):
        queryset = self._queryset(CustomerCounts._PLACEHOLDER).using(alias)
        if queryset._prefetch_related_lookups:
            raise ValueError("CustomerRows cannot prefetch")
        compiler = queryset.query.get_compiler(using=alias)
        # As in ModelIterable: compiling fills compiler.select and compiler.klass_info.
        sql, params = compiler.as_sql()
        select, klass_info = compiler.select, compiler.klass_info
        fields = klass_info["select_fields"]
        start, end = fields[0], fields[-1] + 1
        converters = compiler.get_converters([s[0] for s in select[: compiler.col_count]])
        return {
            "sql": sql,
            "params": params,
            "model": klass_info["model"],
            "fields": (start, end),
            "init_list": [f[0].target.attname for f in select[start:end]],
            "populators": get_related_populators(klass_info, select, alias),
            "annotations": dict(compiler.annotation_col_map or {}),
            "converters": list(converters.items()),
        }

    def __call__(self, customer):
        alias = router.db_for_read(Customer, instance=customer)
        if alias not in self._prepared:
            self._prepared[alias] = self._prepare(alias)
        prepared = self._prepared[alias]
        params = [
            customer.pk if param == CustomerCounts._PLACEHOLDER else param
            for param in prepared["params"]
        ]
        connection = connections[alias]
        with connection.cursor() as cursor:
            cursor.execute(prepared["sql"], params)
            rows = cursor.fetchall()
        model, (start, end), init_list = (
            prepared["model"],
            prepared["fields"],
            prepared["init_list"],
        )
        converters, populators = prepared["converters"], prepared["populators"]
        annotations = prepared["annotations"].items()
        objects = []
        for row in rows:
            if converters:
                row = list(row)
                for pos, (functions, expression) in converters:
                    value = row[pos]
                    for function in functions:
                        value = function(value, expression, connection)
                    row[pos] = value
            obj = model.from_db(alias, init_list, row[start:end])
            for populator in populators:
                populator.populate(row, obj)
            for name, pos in annotations:
                setattr(obj, name, row[pos])
            objects.append(obj)
        return objects


_fetch_contacts = CustomerRows(lambda customer: ContactPerson.objects.filter(customer=customer))
_fetch_segments = CustomerRows(lambda customer: Segment.objects.filter(customers=customer))


def customer_contacts(customer):
    """The customer's contact persons, active or not, fetched once per customer object: the
    customer page lists them and its interaction form offers the active ones."""
    if not hasattr(customer, "_contacts_cache"):
        customer._contacts_cache = _fetch_contacts(customer)
    return customer._contacts_cache


def customer_segments(customer):
    return _fetch_segments(customer)
