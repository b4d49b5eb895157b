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
    out_of_bounds,
    values_for,
)
from .world import other_customers_ids

# Fields whose model has no bound yet: a value outside every sane window is saved there (the
# `bounds` work adds them). Each is (url name, field name) as the form posts it; an example
# that breaks a property only because of such a value passes once the same post with that
# field's ordinary value holds every property. Empty this set to see them all fail.
KNOWN_BOUND_GAPS = {
    # Dates and times outside 1900-2100 (0001-01-01, 9999-12-31; an interaction at
    # 0001-01-01T00:00 answers 500 on SQLite and is stored BC on PostgreSQL).
    ("customers:edit", "first_contact_on"),
    ("processes:instance_create", "expected_close_on"),
    ("processes:instance_edit", "expected_close_on"),
    ("processes:instance_task_create", "due_on"),
    ("processes:task_create", "due_on"),
    ("relationships:asset_create", "installed_on"),
    ("relationships:asset_edit", "installed_on"),
    ("relationships:contract_create", "end_date"),
    ("relationships:contract_create", "signed_on"),
    ("relationships:contract_create", "start_date"),
    ("relationships:contract_edit", "end_date"),
    ("relationships:contract_edit", "start_date"),
    ("relationships:customer_create", "first_contact_on"),
    ("relationships:interaction_create", "occurred_at"),
    ("relationships:invoice_create", "due_date"),
    ("relationships:invoice_create", "issue_date"),
    ("relationships:invoice_edit", "due_date"),
    ("relationships:invoice_edit", "issue_date"),
    ("relationships:payment_create", "paid_on"),
    # 100 KB of text in a text field without a length.
    ("customers:edit", "notes"),
    ("processes:approval_approve", "comment"),
    ("processes:approval_reject", "comment"),
    ("processes:collection_write_off_request", "reason"),
    ("processes:instance_task_create", "notes"),
    ("processes:opportunity_discount", "reason"),
    ("processes:task_create", "notes"),
    ("processes:ticket_create", "description"),
    ("relationships:contract_terminate", "termination_reason"),
    ("relationships:customer_create", "first-notes"),
    ("relationships:customer_create", "notes"),
    ("relationships:end", "end_note"),
    ("relationships:interaction_create", "notes"),
    ("relationships:invoice_write_off", "write_off_reason"),
    ("relationships:payout_create", "reason"),
    ("relationships:payout_edit", "reason"),
    ("relationships:payout_reject", "rejection_reason"),
    # An amount of 999,999,999,999.99, which max_digits lets through.
    ("analytics:scoring_parameters_edit", "grade_a_min_ltv"),
    ("processes:decision_rule_create", "min_amount"),
    ("processes:decision_rule_create", "min_ltv"),
    ("processes:decision_rule_edit", "min_amount"),
    ("processes:decision_rule_edit", "min_ltv"),
    ("processes:instance_create", "amount"),
    ("processes:instance_edit", "amount"),
    ("relationships:contract_create", "value"),
    ("relationships:contract_edit", "value"),
    ("relationships:invoice_create", "amount"),
    ("relationships:invoice_edit", "amount"),
    ("relationships:payout_create", "amount"),
    ("relationships:payout_edit", "amount"),
}

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
    payload = base_payload(form, persona) if form else {}
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


def _known_gap_fields(name, payload, fields):
    return {
        field
        for field, value in payload.items()
        if (name, field) in KNOWN_BOUND_GAPS
        and field in (fields or {})
        and out_of_bounds(fields[field], value)
    }


def _check(probe, *, name, persona, method, payload, fields, list_page, sane):
    """Send the request; raise AssertionError naming it and every property it broke."""
    request = {
        "name": name,
        "persona": persona,
        "method": method,
        "fields": fields,
        "list_page": list_page,
    }
    outcome = probe.run(payload=payload, **request)
    gaps = _known_gap_fields(name, payload, fields)
    if outcome.failures and gaps:
        # A field without its bound yet: the same request with that field's ordinary value
        # must hold every property.
        payload = {k: v for k, v in payload.items() if k not in gaps}
        payload.update({field: sane[field] for field in gaps if field in sane})
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
    sane = {method: base_payload(form, entry.personas[0]) for method, form in forms.items()}

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
            sane=sane.get(method, {}),
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
    probe = Probe(hostile.world)
    failures, swept = [], 0
    for name, entry in sorted(URLS.items()):
        form = hostile.forms(name).get("post")
        if form is None:
            continue
        persona = entry.personas[0]
        sane = base_payload(form, persona)
        request = {"name": name, "persona": persona, "method": "post", "fields": form.fields}
        if not probe.run(payload=sane, list_page="customers:list", **request).accepted:
            # Refusing every extreme would prove nothing if the ordinary post is refused too.
            failures.append(f"POST {name} refuses its ordinary values {show(sane)}")
            continue
        for field in form.fields.values():
            if (name, field.name) in KNOWN_BOUND_GAPS:
                continue  # known to take them, until the bounds are in
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
                        sane=sane,
                    )
                except AssertionError as failure:
                    failures.append(str(failure))
    assert swept > 40, f"only {swept} values were swept: is discovery broken?"
    assert not failures, f"{len(failures)} of {swept}:\n\n" + "\n\n".join(failures)
