"""Values remembered on the object they are about, for as long as that object lives.

Several parts of a page may ask for the same rows about one record: the customer page's header,
side panel and timeline all read the customer's relationships. Fetched once per customer object,
they cost one query per request, and a record fetched anew (the next request) starts afresh, so
nothing outlives a change. Every such value lives in ONE dict on the object, under `ATTRIBUTE`
in its `__dict__`, keyed by the function that computed it (and its further arguments), so two
modules never collide and a debugger finds them all in one place.

    @per_object
    def relationships(customer):
        return list(customer.relationships.all())

The decorated function's first argument is the object; further arguments must be hashable and
are part of the key (`rows(customer, "invoices")` and `rows(customer, "payments")` are two
values). The object must have a `__dict__` (model instances do).
"""

from functools import wraps

ATTRIBUTE = "_memo"


def per_object(function):
    """`function(obj, *args)` computed once per object and arguments, remembered on `obj`."""

    @wraps(function)
    def remembered(obj, *args):
        memo = obj.__dict__.setdefault(ATTRIBUTE, {})
        key = (remembered, *args)
        if key not in memo:
            memo[key] = function(obj, *args)
        return memo[key]

    return remembered
