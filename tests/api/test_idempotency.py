"""Idempotency-Key on creates: an ERP that retries never books a payment or issues an invoice
twice."""

import threading
from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.utils import timezone
from rest_framework.test import APIClient

from api.models import ApiToken, IdempotencyKey
from api.tasks import purge_idempotency_keys
from relationships.models import Invoice, Payment
from tests.factories import CustomerFactory, InvoiceFactory

from .conftest import problem_of


def _payment(invoice, amount="100.00"):
    return {
        "invoice": invoice.pk,
        "amount": amount,
        "currency": invoice.currency,
        "paid_on": timezone.localdate().isoformat(),
        "method": "bank_transfer",
        "reference": "ERP-1",
    }


@pytest.fixture
def invoice(finance_clerk):
    return InvoiceFactory(customer=CustomerFactory(), amount=Decimal("500.00"))


def test_a_retry_with_the_same_key_gets_the_same_answer_and_books_once(
    api_as, finance_clerk, invoice
):
    api = api_as(finance_clerk)
    first = api.post(
        "/api/v1/payments/", _payment(invoice), format="json", HTTP_IDEMPOTENCY_KEY="pay-1"
    )
    assert first.status_code == 201, first.json()
    retry = api.post(
        "/api/v1/payments/", _payment(invoice), format="json", HTTP_IDEMPOTENCY_KEY="pay-1"
    )
    assert retry.status_code == 201
    assert retry.json() == first.json()
    assert retry["Idempotent-Replayed"] == "true"
    assert Payment.objects.count() == 1
    invoice.refresh_from_db()
    assert invoice.paid_amount == Decimal("100.00")


def test_the_same_key_with_another_body_is_a_422(api_as, finance_clerk, invoice):
    api = api_as(finance_clerk)
    api.post("/api/v1/payments/", _payment(invoice), format="json", HTTP_IDEMPOTENCY_KEY="k")
    response = api.post(
        "/api/v1/payments/", _payment(invoice, "50.00"), format="json", HTTP_IDEMPOTENCY_KEY="k"
    )
    assert response.status_code == 422
    assert problem_of(response)["type"] == "/api/v1/problems/idempotency-key-reused"
    assert Payment.objects.count() == 1


def test_keys_belong_to_one_token(token_for, finance_clerk, invoice):
    """Two systems choosing the same key do not get each other's answers."""
    answers = []
    for _system in range(2):
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {token_for(finance_clerk)}")
        answers.append(
            client.post(
                "/api/v1/payments/", _payment(invoice), format="json", HTTP_IDEMPOTENCY_KEY="1"
            )
        )
    assert [answer.status_code for answer in answers] == [201, 201]
    assert Payment.objects.count() == 2


def test_a_failed_create_stores_no_answer_so_a_corrected_retry_runs(api_as, finance_clerk, invoice):
    api = api_as(finance_clerk)
    too_much = api.post(
        "/api/v1/payments/", _payment(invoice, "900.00"), format="json", HTTP_IDEMPOTENCY_KEY="x"
    )
    assert too_much.status_code == 422
    assert "overpay" in problem_of(too_much)["errors"]["amount"][0]
    assert not IdempotencyKey.objects.exists()
    retry = api.post(
        "/api/v1/payments/", _payment(invoice, "900.00"), format="json", HTTP_IDEMPOTENCY_KEY="x"
    )
    assert retry.status_code == 422
    assert Payment.objects.count() == 0


def test_invoices_are_issued_once_per_key(api_as, finance_clerk):
    customer = CustomerFactory()
    body = {
        "customer": customer.pk,
        "number": "FV/2026/0001",
        "issue_date": timezone.localdate().isoformat(),
        "due_date": (timezone.localdate() + timedelta(days=14)).isoformat(),
        "amount": "1230.00",
        "currency": "PLN",
    }
    api = api_as(finance_clerk)
    first = api.post("/api/v1/invoices/", body, format="json", HTTP_IDEMPOTENCY_KEY="inv-1")
    again = api.post("/api/v1/invoices/", body, format="json", HTTP_IDEMPOTENCY_KEY="inv-1")
    assert (first.status_code, again.status_code) == (201, 201)
    assert again.json()["id"] == first.json()["id"]
    assert Invoice.objects.filter(customer=customer).count() == 1


def test_an_overlong_key_is_a_400(api_as, finance_clerk, invoice):
    response = api_as(finance_clerk).post(
        "/api/v1/payments/", _payment(invoice), format="json", HTTP_IDEMPOTENCY_KEY="k" * 256
    )
    assert response.status_code == 400
    assert "Idempotency-Key" in problem_of(response)["errors"]


def test_expired_keys_are_purged_and_free_again(api_as, finance_clerk, invoice):
    api = api_as(finance_clerk)
    api.post(
        "/api/v1/payments/", _payment(invoice, "10.00"), format="json", HTTP_IDEMPOTENCY_KEY="e"
    )
    IdempotencyKey.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    # Expired but not yet purged: the key is free for a new request.
    again = api.post(
        "/api/v1/payments/", _payment(invoice, "20.00"), format="json", HTTP_IDEMPOTENCY_KEY="e"
    )
    assert again.status_code == 201
    assert "Idempotent-Replayed" not in again
    IdempotencyKey.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    assert purge_idempotency_keys() == 1
    assert not IdempotencyKey.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_two_simultaneous_requests_with_one_key_book_one_payment(token_for, finance_clerk):
    """The unique key makes the second request wait for the first to commit, then replay its
    answer (PostgreSQL; SQLite runs one writer at a time)."""
    if connection.vendor != "postgresql":
        pytest.skip("concurrent transactions need PostgreSQL")
    invoice = InvoiceFactory(customer=CustomerFactory(), amount=Decimal("500.00"))
    secret = token_for(finance_clerk, ApiToken.Access.WRITE)
    answers, barrier = [], threading.Barrier(4)

    def pay():
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {secret}")
        barrier.wait()
        answers.append(
            client.post(
                "/api/v1/payments/", _payment(invoice), format="json", HTTP_IDEMPOTENCY_KEY="race"
            )
        )
        connection.close()

    threads = [threading.Thread(target=pay) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert [answer.status_code for answer in answers] == [201] * 4
    assert len({answer.json()["id"] for answer in answers}) == 1
    assert Payment.objects.count() == 1
    invoice.refresh_from_db()
    assert invoice.paid_amount == Decimal("100.00")
