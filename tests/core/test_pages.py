"""A page composed of what each app registers: sections by slot, one merged timeline, history."""

from datetime import UTC, datetime, timedelta

import pytest

from core.pages import PageRegistry, TimelineEntry

START = datetime(2024, 5, 1, 9, tzinfo=UTC)


def _entries(kind, hours, *, rank=0):
    return [TimelineEntry(START + timedelta(hours=h), kind, None, h, rank=rank) for h in hours]


def _page():
    return PageRegistry("test page", slots=("header", "main"))


def test_sections_come_by_slot_in_their_order_with_their_context(rf):
    page = _page()
    page.register_section(
        slot="main", order=20, template="b.html", context=lambda r, obj: {"n": obj + 2}
    )
    page.register_section(
        slot="main", order=10, template="a.html", context=lambda r, obj: {"n": obj + 1}
    )
    page.register_section(slot="header", order=1, template="h.html", context=lambda r, obj: {})
    assert page.sections_for(rf.get("/"), 40) == {
        "header": [{"template": "h.html", "context": {}}],
        "main": [
            {"template": "a.html", "context": {"n": 41}},
            {"template": "b.html", "context": {"n": 42}},
        ],
    }


def test_a_section_registered_twice_shows_once_and_an_unknown_slot_is_refused(rf):
    page = _page()
    for _ in range(2):
        page.register_section(slot="main", order=1, template="a.html", context=lambda r, o: {})
    assert len(page.sections_for(rf.get("/"), None)["main"]) == 1
    with pytest.raises(ValueError, match="Unknown test page slot 'side'"):
        page.register_section(slot="side", order=1, template="s.html", context=lambda r, o: {})


def test_the_timeline_merges_every_source_newest_first_up_to_the_limit():
    page = _page()
    page.register_timeline_source(lambda obj, *, limit: _entries("call", [9, 5, 1])[:limit])
    page.register_timeline_source(lambda obj, *, limit: _entries("invoice", [8, 4, 0])[:limit])
    timeline = page.timeline_for(None, limit=4)
    assert [(e.kind, e.obj) for e in timeline] == [
        ("call", 9),
        ("invoice", 8),
        ("call", 5),
        ("invoice", 4),
    ]


def test_entries_of_one_moment_come_in_the_order_of_their_rank():
    page = _page()
    page.register_timeline_source(lambda obj, *, limit: _entries("interaction", [3]))
    page.register_timeline_source(lambda obj, *, limit: _entries("started", [3], rank=-1))
    assert [e.kind for e in page.timeline_for(None)] == ["interaction", "started"]


def test_a_source_taking_since_is_told_how_old_an_entry_may_be_once_the_timeline_is_full():
    asked = []

    def later(obj, *, limit, since=None):
        asked.append(since)
        return [e for e in _entries("task", [7, 2]) if since is None or e.when > since]

    first = _page()
    first.register_timeline_source(lambda obj, *, limit: _entries("call", [6, 5, 4, 3])[:limit])
    first.register_timeline_source(later)
    timeline = first.timeline_for(None, limit=3)
    assert asked == [START + timedelta(hours=4)]  # the oldest of the three newest so far
    assert [e.obj for e in timeline] == [7, 6, 5]

    asked.clear()
    short = _page()
    short.register_timeline_source(lambda obj, *, limit: _entries("call", [6]))
    short.register_timeline_source(later)
    assert [e.obj for e in short.timeline_for(None, limit=3)] == [7, 6, 2]
    assert asked == [None]  # fewer than `limit` so far: nothing may be left out


def test_a_source_registered_twice_is_asked_once():
    page = _page()

    def source(obj, *, limit):
        return _entries("call", [1])

    page.register_timeline_source(source)
    page.register_timeline_source(source)
    assert len(page.timeline_for(None)) == 1


def test_history_sources_each_give_their_records_of_the_object():
    page = _page()
    page.register_history_source(lambda obj: f"contracts of {obj}")
    page.register_history_source(lambda obj: f"relationships of {obj}")
    assert page.history_querysets("Acme") == ["contracts of Acme", "relationships of Acme"]
