"""Every new model is in Django admin; state that services keep consistent is read-only there."""

from decimal import Decimal

import pytest
from django.urls import reverse

from core.models import AuditEvent
from relationships.models import Asset, Contract, Document, Invoice, Payment, Payout
from tests.factories import (
    AssetFactory,
    ContractFactory,
    CustomerFactory,
    DocumentFactory,
    InvoiceFactory,
    PaymentFactory,
    PayoutFactory,
)

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("model", [Contract, Invoice, Payment, Payout, Asset, Document])
def test_admin_lists_searches_and_opens_every_model(client, admin_user, customer, model):
    contract = ContractFactory(customer=customer)
    invoice = InvoiceFactory(customer=customer, contract=contract)
    PaymentFactory(invoice=invoice, amount=Decimal("5"))
    PayoutFactory(customer=customer)
    AssetFactory(customer=customer, contract=contract)
    DocumentFactory(customer=customer, invoice=invoice)
    client.force_login(admin_user)
    opts = model._meta
    changelist = reverse(f"admin:{opts.app_label}_{opts.model_name}_changelist")
    assert client.get(changelist, {"q": "a"}).status_code == 200
    obj = model.objects.get()
    response = client.get(
        reverse(f"admin:{opts.app_label}_{opts.model_name}_change", args=[obj.pk])
    )
    assert response.status_code == 200
    if model is Document:
        # The admin links to the checked download view, never to the storage path.
        body = response.content.decode()
        assert reverse("relationships:document_download", args=[obj.pk]) in body
        assert obj.file.url not in body


def test_payments_cannot_be_added_or_changed_in_admin(client, admin_user):
    payment = PaymentFactory()
    client.force_login(admin_user)
    assert client.get(reverse("admin:relationships_payment_add")).status_code == 403
    response = client.post(
        reverse("admin:relationships_payment_change", args=[payment.pk]),
        {"amount": "1", "currency": "PLN", "paid_on": "2025-01-01", "method": "cash"},
    )
    assert response.status_code == 403
    payment.refresh_from_db()
    assert payment.amount == Decimal("100.00")


def _invoice_change_form(invoice, **changes):
    """The invoice's admin change form as the browser posts it, with `changes` applied."""
    payments = list(invoice.payments.order_by("pk"))
    data = {
        "number": invoice.number,
        "customer": invoice.customer_id,
        "contract": invoice.contract_id or "",
        "issue_date": invoice.issue_date.isoformat(),
        "due_date": invoice.due_date.isoformat(),
        "amount": str(invoice.amount),
        "currency": invoice.currency,
        "period_start": "",
        "period_end": "",
        "payments-TOTAL_FORMS": len(payments),
        "payments-INITIAL_FORMS": len(payments),
        "payments-MIN_NUM_FORMS": 0,
        "payments-MAX_NUM_FORMS": 1000,
    }
    for index, payment in enumerate(payments):
        data[f"payments-{index}-id"] = payment.pk
        data[f"payments-{index}-invoice"] = invoice.pk
    return {**data, **changes}


def test_moving_an_invoice_to_another_customer_in_admin_takes_its_payments_along(
    client, admin_user, customer
):
    invoice = InvoiceFactory(customer=customer, amount=Decimal("100"))
    payments = [
        PaymentFactory(invoice=invoice, amount=Decimal("30")),
        PaymentFactory(invoice=invoice, amount=Decimal("20")),
    ]
    other = CustomerFactory()
    client.force_login(admin_user)
    response = client.post(
        reverse("admin:relationships_invoice_change", args=[invoice.pk]),
        _invoice_change_form(invoice, customer=other.pk, due_date="2100-01-01"),
    )
    assert response.status_code == 302, response.context["adminform"].form.errors
    invoice.refresh_from_db()
    assert (invoice.customer_id, invoice.due_date.isoformat()) == (other.pk, "2100-01-01")
    assert set(other.payments.all()) == set(payments)
    assert not customer.payments.exists()
    for payment in payments:
        latest = AuditEvent.objects.filter(
            model="relationships.payment", object_id=payment.pk
        ).latest("at", "id")
        assert (latest.action, latest.changes["customer_id"], latest.user) == (
            "update",
            [customer.pk, other.pk],
            admin_user,
        )
    # The admin's history of a payment is its audit.
    history = client.get(reverse("admin:relationships_payment_history", args=[payments[0].pk]))
    assert history.status_code == 302
    assert history.url == (
        f"{reverse('audit_list')}?model=relationships.payment&object_id={payments[0].pk}"
    )


def test_an_invoice_edited_in_admin_without_a_new_customer_keeps_its_payments(
    client, admin_user, customer
):
    invoice = InvoiceFactory(customer=customer, amount=Decimal("100"))
    payment = PaymentFactory(invoice=invoice, amount=Decimal("30"))
    client.force_login(admin_user)
    response = client.post(
        reverse("admin:relationships_invoice_change", args=[invoice.pk]),
        _invoice_change_form(invoice, amount="120.00"),
    )
    assert response.status_code == 302, response.context["adminform"].form.errors
    invoice.refresh_from_db()
    assert (invoice.customer_id, invoice.amount) == (customer.pk, Decimal("120.00"))
    assert list(customer.payments.all()) == [payment]
