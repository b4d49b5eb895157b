"""Contracts through the API: drafts recorded and edited with the screens' rules; signing stays
on the contract's page, where back-billing is confirmed."""

import pytest

from relationships.models import Contract
from tests.factories import CustomerFactory

pytestmark = pytest.mark.django_db


def _draft(customer, **fields):
    return {
        "customer": customer.pk,
        "number": "UM/2026/7",
        "title": "Printer service",
        "product": "Service 24/7",
        "value": "1200.00",
        "currency": "PLN",
        "billing_period": "monthly",
        "start_date": "2026-12-01",
        **fields,
    }


def test_sales_records_a_draft_contract_once_per_key(api_as, sales_rep):
    customer = CustomerFactory(owner=sales_rep)
    api = api_as(sales_rep)
    first = api.post(
        "/api/v1/contracts/", _draft(customer), format="json", HTTP_IDEMPOTENCY_KEY="c-1"
    )
    again = api.post(
        "/api/v1/contracts/", _draft(customer), format="json", HTTP_IDEMPOTENCY_KEY="c-1"
    )
    assert (first.status_code, again.status_code) == (201, 201), first.json()
    contract = Contract.objects.get(customer=customer)
    assert (contract.status, contract.signed_on, contract.created_by) == (
        Contract.Status.DRAFT,
        None,
        sales_rep,
    )
    assert again["Idempotent-Replayed"] == "true"


def test_a_contract_the_model_refuses_is_a_problem_beside_the_field(api_as, sales_rep):
    customer = CustomerFactory(owner=sales_rep)
    response = api_as(sales_rep).post(
        "/api/v1/contracts/",
        _draft(customer, start_date="2026-12-01", end_date="2026-01-01"),
        format="json",
    )
    assert response.status_code in (400, 422)
    assert response["Content-Type"] == "application/problem+json"
    assert not Contract.objects.exists()


def test_finance_may_not_record_contracts(api_as, finance_clerk):
    customer = CustomerFactory()
    response = api_as(finance_clerk).post("/api/v1/contracts/", _draft(customer), format="json")
    assert response.status_code == 403
    assert not Contract.objects.exists()


def test_a_draft_is_edited_with_if_match_and_a_stale_one_is_refused(api_as, sales_rep):
    customer = CustomerFactory(owner=sales_rep)
    api = api_as(sales_rep)
    created = api.post("/api/v1/contracts/", _draft(customer), format="json").json()
    url = f"/api/v1/contracts/{created['id']}/"
    etag = api.get(url)["ETag"]
    changed = api.patch(url, {"title": "Printer care"}, format="json", HTTP_IF_MATCH=etag)
    assert changed.status_code == 200, changed.json()
    stale = api.patch(url, {"title": "Other"}, format="json", HTTP_IF_MATCH=etag)
    assert stale.status_code == 412
    assert Contract.objects.get(pk=created["id"]).title == "Printer care"
