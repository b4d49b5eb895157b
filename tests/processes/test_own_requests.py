"""Four eyes on the screens: a manager's own discount or start request shows no Approve/Reject
buttons (the service would refuse them), but says that another manager decides it."""

from decimal import Decimal

import pytest
from django.urls import reverse

from processes import services
from processes.models import Approval
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db
OWN_REQUEST = "Your own request: another manager decides it."


@pytest.fixture(autouse=True)
def _threshold(settings):
    settings.PROCESS_DISCOUNT_APPROVAL_THRESHOLD = Decimal("10")


@pytest.fixture
def own_discount(opportunity, manager):
    return services.opportunity_set_discount(
        instance=opportunity, percent=25, reason="Key account", by=manager
    )


@pytest.fixture
def own_start(opportunity, manager):
    return Approval.objects.create(
        instance=opportunity,
        action=Approval.Action.START,
        reason="Rule “A/B or ask”: the customer is graded C.",
        requested_by=manager,
    )


def _decide_urls(approval):
    return [
        reverse("processes:approval_approve", args=[approval.pk]),
        reverse("processes:approval_reject", args=[approval.pk]),
    ]


def test_the_inbox_shows_no_buttons_on_ones_own_discount_request(
    persona_client, manager, own_discount
):
    html = persona_client(manager).get(reverse("processes:approval_list")).content.decode()

    assert f'id="approval-{own_discount.pk}"' in html
    assert OWN_REQUEST in html
    for url in _decide_urls(own_discount):
        assert url not in html


def test_another_manager_gets_the_buttons_and_the_service_agrees(
    persona_client, manager, own_discount
):
    other = UserFactory(username="maria_manager", roles=["manager"])
    client = persona_client(other)

    html = client.get(reverse("processes:approval_list")).content.decode()
    assert OWN_REQUEST not in html
    for url in _decide_urls(own_discount):
        assert url in html
    response = client.post(_decide_urls(own_discount)[0], {"comment": ""})
    assert response.status_code == 302
    own_discount.refresh_from_db()
    assert own_discount.decision == Approval.Decision.APPROVED


def test_the_rule_the_screens_ask_is_the_one_the_service_enforces(manager, own_discount):
    from django.core.exceptions import ValidationError

    assert own_discount.is_requested_by(manager)
    with pytest.raises(ValidationError, match="Nobody can decide their own request"):
        services.approval_approve(approval=own_discount, by=manager)


def test_a_scheduled_jobs_request_is_anyones_to_decide(manager, opportunity):
    job_start = Approval(instance=opportunity, action=Approval.Action.START, requested_by=None)
    assert not job_start.is_requested_by(manager)


def test_the_instance_page_offers_no_decision_on_ones_own_start_request(
    persona_client, manager, own_start, opportunity
):
    html = persona_client(manager).get(opportunity.get_absolute_url()).content.decode()

    assert 'id="hold"' in html
    assert f"#approval-{own_start.pk}" not in html  # no "Decide" link
    assert OWN_REQUEST in html


def test_the_instance_page_links_another_manager_to_the_decision(
    persona_client, own_start, opportunity
):
    other = UserFactory(username="maria_manager", roles=["manager"])
    html = persona_client(other).get(opportunity.get_absolute_url()).content.decode()

    assert f"#approval-{own_start.pk}" in html
    assert OWN_REQUEST not in html


def test_the_instance_page_says_who_decides_ones_own_pending_discount(
    persona_client, manager, own_discount, opportunity
):
    html = persona_client(manager).get(opportunity.get_absolute_url()).content.decode()

    assert 'id="approvals"' in html
    assert OWN_REQUEST in html
