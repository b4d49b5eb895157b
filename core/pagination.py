"""Pagination that stays fast on tables of millions of rows (used by every big list).

Two costs grow with the table under Django's plain Paginator: COUNT(*) over every matching row,
and OFFSET, which makes the database read and throw away every row before the page. Here the
count stops at a cap (the page then says "more than N"), and a page is fetched as a deferred
join: the page's primary keys (an index-only scan for the indexed sorts) in a subquery, the
rows in the same statement.

A list with few matches (at most `few_rows`) is paged by its matches' primary keys instead, which
PostgreSQL's count statement returns beside the count at no extra cost. Asked for "the first 25
in name order where the name contains X", PostgreSQL may walk the name index in order and test
every row, which is fast when many rows match and slow when few do; it picks that plan whenever
its estimate of the matches is too high (a substring's estimate comes from ANALYZE's random
sample, so the plan changed between two analyses of the same table: 39 real matches estimated
at 971 made a searched list read 60,796 rows, 98 ms at 100k). Given the matches' keys, it
looks those rows up and sorts them, whatever it estimates.
"""

import hashlib
from functools import cached_property

from django.core.cache import cache
from django.core.paginator import Page, Paginator
from django.db import DEFAULT_DB_ALIAS, connections
from django.db.models import F

from .db import replica


class LargeTablePaginator(Paginator):
    count_cap = 10_000
    # A count that reached the cap only says "more than count_cap", which stays true until
    # thousands of rows go; it is remembered for this many seconds, so that a busy list (every
    # unfiltered one, on a large database) skips counting. Counts below the cap are always exact.
    capped_count_seconds = 60
    # A list with at most this many matches is paged by their primary keys (see above).
    few_rows = 500
    # The primary keys of every match, when the count found at most few_rows of them.
    _matching_pks = None

    @cached_property
    def count(self):
        # The matches' keys, as far as the cap: counted, and returned when they are few.
        keys = self.object_list.order_by().values(page_pk=F("pk"))[: self.count_cap + 1]
        sql, params = keys.query.sql_with_params()
        key = "capped-count:" + hashlib.sha256(f"{keys.db}|{sql}|{params!r}".encode()).hexdigest()
        if cache.get(key):
            return self.count_cap + 1
        # From the read replica when there is one and it may serve the request (core.db.replica).
        with replica.reads():
            count = self._count_and_few_pks(keys, sql, params)
        if count > self.count_cap:
            cache.set(key, True, self.capped_count_seconds)
        return count

    def _count_and_few_pks(self, keys, sql, params):
        """The capped count and, on PostgreSQL's primary, the matches' keys if they are few
        (`sql`, `params`: the compiled `keys`).

        Not from a replica: the page's rows come from the primary, and a list paged by keys a
        replica gave would miss the rows it has not received yet.
        """
        alias = keys.db
        connection = connections[alias]
        if connection.vendor != "postgresql" or alias != DEFAULT_DB_ALIAS:
            return keys.count()
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT count(*), (array_agg(page_pk))[1:%s] FROM ({sql}) AS capped",
                (self.few_rows, *params),
            )
            count, pks = cursor.fetchone()
        if count <= self.few_rows:
            self._matching_pks = pks or []
        return count

    @property
    def count_is_capped(self):
        return self.count > self.count_cap

    def page(self, number):
        number = self.validate_number(number)
        bottom = (number - 1) * self.per_page
        top = bottom + self.per_page
        if top + self.orphans >= self.count:
            # The last page, orphans included, as far as the rows go: not cut at the count, which
            # may come from a read replica a moment behind (core.db.replica).
            top += self.orphans
        if self._matching_pks is not None:
            rows = self.object_list.filter(pk__in=self._matching_pks)[bottom:top]
            return Page(list(rows), number, self)
        ids = self.object_list.values("pk")[bottom:top]
        return Page(list(self.object_list.filter(pk__in=ids)), number, self)
