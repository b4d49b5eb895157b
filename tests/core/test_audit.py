"""The audit: who changed which record and when (bulk writes included on PostgreSQL), security
events, and the readable audit list and customer history."""

from datetime import date
from decimal import Decimal

import pytest
from django.db import connection
from django.urls import reverse

from analytics import scoring
from core.audit import audit_context
from core.models import AuditEvent
from customers.models import Customer
from relationships.models import Payment, Relationship
from relationships.services import relationship_end
from tests.factories import (
    ContactPersonFactory,
    ContractFactory,
    CustomerFactory,
    InvoiceFactory,
    PaymentFactory,
    PayoutFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db

postgres_only = pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="QuerySet.update() and bulk deletes are caught by PostgreSQL triggers only; "
    "SQLite records through signals (README, Security → Audit).",
)


def _events(obj):
    return AuditEvent.objects.filter(model=obj._meta.label_lower, object_id=obj.pk).order_by(
        "at", "id"
    )


# --- What is recorded -----------------------------------------------------------------------


@postgres_only
def test_a_queryset_update_is_recorded_with_the_acting_user(manager):
    first, second = CustomerFactory(city="Kraków"), CustomerFactory(city="Kraków")
    with audit_context(user=manager, source="bulk fix"):
        Customer.objects.filter(pk__in=[first.pk, second.pk]).update(city="Warszawa")
    for customer in (first, second):
        event = _events(customer).last()
        assert (event.action, event.user, event.source) == ("update", manager, "bulk fix")
        assert event.changes == {"city": ["Kraków", "Warszawa"]}


@postgres_only
def test_the_triggers_follow_the_tables_of_an_earlier_release(manager):
    """After `migrate` back to an earlier release a table lacks columns the models have, or is
    not there: installing the triggers (post_migrate) watches what the tables have instead of
    failing the migration. The schema changes are rolled back with the test."""
    from core.audit.postgres import install_triggers, installed_tables

    contact = ContactPersonFactory(first_name="Ewa", title="CFO")
    with connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")  # the factory's foreign key checks
        # As Django removes a field: CASCADE, which drops the update trigger watching it.
        cursor.execute("ALTER TABLE customers_contactperson DROP COLUMN title CASCADE")
        cursor.execute("ALTER TABLE processes_kpitarget RENAME TO processes_kpitarget_later")
    install_triggers()
    assert "customers_contactperson" in installed_tables()
    with audit_context(user=manager, source="after the rollback"):
        type(contact).objects.filter(pk=contact.pk).update(first_name="Eva")
    assert _events(contact).last().changes == {"first_name": ["Ewa", "Eva"]}


def test_a_bulk_delete_is_recorded_with_the_acting_user(manager):
    contacts = ContactPersonFactory.create_batch(3)
    with audit_context(user=manager):
        deleted, _ = type(contacts[0]).objects.filter(pk__in=[c.pk for c in contacts]).delete()
    assert deleted == 3
    for contact in contacts:
        event = _events(contact).last()
        assert (event.action, event.user) == ("delete", manager)
        assert event.changes["last_name"] == [contact.last_name, None]


def test_the_admins_bulk_delete_action_is_recorded_with_the_admin(client, admin_user):
    payouts = PayoutFactory.create_batch(2)
    client.force_login(admin_user)
    response = client.post(
        reverse("admin:relationships_payout_changelist"),
        {
            "action": "delete_selected",
            "_selected_action": [p.pk for p in payouts],
            "post": "yes",
        },
    )
    assert response.status_code == 302
    for payout in payouts:
        event = _events(payout).last()
        assert (event.action, event.user) == ("delete", admin_user)
        assert event.source == reverse("admin:relationships_payout_changelist")


