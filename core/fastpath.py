"""Statements that the ORM builds and compiles once per process and that then run again and
again with new parameters: the fast path of the most requested pages. The one module of the
project that touches Django's private API; nothing here knows a domain model.

Why: the customer page runs a dozen querysets with a few joins each, all "the rows of X about
this customer". Building and compiling such a queryset costs the ORM 0.3 to 0.5 ms of CPU, more
than the database takes to run it, and counting six kinds of rows in one statement of correlated
subqueries cost 3 ms to compile against 0.1 ms to run. Here each is compiled once, around a
placeholder for the key (a primary key) and stand-ins for the dates that vary between calls;
a call only swaps in the real values and runs the SQL. On PostgreSQL they run on a cursor that
binds on the server, so psycopg prepares them after their fifth run on a connection
(`DB_PREPARE_THRESHOLD`) and PostgreSQL stops planning them anew: planning the page's joins took
it longer than running them.

`CompiledRows` gives what the queryset would give (model instances with their select_related()
objects, or values() dicts), `CompiledCounts` a dict of counts. A domain app subclasses them
naming the model whose primary key is the key (`customers.selectors.CustomerRows`).

The switch: with `settings.CRM_FAST_PATH` false (environment `CRM_FAST_PATH=false`) the same
calls build their querysets with the real key and run them as any other code would: the same
rows, types and order, the same number of queries, none of the internals below, at the cost of
the compile time on every call and of server-side preparing. It is read on every call, so a test
can flip it; tests/conftest.py's `fast_path` fixture runs a test both ways.

Django internals this relies on (written against Django 5.2):

- QuerySet: `_iterable_class`, `_prefetch_related_lookups`, `_known_related_objects`;
  `django.db.models.query.ModelIterable` and `ValuesIterable`, whose `__iter__` this repeats.
- Query: `get_compiler(using=)`, `sql_with_params()`, and the column names of a values() row:
  `selected` (new in 5.2; without it `extra_select`, `values_select`, `annotation_select`).
- SQLCompiler, filled by `as_sql()`: `select`, `klass_info`, `annotation_col_map`,
  `col_count`, and `get_converters()`, `has_composite_fields()`.
- `django.db.models.query.get_related_populators(klass_info, select, db)` and the
  `populate(row, obj)` of the RelatedPopulator objects it returns; `Model.from_db(db,
  field_names, values)` (documented, but its signature is compared too).
- The connection: `ops.adapt_datetimefield_value()` / `adapt_datefield_value()`,
  `ensure_connection()`, `validate_thread_sharing()`, `connection`, `timezone`,
  `queries_logged`, `make_cursor()`, `make_debug_cursor()`; and
  `django.db.backends.postgresql.psycopg_any.register_tzloader`.

After a Django upgrade:

1. `make check`: the system check core.E002 (below) compares the signatures of
   `get_related_populators` and `Model.from_db` with the ones this module calls. Django 6.1
   changes both (its fetch modes: `get_related_populators(klass_info, select, db, fetch_mode)`,
   `from_db(..., *, fetch_mode=None)`): pass the queryset's fetch mode through as 6.1's
   ModelIterable does, or set `CRM_FAST_PATH=false` until this module is updated.
2. On PostgreSQL and on SQLite: `pytest tests/core/test_fastpath.py` (every shape the callers
   use, compared with the plain ORM field by field and key by key, key order included), then the
   customer page's tests, which run both ways and compare the rendered HTML:
   `pytest tests/customers/test_customer_page.py tests/relationships/test_customer_file_page.py
   tests/processes/test_customer_page.py`.
"""

import inspect
from contextlib import contextmanager
from datetime import UTC, date, datetime

import psycopg
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core import checks
from django.db import connections, router
from django.db.backends.postgresql.psycopg_any import register_tzloader
from django.db.models import F, Func, Model, OuterRef, Subquery
from django.db.models.functions import Coalesce
from django.db.models.query import ModelIterable, ValuesIterable, get_related_populators
from psycopg.postgres import types as pg_types
from psycopg.pq import Format

# Stands for the key while a statement is compiled; no row has it. Within a 32-bit integer:
# Django finds a value out of an integer column's range matches nothing (auth_user's id).
_PLACEHOLDER = -2_073_409_121

# Stand for the moments while a statement is compiled; no row is dated then.
_MOMENTS = {
    datetime: datetime(1901, 2, 3, 4, 5, 6, 789012, tzinfo=UTC),
    date: date(1901, 2, 3),
}

# The parameters this module passes to the internals whose signatures may change (see core.E002).
_SIGNATURES = {
    "django.db.models.query.get_related_populators": (
        get_related_populators,
        ["klass_info", "select", "db"],
    ),
    "django.db.models.Model.from_db": (Model.from_db, ["db", "field_names", "values"]),
}


def enabled():
    return settings.CRM_FAST_PATH


