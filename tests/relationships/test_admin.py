"""Every new model is in Django admin; state that services keep consistent is read-only there."""

from decimal import Decimal

import pytest
from django.urls import reverse

from relationships.models import Asset, Contract, Document, Invoice, Payment, Payout
from tests.factories import (
    AssetFactory,
    ContractFactory,
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
