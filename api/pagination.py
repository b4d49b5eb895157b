"""Cursor pagination: a page is found by where the previous one ended, not by an offset, so a
deep page costs what the first does and rows added meanwhile are neither repeated nor skipped."""

from django.conf import settings
from rest_framework.pagination import CursorPagination


class StableCursorPagination(CursorPagination):
    """The list's order (?ordering=, else the view's default), then the id as a tie-breaker in
    the same direction, so that rows sharing a value (two customers named alike) keep one order
    from page to page."""

    ordering = "-id"
    page_size_query_param = "page_size"

    def __init__(self):
        self.page_size = settings.API_PAGE_SIZE
        self.max_page_size = settings.API_MAX_PAGE_SIZE

    def get_ordering(self, request, queryset, view):
        ordering = list(super().get_ordering(request, queryset, view))
        if not any(field.lstrip("-") in ("id", "pk") for field in ordering):
            ordering.append("-id" if ordering[0].startswith("-") else "id")
        return tuple(ordering)