def test_a_form_edit_records_who_changed_what(persona_client, sales_rep, customer):
    data = {
        "kind": "organisation",
        "display_name": "Renamed Ltd",
        "source": "web_form",
        "first_contact_on": customer.first_contact_on.isoformat(),
        "email": customer.email,
    }
    client = persona_client(sales_rep)
    assert client.post(reverse("customers:edit", args=[customer.pk]), data).status_code == 302
    event = _events(customer).last()
    assert (event.action, event.user, event.username) == ("update", sales_rep, "sally_sales")
    assert event.source == reverse("customers:edit", args=[customer.pk])
    assert event.client_address == "127.0.0.1"
    assert event.changes["display_name"] == [customer.display_name, "Renamed Ltd"]


@pytest.mark.parametrize(
    ("factory", "field"),
    [
        (ContactPersonFactory, "last_name"),
        (ContractFactory, "title"),
        (InvoiceFactory, "number"),
        (PaymentFactory, "reference"),
        (PayoutFactory, "reason"),
    ],
    ids=lambda value: (
        getattr(getattr(value, "_meta", None), "model", value).__name__
        if hasattr(value, "_meta")
        else value
    ),
)
def test_each_audited_model_records_creation_change_and_deletion_by_the_user(
    factory, field, manager
):
    with audit_context(user=manager, source="test"):
        record = factory()
        setattr(record, field, "Changed-1")
        record.save()
        pk = record.pk
        if not isinstance(record, Payment):  # payments are never deleted
            type(record).objects.filter(pk=pk).first().delete()
    events = list(
        AuditEvent.objects.filter(model=record._meta.label_lower, object_id=pk).order_by("at", "id")
    )
    assert [(e.action, e.user) for e in events[:2]] == [("create", manager), ("update", manager)]
    assert events[1].changes[record._meta.get_field(field).column][1] == "Changed-1"
    if not isinstance(record, Payment):
        assert (events[2].action, events[2].user) == ("delete", manager)


def test_ending_a_relationship_reads_as_names_and_labels(persona_client, manager, customer):
    with audit_context(user=manager):
        relationship = Relationship.objects.get(customer=customer)
        relationship_end(relationship=relationship, reason="competitor", by=manager)
    manager.first_name, manager.last_name = "Anna", "Nowak"
    manager.save()
    response = persona_client(manager).get(reverse("customers:history", args=[customer.pk]))
    body = response.content.decode()
    assert "Ended by</strong>: — → Anna Nowak" in body
    assert str(Relationship.EndReason("competitor").label) in body
    assert "ended_by" not in body and "end_reason" not in body


def test_money_is_formatted_with_its_currency(persona_client, manager):
    with audit_context(user=manager):
        invoice = InvoiceFactory(amount=Decimal("1234.50"), currency="EUR")
    response = persona_client(manager).get(
        reverse("audit_list"), {"model": "relationships.invoice", "object_id": invoice.pk}
    )
    assert "1,234.50 EUR" in response.content.decode()


def test_the_scoring_job_does_not_flood_the_audit():
    customers = CustomerFactory.create_batch(3)
    for customer in customers:
        InvoiceFactory(
            customer=customer,
            amount=Decimal("100"),
            issue_date=date(2026, 1, 1),
            due_date=date(2026, 1, 15),
        )
    before = AuditEvent.objects.filter(model="customers.customer").count()
    scoring.score_all_customers(as_of=date(2026, 6, 1))
    assert Customer.objects.filter(value__scored_at__isnull=False).count() == 3
    assert AuditEvent.objects.filter(model="customers.customer").count() == before


# --- Security events ------------------------------------------------------------------------


def test_a_failed_login_is_recorded_with_the_username_and_address(client):
    UserFactory(username="rep")
    client.post(reverse("login"), {"username": "rep", "password": "wrong"})
    event = AuditEvent.objects.get(action="login_failed")
    assert (event.username, event.client_address) == ("rep", "127.0.0.1")


def test_a_login_is_recorded(client):
    user = UserFactory(username="rep", roles=["sales"])
    client.post(reverse("login"), {"username": "rep", "password": "secret-pass-1"})
    assert AuditEvent.objects.get(action="login").user == user


