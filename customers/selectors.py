from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime

import psycopg
from django.db import connections, router
from django.db.backends.postgresql.psycopg_any import register_tzloader
from django.db.models import F, Func, OuterRef, Q, Subquery
from django.db.models.functions import Coalesce
from django.db.models.query import ModelIterable, ValuesIterable, get_related_populators
from psycopg.postgres import types as pg_types
from psycopg.pq import Format

from .models import (
    SEARCH_TERM_MAX_LENGTH,
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
    if not 2 <= len(term) <= SEARCH_TERM_MAX_LENGTH:
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


_TIMESTAMPTZ_OID = pg_types["timestamptz"].oid


@contextmanager
def statement_cursor(connection):
    """A cursor for a statement run over and over with new parameters, as the compiled
    statements below are: on PostgreSQL one that binds its parameters on the server, so that
    psycopg prepares the statement after its fifth run on a connection and PostgreSQL stops
    planning it anew. Planning the customer page's joins took the server longer than running
    them (2.4 ms against 0.2 ms for the process moves). Django's other queries keep binding on
    the client, its default; elsewhere this is a plain cursor.
    """
    if connection.vendor != "postgresql":
        with connection.cursor() as cursor:
            yield cursor
        return
    connection.ensure_connection()
    connection.validate_thread_sharing()
    raw = psycopg.Cursor(connection.connection)
    # As Django's own cursors: the connection's time zone unless the connection disagrees.
    tzloader = connection.connection.adapters.get_loader(_TIMESTAMPTZ_OID, Format.TEXT)
    if connection.timezone != tzloader.timezone:
        register_tzloader(connection.timezone, raw)
    cursor = (
        connection.make_debug_cursor(raw)
        if connection.queries_logged
        else connection.make_cursor(raw)
    )
    with cursor:
        yield cursor


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
        with statement_cursor(connections[alias]) as cursor:
            cursor.execute(sql, params)
            names = [column[0].removeprefix("count_") for column in cursor.description]
            return dict(zip(names, cursor.fetchone(), strict=True))


class CustomerRows:
    """The rows of one queryset about one customer, from a statement that the ORM builds and
    compiles once per process: model instances (with their select_related() objects) as the
    queryset would give them, or dicts if it is a values() queryset.

    Building and compiling a queryset with a few joins costs the ORM 0.3 to 0.5 ms of CPU, more
    than the database takes to run it; the customer page ran a dozen of them on every request.
    `queryset(customer, **moments)` returns the queryset, filtered by `customer`, which stands
    for the customer's primary key. A date or datetime that varies between calls (today, a
    cut-off) is named in `moments` with its type and passed to each call; nothing else in the
    queryset may vary (no user, no timezone.now()), since it is built only once.
    prefetch_related() is not supported.
    """

    # Stand for the moments while the statement is compiled; no row is dated then.
    _MOMENTS = {
        datetime: datetime(1901, 2, 3, 4, 5, 6, 789012, tzinfo=UTC),
        date: date(1901, 2, 3),
    }

    def __init__(self, queryset, **moments):
        self._queryset = queryset
        self._moments = moments  # {name: date or datetime}
        self._prepared = {}

    @staticmethod
    def _adapt(connection, value):
        # What the fields' get_db_prep_value() make of a moment (a string on SQLite).
        if isinstance(value, datetime):
            return connection.ops.adapt_datetimefield_value(value)
        if isinstance(value, date):
            return connection.ops.adapt_datefield_value(value)
        return value

    def _prepare(self, alias):
        connection = connections[alias]
        stand_ins = {name: self._MOMENTS[kind] for name, kind in self._moments.items()}
        queryset = self._queryset(CustomerCounts._PLACEHOLDER, **stand_ins).using(alias)
        if queryset._prefetch_related_lookups:
            raise ValueError("CustomerRows cannot prefetch")
        if queryset._iterable_class not in (ModelIterable, ValuesIterable):
            raise ValueError("CustomerRows gives model instances or values() dicts")
        compiler = queryset.query.get_compiler(using=alias)
        # As in ModelIterable: compiling fills compiler.select and compiler.klass_info.
        sql, params = compiler.as_sql()
        adapted = {self._adapt(connection, value): name for name, value in stand_ins.items()}
        slots = []  # per parameter: "pk", a moment's name, or None for a constant
        for param in params:
            if param == CustomerCounts._PLACEHOLDER:
                slots.append("pk")
            else:
                slots.append(adapted.get(param) if isinstance(param, str | date) else None)
        if set(stand_ins) - set(slots):
            raise ValueError("CustomerRows: a moment is not a parameter of the statement")
        select, klass_info = compiler.select, compiler.klass_info
        converters = compiler.get_converters([s[0] for s in select[: compiler.col_count]])
        prepared = {
            "sql": sql,
            "params": params,
            "slots": slots,
            "converters": list(converters.items()),
        }
        if queryset._iterable_class is ValuesIterable:  # named as ValuesIterable names them
            query = queryset.query
            prepared["names"] = [
                *query.extra_select,
                *query.values_select,
                *query.annotation_select,
            ]
            return prepared
        fields = klass_info["select_fields"]
        start, end = fields[0], fields[-1] + 1
        prepared.update(
            model=klass_info["model"],
            fields=(start, end),
            init_list=[f[0].target.attname for f in select[start:end]],
            populators=get_related_populators(klass_info, select, alias),
            annotations=dict(compiler.annotation_col_map or {}),
        )
        return prepared

    def __call__(self, customer, **moments):
        """`customer`: a Customer, or a customer's primary key."""
        if isinstance(customer, Customer):
            alias, pk = router.db_for_read(Customer, instance=customer), customer.pk
        else:
            alias, pk = router.db_for_read(Customer), customer
        if alias not in self._prepared:
            self._prepared[alias] = self._prepare(alias)
        prepared = self._prepared[alias]
        connection = connections[alias]
        params = [
            param
            if slot is None
            else pk
            if slot == "pk"
            else self._adapt(connection, moments[slot])
            for param, slot in zip(prepared["params"], prepared["slots"], strict=True)
        ]
        with statement_cursor(connection) as cursor:
            cursor.execute(prepared["sql"], params)
            rows = cursor.fetchall()
        converters = prepared["converters"]
        if converters:
            rows = [list(row) for row in rows]
            for row in rows:
                for pos, (functions, expression) in converters:
                    value = row[pos]
                    for function in functions:
                        value = function(value, expression, connection)
                    row[pos] = value
        if "names" in prepared:
            names = prepared["names"]
            return [dict(zip(names, row, strict=True)) for row in rows]
        model, (start, end), init_list = (
            prepared["model"],
            prepared["fields"],
            prepared["init_list"],
        )
        populators, annotations = prepared["populators"], prepared["annotations"].items()
        objects = []
        for row in rows:
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
