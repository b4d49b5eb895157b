"""SQL building blocks of the manager reports: durations in seconds on every database, and
percentiles computed by PostgreSQL (percentile_cont) or, on SQLite, in Python from the values."""

from collections import defaultdict

from django.db import connection, models


class EpochSeconds(models.Func):
    """Seconds since 1970 of a datetime expression, so durations are plain numbers."""

    output_field = models.FloatField()

    def as_postgresql(self, compiler, conn, **extra):
        return self.as_sql(
            compiler,
            conn,
            template="EXTRACT(EPOCH FROM %(expressions)s)::double precision",
            **extra,
        )

    def as_sqlite(self, compiler, conn, **extra):
        return self.as_sql(
            compiler, conn, template="((julianday(%(expressions)s) - 2440587.5) * 86400.0)", **extra
        )


def seconds_between(start, end):
    """`end - start` in seconds (a float expression)."""
    if isinstance(start, str):
        start = models.F(start)
    if isinstance(end, str):
        end = models.F(end)
    return models.ExpressionWrapper(
        EpochSeconds(end) - EpochSeconds(start), output_field=models.FloatField()
    )


class PercentileCont(models.Aggregate):
    """PostgreSQL's continuous percentile (linear interpolation between the closest values)."""

    function = "percentile_cont"
    template = "%(function)s(%(fraction)s) WITHIN GROUP (ORDER BY %(expressions)s)"
    output_field = models.FloatField()

    def __init__(self, expression, fraction, **extra):
        super().__init__(expression, fraction=float(fraction), **extra)


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
        names = {fraction: f"p{round(fraction * 1000)}" for fraction in fractions}
        rows = (
            queryset.order_by()
            .values(*group_by)
            .annotate(**{name: PercentileCont(value, fraction) for fraction, name in names.items()})
        )
        return {
            tuple(row[field] for field in group_by): {
                fraction: row[name] for fraction, name in names.items()
            }
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
