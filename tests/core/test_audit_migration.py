"""The history django-simple-history kept before the audit survives its tables: the migration
that drops them converts every row first."""

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

from core.audit.legacy import LEGACY_SOURCE, convert_simple_history
from tests.factories import UserFactory

# The schema editor cannot run inside the test's transaction on SQLite.
pytestmark = pytest.mark.django_db(transaction=True)

BEFORE = [("customers", "0010_contact_language"), ("core", "0004_auditevent")]


def test_simple_history_rows_become_audit_rows():
    state = MigrationExecutor(connection).loader.project_state(BEFORE)
    apps = state.apps
    historical = apps.get_model("customers", "HistoricalCustomer")
    with connection.schema_editor() as editor:
        editor.create_model(historical)
    try:
        user = UserFactory(username="anna")
        at = timezone.now()
        common = {
            "id": 7,
            "kind": "organisation",
            "source": "web_form",
            "first_contact_on": at.date(),
            "status": "prospect",
            "created_at": at,
        }
        for n, (kind, name) in enumerate([("+", "Before"), ("~", "Before"), ("~", "After")]):
            historical.objects.create(
                history_date=at + timezone.timedelta(seconds=n),
                history_type=kind,
                history_user_id=user.pk if n == 2 else None,
                display_name=name,
                **common,
            )
        historical.objects.create(
            history_date=at + timezone.timedelta(seconds=3),
            history_type="-",
            display_name="After",
            **common,
        )
        convert_simple_history(
            apps, historical="customers.HistoricalCustomer", label="customers.customer"
        )
    finally:
        with connection.schema_editor() as editor:
            editor.delete_model(historical)
    events = apps.get_model("core", "AuditEvent").objects.order_by("at", "id")
    assert [(e.action, e.object_id, e.source) for e in events] == [
        ("create", 7, LEGACY_SOURCE),
        # The save that changed nothing leaves no row.
        ("update", 7, LEGACY_SOURCE),
        ("delete", 7, LEGACY_SOURCE),
    ]
    created, renamed, deleted = events
    assert created.changes["display_name"] == [None, "Before"]
    assert (renamed.changes, renamed.user_id) == ({"display_name": ["Before", "After"]}, user.pk)
    assert deleted.changes["display_name"] == ["After", None]
