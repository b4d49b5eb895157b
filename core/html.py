"""HTML built in Python for the most rendered markup (the customer list's rows, the filter bars'
options): Django's format_html() and conditional_escape() with the same result, at a fraction of
their cost. format_html() sends each value through escape()'s lazy-string wrapper; a page of 25
customer rows passes it some 400 values, and the filter bar some 80 options."""

import html

from django.utils.functional import Promise
from django.utils.safestring import SafeString, mark_safe


def escaped(value) -> str:
    """What conditional_escape(value) gives: HTML as it is, anything else escaped."""
    if isinstance(value, Promise):
        value = str(value)
    if hasattr(value, "__html__"):
        return value.__html__()
    return html.escape(str(value))


def format_html(format_string: str, *args) -> SafeString:
    """django.utils.html.format_html() with positional arguments."""
    return mark_safe(format_string.format(*map(escaped, args)))
