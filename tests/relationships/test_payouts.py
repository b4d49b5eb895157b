"""Payouts to the customer: above the threshold a manager other than the requester approves
before finance may pay."""

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.urls import reverse

from core.permissions import MANAGER
from relationships import services
from relationships.models import Payout
from tests.factories import PayoutFactory, UserFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("personas_in_one_team")]


@pytest.fixture
def second_manager(db):
    return UserFactory(username="mary_manager", roles=[MANAGER])


def test_a_payout_up_to_the_threshold_is_paid_without_approval(settings, finance_clerk):
    settings.PAYOUT_APPROVAL_THRESHOLD = Decimal("1000")
    payout = PayoutFactory(amount=Decimal("1000.00"))
    assert not payout.needs_approval
    payout = services.payout_mark_paid(payout=payout, by=finance_clerk)
    assert (payout.status, payout.paid_by) == ("paid", finance_clerk)


def test_a_payout_above_the_threshold_cannot_be_paid_before_approval(
    settings, finance_clerk, manager
):
    settings.PAYOUT_APPROVAL_THRESHOLD = Decimal("1000")
    payout = PayoutFactory(amount=Decimal("1000.01"), currency="EUR", requested_by=finance_clerk)
    assert payout.needs_approval
    with pytest.raises(ValidationError, match="approval"):
        services.payout_mark_paid(payout=payout, by=finance_clerk)
    payout.refresh_from_db()
    assert (payout.status, payout.paid_at) == ("requested", None)

    services.payout_approve(payout=payout, by=manager)
    payout = services.payout_mark_paid(payout=payout, by=finance_clerk)
    assert (payout.status, payout.approved_by) == ("paid", manager)


def test_the_threshold_comes_from_settings(settings):
    settings.PAYOUT_APPROVAL_THRESHOLD = Decimal("50")
    assert PayoutFactory(amount=Decimal("50.01")).needs_approval
    assert list(Payout.objects.awaiting_approval()) == [Payout.objects.get()]


def test_nobody_approves_their_own_payout(manager):
    payout = PayoutFactory(amount=Decimal("5000"), requested_by=manager)
    with pytest.raises(ValidationError, match="own payout"):
        services.payout_approve(payout=payout, by=manager)
    payout.refresh_from_db()
    assert payout.status == "requested"
    with pytest.raises(IntegrityError), transaction.atomic():
        Payout.objects.filter(pk=payout.pk).update(approved_by=manager)


def test_a_rejection_needs_a_reason_and_a_rejected_payout_is_never_paid(manager, finance_clerk):
    payout = PayoutFactory(amount=Decimal("5000"))
    with pytest.raises(ValidationError):
        services.payout_reject(payout=payout, reason=" ", by=manager)
    services.payout_reject(payout=payout, reason="Not covered by the warranty", by=manager)
    with pytest.raises(ValidationError):
        services.payout_mark_paid(payout=payout, by=finance_clerk)
    payout.refresh_from_db()
    assert payout.status == "rejected"


def test_a_manager_approves_from_the_awaiting_list_and_finance_pays(
    client, manager, finance_clerk, sales_rep
):
    payout = PayoutFactory(amount=Decimal("2500"), requested_by=sales_rep)
    small = PayoutFactory(amount=Decimal("20"), requested_by=sales_rep)
    client.force_login(manager)
    response = client.get(reverse("relationships:payout_list"))
    assert response.context["awaiting"] == [payout]
    assert response.context["to_pay"] == [small]
    response = client.post(reverse("relationships:payout_approve", args=[payout.pk]))
    assert response.status_code == 302
    client.force_login(finance_clerk)
    assert client.post(reverse("relationships:payout_approve", args=[payout.pk])).status_code == 403
    client.post(reverse("relationships:payout_mark_paid", args=[payout.pk]))
    payout.refresh_from_db()
    assert (payout.status, payout.approved_by, payout.paid_by) == ("paid", manager, finance_clerk)


def test_rejecting_without_a_reason_shows_the_error_on_the_list(client, manager):
    payout = PayoutFactory(amount=Decimal("2500"))
    client.force_login(manager)
    response = client.post(
        reverse("relationships:payout_reject", args=[payout.pk]), {"rejection_reason": ""}
    )
    assert response.status_code == 200
    assert "rejection_reason" in response.context["reject_form"].errors
    payout.refresh_from_db()
    assert payout.status == "requested"


def test_requesting_a_payout_from_the_customer_page(persona_client, service_agent, customer):
    response = persona_client(service_agent).post(
        reverse("relationships:payout_create", args=[customer.pk]),
        {"kind": "claim", "amount": "150.50", "currency": "czk", "reason": "Broken on delivery"},
    )
    assert response.status_code == 302
    payout = customer.payouts.get()
    assert (payout.requested_by, payout.currency, payout.status) == (
        service_agent,
        "CZK",
        "requested",
    )


@pytest.mark.parametrize(
    ("field", "value"),
    [("amount", "0"), ("amount", "-3"), ("currency", "EURO"), ("kind", "gift"), ("reason", "")],
)
def test_bad_payout_input_is_refused_beside_the_field(
    persona_client, sales_rep, customer, field, value
):
    data = {"kind": "bonus", "amount": "10", "currency": "PLN", "reason": "Loyalty"}
    data[field] = value
    response = persona_client(sales_rep).post(
        reverse("relationships:payout_create", args=[customer.pk]), data
    )
    assert response.status_code == 200
    assert field in response.context["form"].errors
    assert not Payout.objects.exists()


def test_an_approved_payout_can_no_longer_be_edited(persona_client, sales_rep, manager):
    payout = PayoutFactory(amount=Decimal("5000"), requested_by=sales_rep)
    services.payout_approve(payout=payout, by=manager)
    response = persona_client(sales_rep).post(
        reverse("relationships:payout_edit", args=[payout.pk]),
        {"kind": "bonus", "amount": "999999", "currency": "PLN", "reason": "More"},
    )
    assert response.status_code == 302
    payout.refresh_from_db()
    assert payout.amount == Decimal("5000")
