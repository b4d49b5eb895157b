"""Contracts: signed within the open relationship, terminated with a reason, expired by a job —
and none of it ever ends the relationship."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from relationships import services, tasks
from relationships.models import Contract, Relationship
from tests.dates import clock_today
from tests.factories import ContractFactory, CustomerFactory

pytestmark = pytest.mark.django_db

TODAY = clock_today()


def _form_data(**overrides):
    data = {
        "number": "UM/2025/001",
        "title": "Printing service",
        "product": "Managed printing",
        "value": "450.00",
        "currency": "pln",
        "billing_period": "monthly",
        "start_date": TODAY.isoformat(),
        "end_date": (TODAY + timedelta(days=365)).isoformat(),
        "signed_on": TODAY.isoformat(),
    }
    data.update(overrides)
    return data


def test_a_sales_rep_signs_a_contract_and_the_prospect_becomes_a_customer(
    persona_client, sales_rep, customer
):
    response = persona_client(sales_rep).post(
        reverse("relationships:contract_create", args=[customer.pk]), _form_data()
    )
    contract = Contract.objects.get()
    assert response.status_code == 302 and response.url == contract.get_absolute_url()
    relationship = customer.relationships.get()
    assert (contract.status, contract.currency, contract.value) == (
        "active",
        "PLN",
        Decimal("450.00"),
    )
    assert contract.relationship == relationship
    assert contract.created_by == sales_rep
    relationship.refresh_from_db()
    customer.refresh_from_db()
    assert relationship.status == customer.status == "active"


def test_a_draft_is_signed_later(persona_client, sales_rep, customer):
    client = persona_client(sales_rep)
    client.post(
        reverse("relationships:contract_create", args=[customer.pk]), _form_data(signed_on="")
    )
    contract = Contract.objects.get()
    assert contract.status == "draft"
    assert (
        client.post(reverse("relationships:contract_sign", args=[contract.pk])).status_code == 302
    )
    contract.refresh_from_db()
    assert (contract.status, contract.signed_on) == ("active", TODAY)


def test_signing_needs_an_open_relationship(manager):
    customer = CustomerFactory(relationship=False)
    contract = ContractFactory(customer=customer, status="draft", signed_on=None)
    with pytest.raises(ValidationError, match="no open relationship"):
        services.contract_sign(contract=contract, by=manager)
    contract.refresh_from_db()
    assert contract.status == "draft"


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("number", ""),
        ("title", ""),
        ("value", "lots"),
        ("value", "-1"),
        ("currency", "XYZ"),
        ("currency", "zloty"),
        ("billing_period", "weekly"),
        ("start_date", "yesterday"),
        ("end_date", (TODAY - timedelta(days=1)).isoformat()),
        ("signed_on", (TODAY + timedelta(days=3)).isoformat()),
    ],
)
def test_bad_contract_input_is_refused_beside_the_field(
    persona_client, sales_rep, customer, field, value
):
    response = persona_client(sales_rep).post(
        reverse("relationships:contract_create", args=[customer.pk]),
        _form_data(**{field: value}),
    )
    assert response.status_code == 200
    assert field in response.context["form"].errors
    assert not Contract.objects.exists()


def test_contract_numbers_are_unique(persona_client, sales_rep, customer):
    ContractFactory(number="UM/2025/001")
    response = persona_client(sales_rep).post(
        reverse("relationships:contract_create", args=[customer.pk]), _form_data()
    )
    assert "number" in response.context["form"].errors
    assert Contract.objects.count() == 1


def test_the_database_refuses_an_end_before_the_start():
    with pytest.raises(IntegrityError), transaction.atomic():
        ContractFactory(start_date=TODAY, end_date=TODAY - timedelta(days=1))


def test_terminating_requires_a_reason_and_keeps_the_relationship_open(
    persona_client, sales_rep, customer
):
    contract = ContractFactory(customer=customer)
    client = persona_client(sales_rep)
    url = reverse("relationships:contract_terminate", args=[contract.pk])
    response = client.post(url, {"termination_reason": "  "})
    assert response.status_code == 200
    assert "termination_reason" in response.context["form"].errors
    contract.refresh_from_db()
    assert contract.status == "active"

    assert client.post(url, {"termination_reason": "Moved to a cheaper plan"}).status_code == 302
    contract.refresh_from_db()
    assert (contract.status, contract.terminated_by, contract.termination_reason) == (
        "terminated",
        sales_rep,
        "Moved to a cheaper plan",
    )
    relationship = customer.relationships.get()
    assert relationship.is_open


def test_the_database_refuses_a_termination_without_a_reason():
    contract = ContractFactory()
    with pytest.raises(IntegrityError), transaction.atomic():
        Contract.objects.filter(pk=contract.pk).update(
            status="terminated", terminated_at=timezone.now()
        )


def test_expiry_job_expires_only_active_contracts_past_their_end_and_is_idempotent(manager):
    today = timezone.localdate()
    past = ContractFactory(start_date=today - timedelta(days=60), end_date=today - timedelta(1))
    ends_today = ContractFactory(start_date=today - timedelta(days=60), end_date=today)
    open_ended = ContractFactory(start_date=today - timedelta(days=60))
    draft = ContractFactory(
        status="draft", signed_on=None, start_date=date(2020, 1, 1), end_date=date(2020, 2, 1)
    )
    terminated = ContractFactory(start_date=date(2020, 1, 1), end_date=date(2020, 2, 1))
    services.contract_terminate(contract=terminated, reason="Closed early", by=manager)

    assert tasks.expire_contracts.delay().get() == 1
    assert tasks.expire_contracts.delay().get() == 0
    statuses = dict(Contract.objects.values_list("pk", "status"))
    assert statuses == {
        past.pk: "expired",
        ends_today.pk: "active",
        open_ended.pk: "active",
        draft.pk: "draft",
        terminated.pk: "terminated",
    }
    # The last contract expiring does not end anything else.
    assert past.customer.relationships.get().status != Relationship.Status.ENDED


def test_contract_list_filters_contracts_ending_soon(persona_client, sales_rep):
    soon = ContractFactory(end_date=TODAY + timedelta(days=20))
    ContractFactory(end_date=TODAY + timedelta(days=200))
    ContractFactory(end_date=TODAY + timedelta(days=10), status="draft", signed_on=None)
    response = persona_client(sales_rep).get(
        reverse("relationships:contract_list"), {"ending_within": 30}
    )
    assert list(response.context["page"]) == [soon]


def test_an_ended_contract_cannot_be_edited(persona_client, manager):
    contract = ContractFactory(status="expired")
    response = persona_client(manager).post(
        reverse("relationships:contract_edit", args=[contract.pk]), _form_data(title="Changed")
    )
    assert response.status_code == 302
    contract.refresh_from_db()
    assert contract.title != "Changed"
