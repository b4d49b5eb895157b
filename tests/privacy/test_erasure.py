"""Erasure: personal fields anonymised, the audit scrubbed, financial records kept."""

import json
import os

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from core.models import AuditEvent
from core.permissions import MANAGER, SALES
from customers import services as customer_services
from customers.models import ConsentEvent, ConsentState, ContactPerson, Customer
from customers.selectors import find_duplicates
from privacy import services
from privacy.models import Erasure
from processes.models import Task, Ticket
from relationships.models import Asset, Document, Interaction, Invoice, Payment
from tests.factories import ContactPersonFactory, InteractionFactory, UserFactory

pytestmark = pytest.mark.django_db

# What the person's fixture file (conftest._file_of) stores about "jan", in every text column.
MARKER = "jan"


def _audit_mentions(marker):
    return [
        event
        for event in AuditEvent.objects.all()
        if marker in json.dumps(event.changes, ensure_ascii=False).lower()
    ]


def test_erasing_an_individual_removes_personal_data_and_keeps_the_finances(
    manager, person, other_person, django_capture_on_commit_callbacks
):
    customer_services.customer_update(customer=person, data={"email": "jan.new@home.example"})
    assert _audit_mentions(MARKER)  # the history held the old values
    scan = Document.objects.get(customer=person, invoice__isnull=True)
    scan_path = scan.file.path
    with django_capture_on_commit_callbacks(execute=True):
        erasure = services.person_erase(customer=person, reason="Request by letter", by=manager)
    person.refresh_from_db()
    assert person.erased_at is not None and person.display_name == "(erased)"
    assert (person.email, person.phone, person.street, person.tax_id, person.notes) == (
        "",
        "",
        "",
        "",
        "",
    )
    contact = ContactPerson.objects.get(customer=person)
    assert contact.erased_at is not None and not contact.is_active
    assert (contact.first_name, contact.last_name, contact.email) == ("(erased)", "", "")
    assert not Interaction.objects.filter(customer=person, notes__icontains=MARKER).exists()
    assert Ticket.objects.get(instance__customer=person).description == ""
    assert Task.objects.get(customer=person).notes == ""
    assert Asset.objects.get(customer=person).location == ""
    # Invoices, payments and their documents stay, with their amounts.
    invoice = Invoice.objects.get(customer=person)
    assert str(invoice.amount) == "1500.00"
    assert str(Payment.objects.get(customer=person).amount) == "1500.00"
    assert list(Document.objects.filter(customer=person).values_list("invoice", flat=True)) == [
        invoice.pk
    ]
    assert not Document.objects.filter(pk=scan.pk).exists()
    assert not os.path.exists(scan_path)
    # Nothing about Jan is left in the audit; Ewa's history is untouched.
    assert _audit_mentions(MARKER) == []
    assert _audit_mentions("ewa")
    # Consents were withdrawn, their history kept.
    assert not ConsentState.objects.filter(contact=contact, given=True).exists()
    assert ConsentEvent.objects.filter(contact=contact, source="erasure").exists()
    assert erasure.reason == "Request by letter" and erasure.erased_by == manager
    # The erasure is in the audit without personal data.
    assert AuditEvent.objects.filter(model="privacy.erasure", object_id=erasure.pk).exists()


def test_erasure_is_idempotent(manager, person):
    first = services.person_erase(customer=person, reason="Request", by=manager)
    second = services.person_erase(customer=person, reason="Again", by=manager)
    assert first == second and Erasure.objects.count() == 1


def test_erasing_a_person_erases_the_duplicate_merged_into_them(manager, person):
    from customers.merging import customer_merge
    from customers.models import CustomerMerge
    from tests.factories import CustomerFactory

    duplicate = CustomerFactory(
        kind=Customer.Kind.PERSON,
        display_name="Jan Duplicate",
        email="jan.dup@home.example",
        relationship=False,
    )
    customer_merge(survivor=person, merged=duplicate, values={}, by=manager)
    services.person_erase(customer=person, reason="Request", by=manager)
    duplicate.refresh_from_db()
    assert duplicate.erased_at is not None
    assert (duplicate.display_name, duplicate.email) == ("(erased)", "")
    # The merge stays, without the two values of each field it chose between.
    assert CustomerMerge.objects.get(merged=duplicate).values == {}


def test_an_erased_person_is_no_duplicate_any_more(manager, person):
    email, phone = person.email, person.phone
    assert find_duplicates(email=email, phone=phone)
    services.person_erase(customer=person, reason="Request", by=manager)
    assert find_duplicates(email=email, phone=phone, display_name="(erased)") == []


