"""The customer page is composed of sections and a timeline that each app registers.

Apps higher in the stack (relationships, processes, analytics) cannot be imported from here, so
they register what they add to the customer page in their AppConfig.ready(). The page then asks
each source for its part: adding contracts or tickets later never rewrites the page.
"""

import heapq
import inspect
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime

SLOTS = ("header", "main", "side")


@dataclass(frozen=True)
class Section:
    slot: str
    order: int
    template: str
    context: Callable  # (request, customer) -> dict


@dataclass(order=True)
class TimelineEntry:
    """One thing that happened; `template` renders it with `entry.obj` in the context.

    A source whose entries fill most timelines may give no template and `render` instead: a
    function of the entry returning its HTML, a fraction of the cost of an included template.
    """

    when: datetime
    kind: str = field(compare=False)
    template: str | None = field(compare=False)
    obj: object = field(compare=False)
    # Breaks ties between entries known only by their date: a relationship's start (-1) is the
    # first thing that happened on its day, whatever else is dated that day.
    rank: int = 0
    render: Callable | None = field(default=None, compare=False)

    @property
    def html(self):
        return self.render(self)


_sections: list[Section] = []
_timeline_sources: list[Callable] = []
_sources_taking_since: set[Callable] = set()
_history_sources: list[Callable] = []


def register_section(*, slot, order, template, context):
    if slot not in SLOTS:
        raise ValueError(f"Unknown customer page slot {slot!r}")
    if any(s.template == template for s in _sections):
        return  # ready() may run twice in some test runners; register once.
    _sections.append(Section(slot, order, template, context))


def register_timeline_source(source: Callable[..., Iterable[TimelineEntry]]):
    """`source(customer, *, limit)`: at most `limit` entries, newest first, in O(1) queries.

    A source may also take `since`: entries older than it cannot make the timeline, because
    the sources asked before it already gave `limit` newer ones, so it may leave them out
    (and spare the query fetching them).
    """
    if source not in _timeline_sources:
        _timeline_sources.append(source)
        if "since" in inspect.signature(source).parameters:
            _sources_taking_since.add(source)


def register_history_source(source: Callable):
    """`source(customer)` returns a queryset of django-simple-history records about the customer."""
    if source not in _history_sources:
        _history_sources.append(source)


def history_querysets(customer):
    return [source(customer) for source in _history_sources]


def sections_for(request, customer):
    slots = defaultdict(list)
    for section in sorted(_sections, key=lambda s: (s.slot, s.order)):
        slots[section.slot].append(
            {"template": section.template, "context": section.context(request, customer)}
        )
    return dict(slots)


def timeline_for(customer, *, limit=50):
    streams = []
    newest = []  # the dates of the `limit` newest entries so far, a heap: the oldest first
    for source in _timeline_sources:
        options = {"limit": limit}
        if len(newest) == limit and source in _sources_taking_since:
            options["since"] = newest[0]
        entries = list(source(customer, **options))
        streams.append(entries)
        for entry in entries:
            if len(newest) < limit:
                heapq.heappush(newest, entry.when)
            elif entry.when > newest[0]:
                heapq.heapreplace(newest, entry.when)
    merged = heapq.merge(*streams, key=lambda e: (e.when, e.rank), reverse=True)
    return [entry for entry, _ in zip(merged, range(limit), strict=False)]
