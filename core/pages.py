"""Pages composed of parts that each app registers: sections, a timeline and history.

A page of a lower app (the customer page of `customers`) cannot import the apps above it, so
those apps register what they add to it, in their AppConfig.ready(); the page then asks each
source for its part, and adding contracts or tickets later never rewrites the page. A page is
one `PageRegistry`, owned by the app whose page it is.
"""

import heapq
import inspect
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime


@dataclass(frozen=True)
class Section:
    slot: str
    order: int
    template: str
    context: Callable  # (request, obj) -> dict


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


class PageRegistry:
    """The parts of one page: sections in named slots, timeline sources, history sources."""

    def __init__(self, name, *, slots):
        self.name = name
        self.slots = tuple(slots)
        self._sections: list[Section] = []
        self._timeline_sources: list[Callable] = []
        self._sources_taking_since: set[Callable] = set()
        self._history_sources: list[Callable] = []

    def register_section(self, *, slot, order, template, context):
        if slot not in self.slots:
            raise ValueError(f"Unknown {self.name} slot {slot!r}")
        if any(s.template == template for s in self._sections):
            return  # ready() may run twice in some test runners; register once.
        self._sections.append(Section(slot, order, template, context))

    def register_timeline_source(self, source: Callable[..., Iterable[TimelineEntry]]):
        """`source(obj, *, limit)`: at most `limit` entries, newest first, in O(1) queries.

        A source may also take `since`: entries older than it cannot make the timeline, because
        the sources asked before it already gave `limit` newer ones, so it may leave them out
        (and spare the query fetching them).
        """
        if source not in self._timeline_sources:
            self._timeline_sources.append(source)
            if "since" in inspect.signature(source).parameters:
                self._sources_taking_since.add(source)

    def register_history_source(self, source: Callable):
        """`source(obj)` returns a queryset of audited records whose audit rows belong on the
        object's history page (core.audit), e.g. the customer's contracts."""
        if source not in self._history_sources:
            self._history_sources.append(source)

    def history_querysets(self, obj):
        return [source(obj) for source in self._history_sources]

    def sections_for(self, request, obj):
        slots = defaultdict(list)
        for section in sorted(self._sections, key=lambda s: (s.slot, s.order)):
            slots[section.slot].append(
                {"template": section.template, "context": section.context(request, obj)}
            )
        return dict(slots)

    def timeline_for(self, obj, *, limit=50):
        streams = []
        newest = []  # the dates of the `limit` newest entries so far, a heap: the oldest first
        for source in self._timeline_sources:
            options = {"limit": limit}
            if len(newest) == limit and source in self._sources_taking_since:
                options["since"] = newest[0]
            entries = list(source(obj, **options))
            streams.append(entries)
            for entry in entries:
                if len(newest) < limit:
                    heapq.heappush(newest, entry.when)
                elif entry.when > newest[0]:
                    heapq.heapreplace(newest, entry.when)
        merged = heapq.merge(*streams, key=lambda e: (e.when, e.rank), reverse=True)
        return [entry for entry, _ in zip(merged, range(limit), strict=False)]
