"""One approvals inbox: discounts, write-offs and payouts waiting, each decided from there
through its own service, with the permissions of today."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from processes import services
from processes.models import Approval
from relationships.models import Invoice, Payout
from tests.factories import CustomerFactory, InvoiceFactory, PayoutFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _thresholds(settings):
    settings.PROCESS_DISCOUNT_APPROVAL_THRESHOLD = Decimal("10")
    settings.PAYOUT_APPROVAL_THRESHOLD = Decimal("1000")


@pytest.fixture
def discount(opportunity, sales_rep):
    return services.opportunity_set_discount(
        instance=opportunity, percent=25, reason="Key account", by=sales_rep
    )


@pytest.fixture
def write_off(collections_process, customer, finance_clerk):
    today = timezone.localdate()
    invoice = InvoiceFactory(
        customer=customer,
        issue_date=today - timedelta(days=90),
        due_date=today - timedelta(days=60),
        amount=Decimal("300.00"),
    )
    case = services.collection_case_open(invoice=invoice, by=finance_clerk)
    return services.collection_case_request_write_off(
        instance=case.instance, reason="The company is gone", by=finance_clerk
    )


@pytest.fixture
def payout(customer, sales_rep):
    return PayoutFactory(customer=customer, amount=Decimal("5000.00"), requested_by=sales_rep)


def test_the_inbox_lists_discounts_write_offs_and_payouts_oldest_first(
    persona_client, manager, discount, write_off, payout
):
    PayoutFactory(amount=Decimal("50.00"))  # below the threshold: finance pays it at once

    response = persona_client(manager).get(reverse("processes:approval_list"))

    entries = response.context["entries"]
    assert [(kind, item.pk) for kind, item in entries] == [
        ("approval", discount.pk),
        ("approval", write_off.pk),
        ("payout", payout.pk),
    ]
    html = response.content.decode()
    assert f'id="payout-{payout.pk}"' in html
    assert reverse("processes:approval_payout_approve", args=[payout.pk]) in html


def test_approving_each_kind_from_the_inbox(
    persona_client, manager, discount, write_off, payout, opportunity
):
    client = persona_client(manager)
    inbox = reverse("processes:approval_list")

    for url in (
        reverse("processes:approval_approve", args=[discount.pk]),
        reverse("processes:approval_approve", args=[write_off.pk]),
        reverse("processes:approval_payout_approve", args=[payout.pk]),
    ):
        response = client.post(url, {"next": inbox})
        assert response.status_code == 302 and response.url == inbox, url

    opportunity.refresh_from_db()
    assert opportunity.discount_percent == 25
    assert Invoice.objects.get(collection_case__instance=write_off.instance).written_off_at
    payout.refresh_from_db()
    assert payout.status == Payout.Status.APPROVED and payout.approved_by == manager
    assert client.get(inbox).context["entries"] == []


def test_recently_decided_lists_every_kind_newest_first(
    persona_client, manager, discount, write_off, payout, customer, sales_rep
):
    other_manager = UserFactory(roles=["manager"])
    refused = PayoutFactory(customer=customer, amount=Decimal("7000.00"), requested_by=sales_rep)
    client = persona_client(manager)
    client.post(reverse("processes:approval_approve", args=[discount.pk]))
    client.post(reverse("processes:approval_payout_approve", args=[payout.pk]))
    client.post(
        reverse("processes:approval_reject", args=[write_off.pk]), {"comment": "Keep chasing"}
    )
    client.post(
        reverse("processes:approval_payout_reject", args=[refused.pk]),
        {"rejection_reason": "Not in the contract"},
    )
    payout.refresh_from_db()
    payout.mark_paid(by=other_manager)  # paid since: still a decided approval

    response = client.get(reverse("processes:approval_list"))

    assert [(kind, item.pk) for kind, item in response.context["decided"]] == [
        ("payout", refused.pk),
        ("approval", write_off.pk),
        ("payout", payout.pk),
        ("approval", discount.pk),
    ]
    decided = response.content.decode().split('id="decided"')[1]
    assert "No decisions yet." not in decided
    assert f'id="decided-payout-{payout.pk}"' in decided
    assert f'id="decided-payout-{refused.pk}"' in decided
    assert "Not in the contract" in decided and "Keep chasing" in decided


def test_rejecting_a_payout_needs_a_reason_shown_beside_it(persona_client, manager, payout):
    client = persona_client(manager)

    refused = client.post(
        reverse("processes:approval_payout_reject", args=[payout.pk]), {"rejection_reason": " "}
    )
    assert refused.status_code == 200
    assert refused.context["payout_pk"] == payout.pk
    assert "rejection_reason" in refused.context["payout_form"].errors
    payout.refresh_from_db()
    assert payout.status == Payout.Status.REQUESTED

    done = client.post(
        reverse("processes:approval_payout_reject", args=[payout.pk]),
        {"rejection_reason": "Not covered by the contract"},
    )
    assert done.status_code == 302
    payout.refresh_from_db()
    assert payout.status == Payout.Status.REJECTED
    assert payout.rejection_reason == "Not covered by the contract"


def test_a_manager_cannot_approve_their_own_payout_from_the_inbox(persona_client, manager):
    own = PayoutFactory(amount=Decimal("5000.00"), requested_by=manager)
    client = persona_client(manager)

    html = client.get(reverse("processes:approval_list")).content.decode()
    assert "Your own request: another manager decides it." in html
    response = client.post(reverse("processes:approval_payout_approve", args=[own.pk]))

    assert response.status_code == 200
    assert "Nobody can approve their own payout." in response.content.decode()
    own.refresh_from_db()
    assert own.status == Payout.Status.REQUESTED


def test_a_payout_decided_meanwhile_is_a_message_not_an_error(persona_client, manager, payout):
    other_manager = UserFactory(roles=["manager"])
    payout.approve(by=other_manager)

    response = persona_client(manager).post(
        reverse("processes:approval_payout_approve", args=[payout.pk])
    )

    assert response.status_code == 200
    assert "Only a requested payout can be approved." in response.content.decode()


@pytest.mark.parametrize("persona", ["sales_rep", "service_agent", "finance_clerk", "outsider"])
def test_only_managers_decide_payouts_from_the_inbox(request, client, persona, payout):
    client.force_login(request.getfixturevalue(persona))
    for name in ("processes:approval_payout_approve", "processes:approval_payout_reject"):
        assert client.post(reverse(name, args=[payout.pk])).status_code == 403
    assert client.get(reverse("processes:approval_list")).status_code == 403
    payout.refresh_from_db()
    assert payout.status == Payout.Status.REQUESTED


def test_a_missing_payout_is_not_found(persona_client, manager):
    client = persona_client(manager)
    for name in ("processes:approval_payout_approve", "processes:approval_payout_reject"):
        assert client.post(reverse(name, args=[999999])).status_code == 404


def test_the_inbox_costs_the_same_queries_for_many_requests(
    persona_client, manager, sales_process, sales_rep, django_assert_max_num_queries
):
    for i in range(6):
        instance = services.instance_open(
            definition=sales_process, customer=CustomerFactory(), title=f"D{i}", by=sales_rep
        )
        services.opportunity_set_discount(instance=instance, percent=20, reason="x", by=sales_rep)
        PayoutFactory(amount=Decimal("5000.00"), requested_by=sales_rep)
    client = persona_client(manager)
    client.get(reverse("processes:approval_list"))

    # The approvals, the payouts, the decided ones of each, the bell: and the session, user
    # and roles.
    with django_assert_max_num_queries(8):
        response = client.get(reverse("processes:approval_list"))
    assert len(response.context["entries"]) == 12
    assert Approval.objects.filter(decision="pending").count() == 6
