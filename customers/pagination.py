"""Pagination that stays fast on tables of millions of rows (used by every big list).

Two costs grow with the table under Django's plain Paginator: COUNT(*) over every matching row,
and OFFSET, which makes the database read and throw away every row before the page. Here the
count stops at a cap (the page then says "more than N"), and a page is fetched as a deferred
join: first the page's primary keys (an index-only scan for the indexed sorts), then those rows.
"""

from functools import cached_property

from django.core.paginator import Page, Paginator


class LargeTablePaginator(Paginator):
    count_cap = 10_000

    @cached_property
    def count(self):
        capped = self.object_list.order_by()[: self.count_cap + 1]
        return capped.count()

    @property
    def count_is_capped(self):
        return self.count > self.count_cap

    def page(self, number):
        number = self.validate_number(number)
        bottom = (number - 1) * self.per_page
        top = bottom + self.per_page
        if top + self.orphans >= self.count:
            top = self.count
        ids = list(self.object_list.values_list("pk", flat=True)[bottom:top])
        rows = {obj.pk: obj for obj in self.object_list.order_by().filter(pk__in=ids)}
        return Page([rows[pk] for pk in ids if pk in rows], number, self)
