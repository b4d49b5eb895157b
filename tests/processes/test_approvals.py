"""Approvals gate their actions: a large discount and a write-off wait for a manager."""

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from processes import services
from processes.models import Approval, Notification
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _threshold(settings):
    settings.PROCESS_DISCOUNT_APPROVAL_THRESHOLD = Decimal("10")


def test_a_small_discount_applies_at_once(opportunity, sales_rep):
    assert services.opportunity_set_discount(instance=opportunity, percent=5, by=sales_rep) is None
    opportunity.refresh_from_db()
    assert opportunity.discount_percent == 5


def test_a_large_discount_waits_for_a_manager(persona_client, opportunity, sales_rep, manager):
    response = persona_client(sales_rep).post(
        reverse("processes:opportunity_discount", args=[opportunity.pk]),
        {"percent": "25", "reason": "Competitor offers 20 % off"},
    )
    assert response.status_code == 302
    opportunity.refresh_from_db()
    assert opportunity.discount_percent == 0
    approval = Approval.objects.get()
    assert approval.is_pending and approval.value == 25
    assert Notification.objects.filter(recipient=manager, kind="approval_requested").exists()


def test_approving_applies_the_discount(persona_client, opportunity, sales_rep, manager):
    approval = services.opportunity_set_discount(
        instance=opportunity, percent=25, reason="Big order", by=sales_rep
    )
    response = persona_client(manager).post(
        reverse("processes:approval_approve", args=[approval.pk]), {"comment": "OK this once"}
    )
    assert response.status_code == 302
    opportunity.refresh_from_db()
    assert opportunity.discount_percent == 25
    approval.refresh_from_db()
    assert (approval.decision, approval.decided_by) == ("approved", manager)
    assert Notification.objects.filter(recipient=sales_rep, kind="approval_decided").exists()


def test_rejecting_needs_a_comment_and_leaves_the_price(
    persona_client, opportunity, sales_rep, manager
):
    approval = services.opportunity_set_discount(
        instance=opportunity, percent=40, reason="Please", by=sales_rep
    )
    client = persona_client(manager)
    url = reverse("processes:approval_reject", args=[approval.pk])
    response = client.post(url, {"comment": ""})
    assert response.context["form"].errors["comment"]
    approval.refresh_from_db()
    assert approval.is_pending
    client.post(url, {"comment": "Too much"})
    approval.refresh_from_db()
    opportunity.refresh_from_db()
    assert approval.decision == "rejected"
    assert opportunity.discount_percent == 0


def test_a_large_discount_without_a_reason_is_refused_beside_the_field(
    persona_client, opportunity, sales_rep
):
    response = persona_client(sales_rep).post(
        reverse("processes:opportunity_discount", args=[opportunity.pk]),
        {"percent": "30", "reason": ""},
    )
    assert response.context["discount_form"].errors["reason"]
    response = persona_client(sales_rep).post(
        reverse("processes:opportunity_discount", args=[opportunity.pk]), {"percent": "130"}
    )
    assert response.context["discount_form"].errors["percent"]
    assert not Approval.objects.exists()


def test_one_pending_request_per_action(opportunity, sales_rep):
    services.opportunity_set_discount(instance=opportunity, percent=20, reason="a", by=sales_rep)
    with pytest.raises(ValidationError):
        services.opportunity_set_discount(
            instance=opportunity, percent=30, reason="b", by=sales_rep
        )


def test_nobody_decides_their_own_request(opportunity, manager):
    approval = services.opportunity_set_discount(
        instance=opportunity, percent=20, reason="mine", by=manager
    )
    with pytest.raises(ValidationError):
        services.approval_approve(approval=approval, by=manager)
    other = UserFactory(username="mia_manager", roles=["manager"])
    services.approval_approve(approval=approval, by=other)
    opportunity.refresh_from_db()
    assert opportunity.discount_percent == 20


def test_a_decided_request_cannot_be_decided_again(opportunity, sales_rep, manager):
    approval = services.opportunity_set_discount(
        instance=opportunity, percent=20, reason="x", by=sales_rep
    )
    services.approval_reject(approval=approval, by=manager, comment="No")
    with pytest.raises(ValidationError):
        services.approval_approve(approval=approval, by=manager)
    opportunity.refresh_from_db()
    assert opportunity.discount_percent == 0


def test_approvals_page_query_count(
    persona_client, manager, sales_process, sales_rep, django_assert_max_num_queries
):
    from tests.factories import CustomerFactory

    for i in range(12):
        instance = services.instance_open(
            definition=sales_process, customer=CustomerFactory(), title=f"D{i}", by=sales_rep
        )
        services.opportunity_set_discount(instance=instance, percent=20, reason="x", by=sales_rep)
    client = persona_client(manager)
    # +1: the decided payouts, listed beside the decided approvals.
    with django_assert_max_num_queries(8):
        response = client.get(reverse("processes:approval_list"))
    assert len(response.context["entries"]) == 12