def test_a_lock_out_is_recorded(client, settings):
    UserFactory(username="rep")
    for _ in range(settings.AXES_FAILURE_LIMIT):
        client.post(reverse("login"), {"username": "rep", "password": "wrong"})
    event = AuditEvent.objects.filter(action="locked_out").first()
    assert event is not None and event.username == "rep"


def test_a_refused_page_is_recorded_with_the_permission(persona_client, sales_rep):
    assert persona_client(sales_rep).get(reverse("audit_list")).status_code == 403
    event = AuditEvent.objects.get(action="denied")
    assert (event.user, event.source) == (sales_rep, reverse("audit_list"))
    assert event.details["permission"] == "core.view_audit"


def test_an_export_is_recorded_with_its_list_filters_and_rows(persona_client, manager):
    response = persona_client(manager).get(
        reverse("analytics:usage_report"), {"format": "csv", "table": "users", "period": "month"}
    )
    assert response["Content-Type"].startswith("text/csv")
    event = AuditEvent.objects.get(action="export")
    assert event.user == manager
    assert event.details["list"].startswith("usage-users-")
    assert event.details["filters"]["table"] == "users"
    rows = response.content.decode("utf-8-sig").strip().splitlines()
    assert event.details["rows"] == len(rows) - 1


# --- The audit list -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("persona", "status"),
    [
        ("manager", 200),
        ("admin_user", 200),
        ("sales_rep", 403),
        ("service_agent", 403),
        ("finance_clerk", 403),
        ("outsider", 403),
    ],
)
def test_the_audit_list_is_for_managers_and_admins(persona, status, request, persona_client):
    user = request.getfixturevalue(persona)
    assert persona_client(user).get(reverse("audit_list")).status_code == status


def test_the_audit_list_sends_anonymous_users_to_log_in(client):
    response = client.get(reverse("audit_list"))
    assert response.status_code == 302 and response.url.startswith(reverse("login"))


def test_the_audit_list_filters_by_user_kind_and_action(persona_client, manager, sales_rep):
    with audit_context(user=sales_rep):
        mine = CustomerFactory(display_name="Sally's customer")
    with audit_context(user=manager):
        CustomerFactory(display_name="Mike's customer")
    response = persona_client(manager).get(
        reverse("audit_list"),
        {"user": sales_rep.pk, "model": "customers.customer", "action": "create"},
    )
    lines = response.context["lines"]
    assert [(line.record, line.kind) for line in lines] == [(str(mine), "Customer")]


def test_the_audit_lists_queries_do_not_grow_with_its_rows(
    persona_client, manager, django_assert_max_num_queries
):
    client = persona_client(manager)

    def write(count):
        with audit_context(user=manager):
            for _ in range(count):
                PaymentFactory()
                ContactPersonFactory()

    write(1)
    with django_assert_max_num_queries(40) as few:
        client.get(reverse("audit_list"))
    write(10)
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = client.get(reverse("audit_list"))
    assert len(response.context["lines"]) > 20


def test_audit_rows_are_read_only_in_the_admin(client, admin_user):
    with audit_context(user=admin_user):
        customer = CustomerFactory()
    event = _events(customer).first()
    client.force_login(admin_user)
    change = client.get(reverse("admin:core_auditevent_change", args=[event.pk]))
    assert change.status_code == 200
    assert b'name="_save"' not in change.content
    assert client.get(reverse("admin:core_auditevent_add")).status_code == 403
    assert client.get(reverse("admin:core_auditevent_delete", args=[event.pk])).status_code == 403


def test_a_celery_tasks_writes_are_recorded_as_the_tasks():
    from relationships.tasks import expire_contracts

    contract = ContractFactory(start_date=date(2025, 1, 1), end_date=date(2025, 12, 31))
    expire_contracts.delay()
    event = _events(contract).last()
    assert (event.action, event.user) == ("update", None)
    assert event.source == "task: relationships.tasks.expire_contracts"
    assert event.changes["status"] == ["active", "expired"]
