"""SQL building blocks of the manager reports: percentiles computed by PostgreSQL
(percentile_cont) or, on SQLite, in Python from the values; JIT off for a report's queries; the
table lock of a job that rewrites a report table."""

from collections import defaultdict
from contextlib import contextmanager

from django.db import connection, connections, models, transaction

from core.db import replica


class PercentileCont(models.Aggregate):
    """PostgreSQL's continuous percentiles (linear interpolation between the closest values),
    several from one sort: a list with one value per fraction."""

    function = "percentile_cont"
    template = "%(function)s(ARRAY[%(fractions)s]) WITHIN GROUP (ORDER BY %(expressions)s)"
    output_field = models.Field()  # a list of floats or of durations, as the driver reads it

    def __init__(self, expression, fractions, **extra):
        listed = ", ".join(repr(float(fraction)) for fraction in fractions)
        super().__init__(expression, fractions=listed, **extra)


def percentile(values, fraction):
    """percentile_cont in Python: the same interpolation PostgreSQL does."""
    ordered = sorted(values)
    if not ordered:
        return None
    position = fraction * (len(ordered) - 1)
    low = int(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def percentiles(queryset, value, group_by, fractions=(0.5, 0.9)):
    """{group key: {fraction: percentile of `value`}} per group of `group_by` fields.

    One GROUP BY query on PostgreSQL; on SQLite (local use, small data) the values are read and
    the percentiles computed here. A group key is the tuple of the group fields' values.
    """
    if connection.vendor == "postgresql":
        rows = (
            queryset.order_by()
            .values(*group_by)
            .annotate(_percentiles=PercentileCont(value, fractions))
        )
        return {
            tuple(row[field] for field in group_by): dict(
                zip(fractions, row["_percentiles"], strict=True)
            )
            for row in rows
        }
    groups = defaultdict(list)
    for *key, measured in (
        queryset.order_by().annotate(_measured=value).values_list(*group_by, "_measured")
    ):
        if measured is not None:
            groups[tuple(key)].append(measured)
    return {
        key: {fraction: percentile(values, fraction) for fraction in fractions}
        for key, values in groups.items()
    }


def grouped(queryset, group_by, aggregates, *, percentile_of=None, fractions=(0.5, 0.9)):
    """Rows of `queryset.values(*group_by).annotate(**aggregates)`, each also carrying
    "p50", "p90", … of the `percentile_of` expression: in the same GROUP BY query on
    PostgreSQL, computed from the values on SQLite."""
    names = {fraction: f"p{round(fraction * 100)}" for fraction in fractions}
    postgres = connection.vendor == "postgresql"
    extra = {}
    if percentile_of is not None and postgres:
        extra = {"_percentiles": PercentileCont(percentile_of, fractions)}
    rows = list(queryset.order_by().values(*group_by).annotate(**aggregates, **extra))
    if percentile_of is None:
        return rows
    found = {} if postgres else percentiles(queryset, percentile_of, group_by, fractions)
    for row in rows:
        if postgres:
            values = dict(
                zip(fractions, row.pop("_percentiles") or [None] * len(fractions), strict=True)
            )
        else:
            values = found.get(tuple(row[field] for field in group_by), {})
        row.update({name: values.get(fraction) for fraction, name in names.items()})
    return rows


@contextmanager
def report_transaction():
    """A report's queries on PostgreSQL: without JIT (compiling a large aggregate takes longer
    than running it) and with room to sort a month of stage stays in memory. In the database
    the report reads (the read replica inside a report view, when it may serve it)."""
    if connection.vendor != "postgresql":
        yield
        return
    alias = replica.read_alias()
    with transaction.atomic(using=alias):
        with connections[alias].cursor() as cursor:
            # SET LOCAL both, in one round trip.
            cursor.execute(
                "SELECT set_config('jit', 'off', true), set_config('work_mem', '32MB', true)"
            )
        yield


def lock_for_rewrite(model):
    """Inside a transaction that replaces every row of `model`: make a second one (the nightly
    run meeting a manual one) wait for it, so their rows cannot end up side by side. Readers
    are not blocked and keep seeing the old rows until the commit. SQLite writes one at a time
    anyway."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(f"LOCK TABLE {model._meta.db_table} IN SHARE ROW EXCLUSIVE MODE")
