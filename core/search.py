"""Global search: the navigation bar's one box, finding every kind of record the user may see.

The box belongs to `customers` (its page is `customers:search`), but most of what it finds lives
in the apps above it (contracts and invoices in `relationships`, deals and tickets in
`processes`), which `customers` may not import. So each app registers its kinds here, in its
AppConfig.ready() (from its own `search.py`), and the search asks every kind the user may see
(`can(user, kind.permission)`) for a bounded number of hits: one query per kind, each served by
an index on PostgreSQL at any size (README "Global search").

A kind's `find(term, *, user, limit)` returns at most `limit` hits among the records `user`
sees (core.visibility), in one query, ordered as the kind likes. It must not ORDER BY what no
index serves: a common word matches tens of thousands of rows, and sorting them all to show
five is what made the old search slow; rank the few rows fetched in Python instead.
"""

import re
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import urlencode

from django.urls import reverse

from .bounds import SEARCH_TERM_MAX_LENGTH
from .permissions import can

MIN_LENGTH = 2
# Substring matches (names, titles) need a run of three letters or digits: the trigram index
# looks up the trigrams inside the term's words, and a term without such a run ("C-1-1", "ab")
# gives only the padded one- and two-character ones, which half the rows contain, so the index
# would hand every one of them to be checked (70 ms at 100k for "C-1-1" before this rule).
# Exact and prefix matches (numbers, e-mails, tax ids, phones) work from MIN_LENGTH.
SUBSTRING_RUN = re.compile(r"[^\W_]{3}")

DROPDOWN_LIMIT = 5
PAGE_LIMIT = 20
KIND_PAGE_LIMIT = 100  # one kind alone (its "more" link where it has no list of its own)


@dataclass(frozen=True)
class SearchKind:
    key: str  # in URLs (?kind=invoices) and element ids
    label: object  # the group's heading (lazy translation)
    order: int  # the groups' order on the page
    permission: object  # core.permissions.Permission the user needs to see this kind at all
    find: Callable  # (term, *, user, limit) -> list of hits
    template: str  # renders one hit, given as `hit`
    more_url: Callable | None = None  # (term) -> its list filtered by the term; None: ?kind=
    url: Callable = lambda hit: hit.get_absolute_url()  # the page a hit opens


@dataclass(frozen=True)
class Group:
    kind: SearchKind
    hits: list
    has_more: bool
    more_url: str


_kinds: dict[str, SearchKind] = {}


def list_url(url_name, **filters):
    """A kind's "more" link: the list `url_name` searched for the term (and `filters`)."""
    return lambda term: f"{reverse(url_name)}?{urlencode({**filters, 'q': term})}"


def register(kind: SearchKind):
    """Add a kind of record to the global search (ready() may run twice: registered once)."""
    _kinds[kind.key] = kind


def kinds_for(user):
    return [k for k in sorted(_kinds.values(), key=lambda k: k.order) if can(user, k.permission)]


def clean_term(raw):
    """The term as searched, or "" when there is nothing to search for (too short, too long:
    a term over the bound is refused rather than cut, so nobody is shown a wrong match)."""
    term = " ".join((raw or "").split())
    if not MIN_LENGTH <= len(term) <= SEARCH_TERM_MAX_LENGTH:
        return ""
    return term


def allows_substring(term):
    return SUBSTRING_RUN.search(term) is not None


def search(term, *, user, limit, only=None, more_url_base=""):
    """The groups of hits for `term`, one per kind the user may see (or just `only`, a kind's
    key), each with at most `limit` hits and whether there are more. One query per kind."""
    term = clean_term(term)
    groups = []
    if not term:
        return groups
    for kind in kinds_for(user):
        if only and kind.key != only:
            continue
        hits = list(kind.find(term, user=user, limit=limit + 1))
        if kind.more_url is not None:
            more = kind.more_url(term)
        else:
            more = f"{more_url_base}?{urlencode({'q': term, 'kind': kind.key})}"
        groups.append(Group(kind, hits[:limit], len(hits) > limit, more))
    return groups


def kind_keys():
    return set(_kinds)