def test_erasing_a_contact_person_of_a_company_keeps_the_company(manager, customer):
    contact = ContactPersonFactory(customer=customer, first_name="Olga", email="olga@x.example")
    colleague = ContactPersonFactory(customer=customer, first_name="Piotr")
    talk = InteractionFactory(customer=customer, contact_person=contact, notes="Olga's cat")
    services.person_erase(customer=customer, contact=contact, reason="Left", by=manager)
    contact.refresh_from_db()
    colleague.refresh_from_db()
    customer.refresh_from_db()
    talk.refresh_from_db()
    assert contact.erased_at and contact.first_name == "(erased)" and contact.email == ""
    assert colleague.erased_at is None and colleague.first_name == "Piotr"
    assert customer.erased_at is None and customer.email
    assert talk.notes == ""


def test_only_a_manager_may_erase(sales_rep, person):
    with pytest.raises(PermissionDenied):
        services.person_erase(customer=person, reason="Request", by=sales_rep)
    person.refresh_from_db()
    assert person.erased_at is None


def test_an_erasure_needs_a_reason(manager, person):
    with pytest.raises(ValidationError):
        services.person_erase(customer=person, reason="  ", by=manager)
    person.refresh_from_db()
    assert person.erased_at is None and person.email


def test_a_company_cannot_be_erased_as_a_whole(manager, customer):
    with pytest.raises(ValidationError):
        services.person_erase(customer=customer, reason="Request", by=manager)
    assert not Customer.objects.filter(erased_at__isnull=False).exists()


def test_an_erased_person_cannot_be_edited(manager, person):
    services.person_erase(customer=person, reason="Request", by=manager)
    person.refresh_from_db()
    with pytest.raises(ValidationError):
        customer_services.customer_update(customer=person, data={"email": "back@x.example"})


# --- The pages ----------------------------------------------------------------------------


def test_the_confirmation_page_refuses_without_a_reason(persona_client, manager, person):
    url = reverse("privacy:customer_erase", args=[person.pk])
    client = persona_client(manager)
    assert client.get(url).status_code == 200
    response = client.post(url, {"reason": "", "confirm": "on"})
    assert response.status_code == 200 and "reason" in response.context["form"].errors
    person.refresh_from_db()
    assert person.erased_at is None
    response = client.post(url, {"reason": "Request by e-mail", "confirm": "on"})
    assert response.status_code == 302
    person.refresh_from_db()
    assert person.erased_at is not None


def test_the_permission_matrix(
    client, persona_client, sales_rep, manager, person, personas_in_one_team
):
    contact = ContactPerson.objects.get(customer=person)
    erase = reverse("privacy:contact_erase", args=[contact.pk])
    export = reverse("privacy:contact_export", args=[contact.pk])
    assert client.get(erase).status_code == 302  # anonymous: to the log-in
    assert client.get(export).status_code == 302
    rep = persona_client(sales_rep)
    assert rep.get(erase).status_code == 403
    assert rep.post(erase, {"reason": "x", "confirm": "on"}).status_code == 403
    assert rep.get(export).status_code == 200
    boss = persona_client(manager)
    assert boss.post(export).status_code == 405
    assert boss.put(erase).status_code == 405
    contact.refresh_from_db()
    assert contact.erased_at is None


def test_ids_swapped_across_teams_and_roles(
    persona_client, service_agent, person, other_person, settings
):
    contact = ContactPerson.objects.get(customer=person)
    export = reverse("privacy:contact_export", args=[contact.pk])
    # A service agent holds no export permission.
    assert persona_client(service_agent).get(export).status_code == 403
    stranger = UserFactory(username="sven_sales", roles=[SALES])
    client = persona_client(stranger)
    # Everyone sees every customer ("all"), but only the owner's side may export the file.
    settings.CRM_VISIBILITY = "all"
    assert client.get(export).status_code == 403
    # In team mode another team's person is not even found.
    settings.CRM_VISIBILITY = "team"
    assert client.get(export).status_code == 404
    assert client.get(reverse("privacy:customer_export", args=[person.pk])).status_code == 404
    other_boss = UserFactory(username="maria_manager", roles=[MANAGER])
    response = persona_client(other_boss).post(
        reverse("privacy:contact_erase", args=[contact.pk]), {"reason": "x", "confirm": "on"}
    )
    # Managers see every customer, so a manager of another team may erase.
    assert response.status_code == 302
    contact.refresh_from_db()
    assert contact.erased_at is not None
    assert ContactPerson.objects.get(customer=other_person).erased_at is None
