"""Every edit form of the apps, opened, then saved after someone else changed the record: the
save is refused with the other person's value in the form, never written over it
(core.concurrent_edits). The hostile suite's world has a record for each edit page."""

import pytest
from django.db import transaction
from django.test import Client

from core.concurrent_edits import LOADED

from .probe import base_payload
from .targets import URLS, parse_forms, url_for

# The edit pages: each must carry the form's loaded values (a template that leaves the hidden
# field out would silently turn the check off).
EDIT_PAGES = (
    "customers:edit",
    "customers:contact_edit",
    "relationships:contract_edit",
    "relationships:invoice_edit",
    "relationships:payout_edit",
    "relationships:asset_edit",
    "processes:instance_edit",
    "processes:kpi_target_edit",
    "processes:decision_rule_edit",
    "mail:mailing_edit",
    "mail:template_edit",
    "mail:mailbox_edit",
    "integrations:subscription_edit",
    "integrations:webform_edit",
)
CHANGED = "Changed meanwhile"


def _client(world, persona):
    client = Client()
    client.force_login(world.users[persona])
    return client


def _someone_elses_change(form, record):
    """(column, value): a field of the form that is a text column of the record (a name, a
    subject…), or else a number, and a new value for it."""
    numbers = []
    for name, each in form.fields.items():
        try:
            column = type(record)._meta.get_field(name)
        except Exception:
            continue
        kind = column.get_internal_type()
        if column.choices:
            continue
        roomy = (column.max_length or len(CHANGED)) >= len(CHANGED)
        if each.kind in ("text", "textarea") and kind in ("CharField", "TextField") and roomy:
            return name, CHANGED
        if each.kind == "number":
            numbers.append((name, getattr(record, name) + 1))
    assert numbers, f"no text or number field on {form.action}"
    return numbers[0]


def _opened(client, url):
    """The edit form as the page shows it."""
    response = client.get(url)
    assert response.status_code == 200
    forms = [f for f in parse_forms(response.content.decode(), url) if f.method == "post"]
    return next(f for f in forms if f.action == url)


@pytest.mark.parametrize("name", EDIT_PAGES)
def test_a_save_over_a_change_made_meanwhile_is_refused_and_shows_it(name, hostile):
    entry = URLS[name]
    record = hostile.world[entry.obj]
    persona = entry.personas[0]
    url = url_for(name, hostile.world)
    client = _client(hostile.world, persona)
    form = _opened(client, url)
    assert LOADED in form.fields, f"{name}: the form does not carry its loaded values"
    payload = base_payload(form, persona, entry.submit)
    column, value = _someone_elses_change(form, record)

    with transaction.atomic():
        # Someone else saves the record after the form was opened.
        type(record)._base_manager.filter(pk=record.pk).update(**{column: value})
        response = client.post(url, payload)
        assert response.status_code == 200, f"{name}: saved over the change meanwhile"
        page = response.content.decode()
        assert "Someone else saved this record after you opened it" in page
        if value == CHANGED:
            assert CHANGED in page  # in the field, or beside it if the payload filled it
        record.refresh_from_db()
        assert getattr(record, column) == value
        transaction.set_rollback(True)

    # Untouched, the form saves (no false alarm: what it was opened with is what is stored).
    with transaction.atomic():
        response = client.post(url, payload)
        assert response.status_code == 302, f"{name}: an unchanged form was refused"
        transaction.set_rollback(True)
