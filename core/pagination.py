"""Pagination that stays fast on tables of millions of rows (used by every big list).

Two costs grow with the table under Django's plain Paginator: COUNT(*) over every matching row,
and OFFSET, which makes the database read and throw away every row before the page. Here the
count stops at a cap (the page then says "more than N"), and a page is fetched as a deferred
join: the page's primary keys (an index-only scan for the indexed sorts) in a subquery, the
rows in the same statement.
"""

import hashlib
from functools import cached_property

from django.core.cache import cache
from django.core.paginator import Page, Paginator

from .db import replica


class LargeTablePaginator(Paginator):
    count_cap = 10_000
    # A count that reached the cap only says "more than count_cap", which stays true until
    # thousands of rows go; it is remembered for this many seconds, so that a busy list (every
    # unfiltered one, on a large database) skips counting. Counts below the cap are always exact.
    capped_count_seconds = 60

    @cached_property
    def count(self):
        capped = self.object_list.order_by()[: self.count_cap + 1]
        sql, params = capped.query.sql_with_params()
        key = "capped-count:" + hashlib.sha256(f"{capped.db}|{sql}|{params!r}".encode()).hexdigest()
        if cache.get(key):
            return self.count_cap + 1
        # From the read replica when there is one and it may serve the request (core.db.replica).
        with replica.reads():
            count = capped.count()
        if count > self.count_cap:
            cache.set(key, True, self.capped_count_seconds)
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
        ids = self.object_list.values("pk")[bottom:top]
        return Page(list(self.object_list.filter(pk__in=ids)), number, self)
