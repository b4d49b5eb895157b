"""Hostile input to every form and every POST view: a clear error or a safe save, never a 500.

For each URL of the project's apps (tests/hostile/targets.py) hypothesis posts the page's own
form with some of its fields replaced by hostile values (tests/hostile/values.py), or sends
hostile query parameters to it, as each persona who may use it, and tests/hostile/probe.py
checks what must hold afterwards.
"""

import pytest
from hypothesis import given, note, settings
from hypothesis import strategies as st

from .probe import Probe, base_payload, show
from .targets import LIST_PAGES, URLS
from .values import (
    AMOUNTS,
    DATES,
    HUGE_AMOUNT,
    HUGE_TEXT,
    IDS,
    NEXT_URLS,
    TEXTS,
    values_for,
)
from .world import other_customers_ids

# Query parameters that views and their lists read besides their filter forms.
QUERY_PARAMS = (
    "page",
    "format",
    "table",
    "q",
    "next",
    "contract",
    "invoice",
    "asset",
    "definition",
    "stage",
    "show",
    "unread",
    "period",
    "owner",
    "segment",
    "check",
    "state",
    "o",
    # mail: compose about a process, to a contact, in reply; a mailbox's triage; a report
    "process",
    "contact",
    "reply",
    "mailbox",
    "status",
    "from",
    "language",
)
query_values = st.sampled_from(TEXTS + DATES + AMOUNTS + IDS + NEXT_URLS + ["csv", "2", "1"])


def _draw_request(data, probe, forms, entry):
    """(persona, method, payload, fields) of one hostile request."""
    persona = data.draw(st.sampled_from(entry.personas), label="persona")
    # A URL without a form of its own still gets POSTs (of stray parameters): nothing may break.
    methods = ["post"] * (4 if "post" in forms else 1) + ["get"]
    method = data.draw(st.sampled_from(methods), label="method")
    form = forms.get(method)
    fields = form.fields if form else None
    payload = base_payload(form, persona, entry.submit) if form else {}
    if fields:
        foreign = other_customers_ids(probe.world)
        names = data.draw(
            st.lists(st.sampled_from(sorted(fields)), min_size=1, max_size=3, unique=True),
            label="hostile fields",
        )
        for name in names:
            payload[name] = data.draw(values_for(fields[name], foreign_ids=foreign), label=name)
    if not fields or data.draw(st.integers(0, 4), label="extra parameters?") == 0:
        extra = data.draw(
            st.dictionaries(st.sampled_from(QUERY_PARAMS), query_values, max_size=3),
            label="parameters",
        )
        payload.update({k: v for k, v in extra.items() if k not in (fields or {})})
    return persona, method, payload, fields


def _check(probe, *, name, persona, method, payload, fields, list_page):
    """Send the request; raise AssertionError naming it and every property it broke."""
    request = {
        "name": name,
        "persona": persona,
        "method": method,
        "fields": fields,
        "list_page": list_page,
    }
    outcome = probe.run(payload=payload, **request)
    if outcome.failures:
        raise AssertionError(
            f"{method.upper()} {name} as {persona} with {show(payload)}:\n- "
            + "\n- ".join(outcome.failures)
        )


@pytest.mark.parametrize("name", sorted(URLS))
def test_hostile_input_gets_a_clear_error_or_a_safe_save(name, hostile):
    entry = URLS[name]
    forms = hostile.forms(name)
    probe = Probe(hostile.world)

    # A page without a form of its own has only its query to fuzz: a third of the examples.
    examples = settings().max_examples
    if "post" not in forms:
        examples = max(3, examples // 3)

    @settings(max_examples=examples)
    @given(data=st.data())
    def example(data):
        persona, method, payload, fields = _draw_request(data, probe, forms, entry)
        list_page = data.draw(st.sampled_from(LIST_PAGES), label="list checked")
        note(f"{method.upper()} {name} as {persona}: {show(payload)}")
        _check(
            probe,
            name=name,
            persona=persona,
            method=method,
            payload=payload,
            fields=fields,
            list_page=list_page,
        )

    example()


# The values outside every bound, posted to each field of their kind one by one: hypothesis
# draws them too, but only here is every field sure to get its turn.
EXTREMES = {
    "date": ["0001-01-01", "9999-12-31"],
    "datetime-local": ["0001-01-01T00:00", "9999-12-31T23:59"],
    "text": [HUGE_TEXT],
    "textarea": [HUGE_TEXT],
    "number": [HUGE_AMOUNT, "2147483648"],  # and one past the largest 32-bit integer
}


def test_every_field_refuses_a_value_outside_every_bound(hostile):
    failures, swept = [], 0
    for name, entry in sorted(URLS.items()):
        form = hostile.forms(name).get("post")
        if form is None or not form.fields:
            continue  # nothing to sweep (a button alone: "Test connection", "Send now")
        probe = Probe(hostile.world)  # after the pages opened to find the form (Probe.start)
        persona = entry.personas[0]
        sane = base_payload(form, persona, entry.submit)
        request = {"name": name, "persona": persona, "method": "post", "fields": form.fields}
        if not probe.run(payload=sane, list_page="customers:list", **request).accepted:
            # Refusing every extreme would prove nothing if the ordinary post is refused too.
            failures.append(f"POST {name} refuses its ordinary values {show(sane)}")
            continue
        for field in form.fields.values():
            for value in EXTREMES.get(field.kind, []):
                swept += 1
                try:
                    _check(
                        probe,
                        name=name,
                        persona=persona,
                        method="post",
                        payload={**sane, field.name: value},
                        fields=form.fields,
                        list_page="customers:list",
                    )
                except AssertionError as failure:
                    failures.append(str(failure))
    assert swept > 40, f"only {swept} values were swept: is discovery broken?"
    assert not failures, f"{len(failures)} of {swept}:\n\n" + "\n\n".join(failures)
