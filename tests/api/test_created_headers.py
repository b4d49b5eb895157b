"""A 201 Created names the new record (Location) and carries its ETag; a replay of an idempotent
create answers exactly as the first answer did: status, body, ETag and Location."""

from decimal import Decimal

from django.utils import timezone

from relationships.models import Payment
from tests.factories import CustomerFactory, InvoiceFactory


def _payment(invoice):
    return {
        "invoice": invoice.pk,
        "amount": "100.00",
        "currency": invoice.currency,
        "paid_on": timezone.localdate().isoformat(),
        "method": "bank_transfer",
        "reference": "ERP-7",
    }


def test_a_created_record_is_named_by_location_and_can_be_read_there(api_as, sales_rep):
    customer = CustomerFactory(owner=sales_rep)
    api = api_as(sales_rep)
    created = api.post(
        "/api/v1/contacts/",
        {"customer": customer.pk, "first_name": "Jan", "last_name": "Kowalski"},
        format="json",
    )
    assert created.status_code == 201, created.json()
    assert created["Location"] == f"http://testserver/api/v1/contacts/{created.json()['id']}/"
    read = api.get(created["Location"])
    assert read.status_code == 200
    assert read.json() == created.json()
    assert read["ETag"] == created["ETag"]


def test_a_started_relationship_is_named_by_location(api_as, manager):
    customer = CustomerFactory(owner=manager)
    api = api_as(manager)
    relationship = customer.relationships.get()
    etag = api.get(f"/api/v1/relationships/{relationship.pk}/")["ETag"]
    api.post(
        f"/api/v1/relationships/{relationship.pk}/end/",
        {"reason": "other", "note": "Moved abroad"},
        format="json",
        HTTP_IF_MATCH=etag,
    )
    started = api.post("/api/v1/relationships/start/", {"customer": customer.pk}, format="json")
    assert started.status_code == 201, started.json()
    new = customer.relationships.open().get()
    assert started["Location"] == f"http://testserver/api/v1/relationships/{new.pk}/"


def test_a_replay_answers_exactly_as_the_first_answer(api_as, finance_clerk):
    invoice = InvoiceFactory(customer=CustomerFactory(), amount=Decimal("500.00"))
    api = api_as(finance_clerk)
    first = api.post(
        "/api/v1/payments/", _payment(invoice), format="json", HTTP_IDEMPOTENCY_KEY="pay-7"
    )
    assert first.status_code == 201, first.json()
    assert first["ETag"] and first["Location"]
    replay = api.post(
        "/api/v1/payments/", _payment(invoice), format="json", HTTP_IDEMPOTENCY_KEY="pay-7"
    )
    assert replay["Idempotent-Replayed"] == "true"
    assert replay.status_code == first.status_code
    assert replay.content == first.content
    assert replay["Content-Type"] == first["Content-Type"]
    assert replay["ETag"] == first["ETag"]
    assert replay["Location"] == first["Location"]
    assert Payment.objects.count() == 1
    # The ETag replayed is still the record's: an If-Match with it is not stale.
    assert api.get(first["Location"])["ETag"] == replay["ETag"]
