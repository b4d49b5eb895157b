"""The export of everything held about a person: a ZIP of JSON files and their documents."""

import io
import json
import zipfile

import pytest
from django.urls import reverse

from core.models import AuditEvent
from core.permissions import SALES
from tests.factories import ContactPersonFactory, CustomerFactory, InteractionFactory, UserFactory

pytestmark = pytest.mark.django_db

KINDS = [
    "customer",
    "contact_persons",
    "consents",
    "relationships",
    "interactions",
    "contracts",
    "invoices",
    "payments",
    "payouts",
    "assets",
    "documents",
    "processes",
    "tickets",
    "tasks",
]


def _download(client, url):
    response = client.get(url)
    assert response.status_code == 200, response.status_code
    assert response["Content-Type"] == "application/zip"
    assert response.streaming
    return zipfile.ZipFile(io.BytesIO(b"".join(response.streaming_content)))


def test_an_individual_customers_export_holds_every_kind_of_record_and_their_documents(
    persona_client, manager, person, other_person
):
    archive = _download(
        persona_client(manager), reverse("privacy:customer_export", args=[person.pk])
    )
    names = set(archive.namelist())
    assert {f"{kind}.json" for kind in KINDS} | {"about.json", "history.json"} <= names
    data = {kind: json.loads(archive.read(f"{kind}.json")) for kind in KINDS}
    for kind in KINDS:
        assert data[kind], f"{kind}.json is empty"
    assert data["customer"][0]["email"] == "jan@home.example"
    assert data["invoices"][0]["amount"] == "1500.00"
    assert data["consents"][0]["given"] is True
    documents = sorted(name for name in names if name.startswith("documents/"))
    assert len(documents) == 2 and all(archive.read(name) == b"%PDF-1.4 test" for name in documents)
    history = json.loads(archive.read("history.json"))
    assert any(row["model"] == "customers.customer" for row in history)
    # Nothing of the other person, anywhere in the archive.
    for name in names:
        assert b"ewa" not in archive.read(name).lower(), name
    assert archive.testzip() is None


def test_a_contact_persons_export_holds_what_names_them_and_not_their_company(
    persona_client, manager, customer
):
    contact = ContactPersonFactory(customer=customer, first_name="Olga", last_name="Kowalska")
    colleague = ContactPersonFactory(customer=customer, first_name="Piotr", last_name="Lis")
    InteractionFactory(customer=customer, contact_person=contact, subject="Olga's call")
    InteractionFactory(customer=customer, contact_person=colleague, subject="Piotr's call")
    archive = _download(
        persona_client(manager), reverse("privacy:contact_export", args=[contact.pk])
    )
    assert "invoices.json" not in archive.namelist()
    contacts = json.loads(archive.read("contact_persons.json"))
    interactions = json.loads(archive.read("interactions.json"))
    assert [c["last_name"] for c in contacts] == ["Kowalska"]
    assert [i["subject"] for i in interactions] == ["Olga's call"]


def test_an_export_is_recorded_in_the_audit(persona_client, manager, person):
    response = persona_client(manager).get(reverse("privacy:customer_export", args=[person.pk]))
    b"".join(response.streaming_content)
    event = AuditEvent.objects.get(action=AuditEvent.Action.EXPORT)
    assert event.user == manager
    assert event.details["filters"] == {"customer": person.pk, "contact_person": None}


def test_a_company_is_not_a_person_to_export(persona_client, manager, customer):
    response = persona_client(manager).get(reverse("privacy:customer_export", args=[customer.pk]))
    assert response.status_code == 404


def test_the_customer_page_offers_export_and_erasure_to_a_manager_only_erasure(
    persona_client, manager, sales_rep, person, personas_in_one_team
):
    export = reverse("privacy:customer_export", args=[person.pk])
    erase = reverse("privacy:customer_erase", args=[person.pk])
    page = persona_client(manager).get(person.get_absolute_url()).content.decode()
    assert export in page and erase in page
    page = persona_client(sales_rep).get(person.get_absolute_url()).content.decode()
    assert export in page and erase not in page


def test_the_other_teams_person_is_not_found(persona_client, sales_rep, manager, settings):
    settings.CRM_VISIBILITY = "team"
    theirs = CustomerFactory(kind="person", owner=manager)
    contact = ContactPersonFactory(customer=theirs)
    client = persona_client(sales_rep)
    assert client.get(reverse("privacy:customer_export", args=[theirs.pk])).status_code == 404
    assert client.get(reverse("privacy:contact_export", args=[contact.pk])).status_code == 404


def test_a_rep_of_another_office_is_offered_no_export(persona_client, person, settings):
    settings.CRM_VISIBILITY = "all"
    stranger = UserFactory(username="sven_sales", roles=[SALES])
    page = persona_client(stranger).get(person.get_absolute_url()).content.decode()
    assert 'id="personal-data"' not in page
