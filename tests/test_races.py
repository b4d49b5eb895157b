"""Two people saving the same unique value at once: the one who loses sees a form error.

The race is the moment between the checks (the form's, the service's full_clean) and the
INSERT or UPDATE. These tests open that window deterministically, on SQLite and PostgreSQL
alike: the twin is already in the database but the checks are made blind to it (as they were
when they ran before it was committed), or the twin is written just before the INSERT. The
database refuses, and the page must answer 200 with the error beside the field, saving nothing.
tests/test_concurrency.py races real simultaneous requests on PostgreSQL.
"""

from datetime import timedelta

import pytest
from django.db import models
from django.urls import reverse
from django.utils import timezone

from customers import forms as customer_forms
from customers.forms import CustomerForm
from customers.models import ContactPerson, Customer, Segment, normalize_tax_id
from processes.models import DecisionRule
from relationships.models import Asset, Contract, Interaction, Invoice, Relationship
from tests.factories import (
    AssetFactory,
    ContactPersonFactory,
    ContractFactory,
    CustomerFactory,
    InvoiceFactory,
    ProcessDefinitionFactory,
    SegmentFactory,
    twin_of,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def blind_checks(monkeypatch):
    """`blind_checks(Model)`: the model's unique checks see nothing, as when they ran just
    before the twin was committed. Only the database still knows."""

    def blind(model):
        monkeypatch.setattr(model, "validate_unique", lambda self, exclude=None: None)
        monkeypatch.setattr(model, "validate_constraints", lambda self, exclude=None: None)

    return blind


@pytest.fixture
def twin_inserted_first(monkeypatch):
    """`twin_inserted_first(Model)`: the next new row of Model is beaten to the INSERT by its
    twin, written after every check passed (in the request's own transaction here, so it is
    rolled back with the request's work)."""

    def arm(model):
        save = model.save
        fired = []

        def racing_save(self, *args, **kwargs):
            if self._state.adding and not fired:
                fired.append(True)
                model.objects.bulk_create([twin_of(self)])
            return save(self, *args, **kwargs)

        monkeypatch.setattr(model, "save", racing_save)

    return arm


def _errors(response):
    assert response.status_code == 200, response.status_code
    return response.context["form"].errors


def _contract_data(**overrides):
    return {
        "number": "C-2024/1",
        "title": "Printing",
        "product": "Managed printing",
        "value": "1200.00",
        "currency": "PLN",
        "billing_period": "one_off",
        "start_date": timezone.localdate().isoformat(),
        **overrides,
    }


def test_a_contract_number_taken_meanwhile_is_an_error_beside_the_number(
    persona_client, manager, customer, blind_checks
):
    ContractFactory(number="C-2024/1")
    blind_checks(Contract)
    response = persona_client(manager).post(
        reverse("relationships:contract_create", args=[customer.pk]), _contract_data()
    )
    assert _errors(response) == {"number": ["A contract with this number already exists."]}
    assert Contract.objects.filter(number="C-2024/1").count() == 1
    assert not customer.contracts.exists()


def test_renaming_a_contract_to_a_number_taken_meanwhile_changes_nothing(
    persona_client, manager, blind_checks
):
    ContractFactory(number="C-2024/1")
    contract = ContractFactory(number="C-2024/2")
    blind_checks(Contract)
    response = persona_client(manager).post(
        reverse("relationships:contract_edit", args=[contract.pk]),
        _contract_data(
            number="C-2024/1", title=contract.title, start_date=contract.start_date.isoformat()
        ),
    )
    assert "number" in _errors(response)
    contract.refresh_from_db()
    assert contract.number == "C-2024/2"


def test_an_invoice_number_taken_meanwhile_is_an_error_beside_the_number(
    persona_client, manager, customer, blind_checks
):
    InvoiceFactory(number="FV/2024/1")
    blind_checks(Invoice)
    today = timezone.localdate()
    response = persona_client(manager).post(
        reverse("relationships:invoice_create", args=[customer.pk]),
        {
            "number": "FV/2024/1",
            "issue_date": today.isoformat(),
            "due_date": (today + timedelta(days=14)).isoformat(),
            "amount": "100.00",
            "currency": "PLN",
        },
    )
    assert _errors(response) == {"number": ["An invoice with this number already exists."]}
    assert Invoice.objects.filter(number="FV/2024/1").count() == 1


def test_an_asset_serial_taken_meanwhile_is_an_error_beside_the_serial_number(
    persona_client, manager, customer, blind_checks
):
    AssetFactory(model="LaserJet 400", serial_number="SN-1")
    blind_checks(Asset)
    response = persona_client(manager).post(
        reverse("relationships:asset_create", args=[customer.pk]),
        {
            "name": "Printer",
            "model": "LaserJet 400",
            "serial_number": "SN-1",
            "installed_on": timezone.localdate().isoformat(),
            "status": "in_use",
        },
    )
    assert _errors(response) == {
        "serial_number": [
            "An asset of this model with this serial number already exists "
            "(capital and small letters count as the same)."
        ]
    }
    assert Asset.objects.filter(serial_number="SN-1").count() == 1


def test_a_tax_id_taken_meanwhile_is_an_error_beside_the_tax_id_on_edit(
    persona_client, sales_rep, customer, blind_checks, monkeypatch
):
    CustomerFactory(tax_id="PL5270000001")
    blind_checks(Customer)
    monkeypatch.setattr(
        CustomerForm, "clean_tax_id", lambda form: normalize_tax_id(form.cleaned_data["tax_id"])
    )
    response = persona_client(sales_rep).post(
        reverse("customers:edit", args=[customer.pk]),
        {
            "kind": "organisation",
            "display_name": customer.display_name,
            "tax_id": "PL 527-000-00-01",
            "source": customer.source,
            "first_contact_on": customer.first_contact_on.isoformat(),
            "owner": sales_rep.pk,
        },
    )
    assert _errors(response) == {"tax_id": ["A customer with this tax id already exists."]}
    customer.refresh_from_db()
    assert customer.tax_id == ""


def test_a_second_primary_contact_written_meanwhile_is_an_error_and_nothing_is_half_saved(
    persona_client, service_agent, customer, twin_inserted_first, personas_in_one_team
):
    # The service agent works with the customer's owner (core.visibility's owner rule).
    old = ContactPersonFactory(customer=customer, is_primary=True)
    twin_inserted_first(ContactPerson)
    response = persona_client(service_agent).post(
        reverse("customers:contact_create", args=[customer.pk]),
        {"first_name": "Piotr", "last_name": "Zieliński", "is_primary": "on", "is_active": "on"},
    )
    assert _errors(response) == {
        "is_primary": ["This customer already has a primary contact person."]
    }
    old.refresh_from_db()
    assert old.is_primary  # the demotion went back with the refused save
    assert list(customer.contacts.all()) == [old]


def test_a_decision_rule_name_taken_meanwhile_is_an_error_beside_the_name(
    persona_client, manager, blind_checks, monkeypatch
):
    definition = ProcessDefinitionFactory()
    DecisionRule.objects.create(
        definition=definition, name="Only A", min_grade="A", created_by=manager
    )
    blind_checks(DecisionRule)
    monkeypatch.setattr(
        "processes.forms.DecisionRuleForm.clean_name", lambda form: form.cleaned_data["name"]
    )
    response = persona_client(manager).post(
        reverse("processes:decision_rule_create", args=[definition.pk]),
        {"name": "Only A", "min_grade": "B", "on_break": "refuse", "active": "on"},
    )
    assert _errors(response) == {"name": ["Another rule of this process has this name."]}
    assert definition.decision_rules.count() == 1


def _new_customer_data(**overrides):
    return {
        "kind": "organisation",
        "display_name": "Novák a syn s.r.o.",
        "tax_id": "CZ12345678",
        "email": "info@novak.cz",
        "phone": "+420 601 000 111",
        "country": "cz",
        "source": "event",
        "first_contact_on": timezone.localdate().isoformat(),
        "first-relationship_kind": "lasting",
        "first-channel": "meeting",
        "first-direction": "inbound",
        "first-subject": "Met at the Brno trade fair",
        **overrides,
    }


def test_a_look_alike_registered_meanwhile_is_shown_by_the_guard_instead_of_a_twin(
    persona_client, sales_rep, monkeypatch
):
    """The form's check ran before a parallel request saved the same name: the service's guard,
    under its lock, finds it and answers as the form would have."""
    found_by_form = []

    def form_check_then_a_parallel_save(**keys):
        found_by_form.append(keys)
        CustomerFactory(display_name="Novák a syn s.r.o.", email="", phone="")
        return []

    monkeypatch.setattr(customer_forms, "find_duplicates", form_check_then_a_parallel_save)
    client = persona_client(sales_rep)
    response = client.post(reverse("relationships:customer_create"), _new_customer_data(tax_id=""))
    assert found_by_form, "the form's own check ran first"
    form = response.context["form"]
    assert _errors(response) == {
        "__all__": [
            "This customer looks like one we already know (see the matches). Open the "
            "existing customer, or confirm that this is a different one."
        ]
    }
    twin = Customer.objects.get()
    assert [match.customer for match in form.duplicates] == [twin]
    assert twin.get_absolute_url() in response.content.decode()
    assert 'type="checkbox" name="confirm_not_duplicate"' in response.content.decode()
    # The existing "create anyway" path still works.
    monkeypatch.setattr(customer_forms, "find_duplicates", lambda **keys: [])
    response = client.post(
        reverse("relationships:customer_create"),
        _new_customer_data(tax_id="", confirm_not_duplicate="on"),
    )
    assert response.status_code == 302
    assert Customer.objects.filter(display_name="Novák a syn s.r.o.").count() == 2


def test_a_tax_id_registered_meanwhile_is_an_error_beside_the_tax_id_and_saves_nothing(
    persona_client, sales_rep, twin_inserted_first
):
    twin_inserted_first(Customer)
    response = persona_client(sales_rep).post(
        reverse("relationships:customer_create"), _new_customer_data()
    )
    assert _errors(response) == {"tax_id": ["A customer with this tax id already exists."]}
    assert not Customer.objects.exists()
    assert not Relationship.objects.exists() and not Interaction.objects.exists()


def test_the_admin_answers_a_lost_race_with_its_form_error(admin_user, client, monkeypatch):
    """The admin's first validation ran before the twin was committed: the refused save rolls
    back, and the form posted again sees the twin and says so beside the field."""
    SegmentFactory(name="Key accounts")
    validate_unique = models.Model.validate_unique
    calls = []

    def blind_first_time(self, exclude=None):
        calls.append(self)
        if len(calls) > 1:
            return validate_unique(self, exclude=exclude)

    monkeypatch.setattr(Segment, "validate_unique", blind_first_time)
    client.force_login(admin_user)
    response = client.post(
        reverse("admin:customers_segment_add"), {"name": "Key accounts", "description": ""}
    )
    assert response.status_code == 200
    assert response.context["adminform"].form.errors == {
        "name": ["A segment with this name already exists."]
    }
    assert Segment.objects.filter(name="Key accounts").count() == 1


def test_the_admin_shows_a_rule_its_form_cannot_check_as_a_message(
    admin_user, client, blind_checks
):
    SegmentFactory(name="Key accounts")
    blind_checks(Segment)
    client.force_login(admin_user)
    response = client.post(
        reverse("admin:customers_segment_add"),
        {"name": "Key accounts", "description": ""},
        follow=True,
    )
    assert response.status_code == 200
    assert "A segment with this name already exists." in [
        str(message) for message in response.context["messages"]
    ]
    assert Segment.objects.filter(name="Key accounts").count() == 1