@checks.register()
def check_internals(app_configs=None, **kwargs):
    """core.E002: an internal this module calls takes other parameters than it passes."""
    if not enabled():
        return []
    errors = []
    for name, (function, expected) in _SIGNATURES.items():
        found = list(inspect.signature(function).parameters)
        if found != expected:
            errors.append(
                checks.Error(
                    f"core.fastpath calls {name}({', '.join(expected)}), but this Django's takes "
                    f"({', '.join(found)}).",
                    hint="Update core/fastpath.py and run the tests its docstring names, or "
                    "set CRM_FAST_PATH=false to use plain querysets meanwhile.",
                    id="core.E002",
                )
            )
    return errors


_TIMESTAMPTZ_OID = pg_types["timestamptz"].oid


@contextmanager
def statement_cursor(connection):
    """A cursor for a statement run over and over with new parameters: on PostgreSQL one that
    binds its parameters on the server, so that psycopg prepares the statement after its fifth
    run on a connection. Django's other queries keep binding on the client, its default, and are
    never prepared; on other databases this is a plain cursor.
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


class _Keyed:
    """What both kinds share: the model whose primary key is the key, and routing a call."""

    model: type[Model]  # set by the subclass

    def _route(self, key):
        """(database alias, primary key) of `key`, an instance of `model` or its primary key."""
        if isinstance(key, self.model):
            return router.db_for_read(self.model, instance=key), key.pk
        return router.db_for_read(self.model), key


class CompiledCounts(_Keyed):
    """Counts of several kinds of rows about one key, in one statement of correlated subqueries.

    `querysets(key)` returns {name: a queryset of the rows to count, filtered by `key`, which
    stands for the key's primary key}; nothing else in them may vary between calls, since they
    are built only once. A call returns {name: count}.
    """

    def __init__(self, querysets):
        self._querysets = querysets
        self._compiled = {}

    def _counting(self, alias, pk):
        # One row of one column per kind; prefixed, as a name may be a reverse relation's
        # ("contracts"), which values() refuses as an alias.
        return (
            self.model._default_manager.using(alias)
            .filter(pk=pk)
            .values(
                **{
                    f"count_{name}": Coalesce(
                        Subquery(
                            queryset.order_by()
                            .annotate(n=Func(F("pk"), function="COUNT"))
                            .values("n")[:1]
                        ),
                        0,
                    )
                    for name, queryset in self._querysets(OuterRef("pk")).items()
                }
            )
        )

    def __call__(self, key):
        alias, pk = self._route(key)
        if not enabled():
            row = self._counting(alias, pk).first()
        else:
            if alias not in self._compiled:
                self._compiled[alias] = self._counting(alias, _PLACEHOLDER).query.sql_with_params()
            sql, params = self._compiled[alias]
            params = [pk if param == _PLACEHOLDER else param for param in params]
            with statement_cursor(connections[alias]) as cursor:
                cursor.execute(sql, params)
                values = cursor.fetchone()
                names = [column[0] for column in cursor.description]
            row = dict(zip(names, values, strict=True)) if values is not None else None
        if row is None:  # no such key: nothing about it
            return dict.fromkeys(self._querysets(OuterRef("pk")), 0)
        return {name.removeprefix("count_"): value for name, value in row.items()}


class CompiledRows(_Keyed):
    """The rows of one queryset about one key: model instances (with their select_related()
    objects) as the queryset would give them, or dicts if it is a values() queryset, in a list.

    `queryset(key, **moments)` returns the queryset, filtered by `key`, which stands for the
    key's primary key. A date or datetime that varies between calls (today, a cut-off) is named
    in `moments` with its type and passed to each call; nothing else in the queryset may vary
    (no user, no timezone.now()), since it is built only once. Not supported, and refused on the
    fast path: prefetch_related(), values_list(), a related manager's queryset.
    """

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
        stand_ins = {name: _MOMENTS[kind] for name, kind in self._moments.items()}
        queryset = self._queryset(_PLACEHOLDER, **stand_ins).using(alias)
        if queryset._prefetch_related_lookups:
            raise ValueError("CompiledRows cannot prefetch")
        if queryset._known_related_objects:
            raise ValueError("CompiledRows needs a model's queryset, not a related manager's")
        if queryset._iterable_class not in (ModelIterable, ValuesIterable):
            raise ValueError("CompiledRows gives model instances or values() dicts")
        query = queryset.query
        compiler = query.get_compiler(using=alias)
        # As in ModelIterable: compiling fills compiler.select and compiler.klass_info.
        sql, params = compiler.as_sql()
        adapted = {self._adapt(connection, value): name for name, value in stand_ins.items()}
        slots = []  # per parameter: "pk", a moment's name, or None for a constant
        for param in params:
            if param == _PLACEHOLDER:
                slots.append("pk")
            else:
                slots.append(adapted.get(param) if isinstance(param, str | date) else None)
        if set(stand_ins) - set(slots):
            raise ValueError("CompiledRows: a moment is not a parameter of the statement")
        select, klass_info = compiler.select, compiler.klass_info
        columns = [s[0] for s in select[: compiler.col_count]]
        if compiler.has_composite_fields(columns):
            raise ValueError("CompiledRows cannot read composite primary keys")
        prepared = {
            "sql": sql,
            "params": params,
            "slots": slots,
            "converters": list(compiler.get_converters(columns).items()),
        }
        if queryset._iterable_class is ValuesIterable:
            # Named as ValuesIterable names them: in the order values() was given its names
            # when the query keeps it, else extra(select=...), then fields, then annotations.
            prepared["names"] = (
                list(query.selected)
                if query.selected
                else [*query.extra_select, *query.values_select, *query.annotation_select]
            )
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

    def __call__(self, key, **moments):
        """`key`: an instance of `model`, or its primary key."""
        alias, pk = self._route(key)
        if not enabled():
            return list(self._queryset(pk, **moments).using(alias))
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


class UserRows(CompiledRows):
    """CompiledRows about one user (the user model of the settings): what every page reads of
    the user who asks for it, and the list tools' saved views and teams."""

    @property
    def model(self):
        return get_user_model()


class UserCounts(CompiledCounts):
    """CompiledCounts about one user (the navigation's bell)."""

    @property
    def model(self):
        return get_user_model()


class ModelCheck:
    """What `model(**values).full_clean(exclude=…, validate_unique=False,
    validate_constraints=False)` finds wrong with `values` (field names → values; no foreign
    keys), as the ValidationError's `error_dict`, for checking many rows of a file: the
    import's preview checks three records per row this way.

    Why: building a model instance runs through every field's default (0.2 of the import's
    preview), and most of a file's values repeat from row to row (cities, first names, dates,
    sources). Here the instance is made from a dict of the fields' defaults taken once, and
    a value that a field accepted is not checked again by that field (the fields whose
    `validate()` is Field's own, which looks at the value only; a foreign key's asks the
    database and is always run). What is remembered is only which values were valid, never
    an error (its message is in the language of the request); it is forgotten at midnight,
    since the date windows of core/bounds.py move with the day, and when it grows large.
    Then, as full_clean() does, the model's own `clean()` runs on the instance holding the
    cleaned values.

    With CRM_FAST_PATH false it is the model's full_clean() on a new instance, each time.
    Relies on: `Model.__new__` without `__init__`, the instance's `__dict__` holding each
    field's value under its attname, and `Model._state` (`django.db.models.base.ModelState`).
    """

    MEMO_SIZE = 50_000

    def __init__(self, model, *, exclude=()):
        from django.db.models import Field
        from django.db.models.expressions import DatabaseDefault

        self.model = model
        self.exclude = frozenset(exclude)
        self._database_default = DatabaseDefault
        self._fields = [
            (f, type(f).validate is Field.validate)
            for f in model._meta.fields
            if f.name not in self.exclude and not f.generated
        ]
        self._defaults = None
        self._callable_defaults = []
        self._valid = {}
        self._day = None

    def _prepare(self):
        defaults, per_instance = {}, []
        for f in self.model._meta.concrete_fields:
            if f.has_default() and callable(f.default):
                per_instance.append(f)
            else:
                defaults[f.attname] = f.get_default()
        self._defaults, self._callable_defaults = defaults, per_instance

    def __call__(self, values) -> dict:
        from django.core.exceptions import ValidationError
        from django.db.models.base import ModelState
        from django.utils import timezone

        if not enabled():
            try:
                self.model(**values).full_clean(
                    exclude=self.exclude, validate_unique=False, validate_constraints=False
                )
            except ValidationError as error:
                return error.update_error_dict({})
            return {}
        if self._defaults is None:
            self._prepare()
        today = timezone.localdate()
        if today != self._day or len(self._valid) > self.MEMO_SIZE:
            self._valid, self._day = {}, today
        instance = self.model.__new__(self.model)
        data = instance.__dict__
        data.update(self._defaults)
        for f in self._callable_defaults:
            data[f.attname] = f.get_default()
        data.update(values)
        instance._state = ModelState()
        errors = {}
        valid = self._valid
        for f, by_value in self._fields:
            raw = data[f.attname]
            if f.blank and raw in f.empty_values:
                continue
            if isinstance(raw, self._database_default):
                continue
            key = (f.name, raw) if by_value else None
            try:
                if key is not None and key in valid:
                    data[f.attname] = valid[key]
                    continue
            except TypeError:  # an unhashable value: checked every time
                key = None
            try:
                cleaned = f.clean(raw, instance)
            except ValidationError as error:
                errors[f.name] = error.error_list
                continue
            data[f.attname] = cleaned
            if key is not None:
                valid[key] = cleaned
        try:
            instance.clean()
        except ValidationError as error:
            errors = error.update_error_dict(errors)
        return errors
