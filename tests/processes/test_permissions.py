"""The permission matrix of the processes screens: anonymous → login, wrong role → 403, GET on a
POST-only view → 405."""

from decimal import Decimal

import pytest
from django.urls import reverse

from processes import services
from processes.models import Notification
from processes.services import approval_requests
from tests.factories import PayoutFactory, UserFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("personas_in_one_team")]

ALL = {"sales_rep", "service_agent", "finance_clerk", "manager", "admin_user"}
SALES = {"sales_rep", "manager", "admin_user"}
SERVICE = {"service_agent", "manager", "admin_user"}
FINANCE = {"finance_clerk", "manager", "admin_user"}
MANAGERS = {"manager", "admin_user"}
PERSONAS = sorted(ALL | {"outsider"})

# (url name, target, personas allowed to GET it)
PAGES = [
    ("processes:overview", None, ALL),
    ("processes:board", "definition", ALL),
    ("processes:instance_list", None, ALL),
    ("processes:instance_detail", "opportunity", ALL),
    ("processes:instance_edit", "opportunity", SALES),
    ("processes:instance_create", "customer", ALL),
    ("processes:instance_task_create", "opportunity", ALL),
    ("processes:ticket_list", None, ALL),
    ("processes:ticket_create", "customer", SERVICE),
    ("processes:task_list", None, ALL),
    ("processes:task_create", "customer", ALL),
    ("processes:notification_list", None, ALL),
    ("processes:approval_list", None, MANAGERS),
    ("processes:collection_list", None, FINANCE),
    ("processes:campaign_list", None, SALES),
    ("processes:campaign_create", None, SALES),
]
# (url name, target, personas allowed to POST)
POST_ONLY = [
    ("processes:instance_move", "opportunity", SALES),
    ("processes:board_move", "opportunity", SALES),
    ("processes:instance_log_work", "opportunity", SALES),
    ("processes:opportunity_discount", "opportunity", SALES),
    ("processes:ticket_respond", "ticket", SERVICE),
    ("processes:task_done", "task", {"manager", "admin_user"}),
    ("processes:notification_read", "notification", {"manager"}),
    ("processes:notification_read_all", None, ALL),
    ("processes:approval_approve", "approval", MANAGERS),
    ("processes:approval_reject", "approval", MANAGERS),
    ("processes:approval_payout_approve", "payout", MANAGERS),
    ("processes:approval_payout_reject", "payout", MANAGERS),
    ("processes:collection_case_open", "invoice", FINANCE),
    ("processes:collection_write_off_request", "case", FINANCE),
]


@pytest.fixture
def targets(request, customer, opportunity, ticket, overdue_invoice, collections_process):
    def build(target):
        if target is None:
            return None
        if target == "definition":
            return opportunity.definition_id
        if target == "customer":
            return customer.pk
        if target == "opportunity":
            return opportunity.pk
        if target == "ticket":
            return ticket.pk
        if target == "invoice":
            return overdue_invoice.pk
        if target == "task":
            # Someone else's task: only managers may tick it off for them.
            someone = UserFactory(username="tess_tasker")
            return services.task_create(
                customer=customer,
                title="Call back",
                assignee=someone,
                due_on="2030-01-01",
                by=someone,
            ).pk
        if target == "notification":
            manager = request.getfixturevalue("manager")
            return Notification.objects.create(
                recipient=manager, kind="stall_warning", occurrence="x", message="Hello"
            ).pk
        if target == "approval":
            requester = UserFactory(username="rita_requester")
            return approval_requests._request_approval(
                instance=opportunity, action="discount", value=30, reason="Big deal", by=requester
            ).pk
        if target == "payout":
            return PayoutFactory(
                customer=customer, amount=Decimal("50000.00"), requested_by=UserFactory()
            ).pk
        if target == "case":
            return services.collection_case_open(
                invoice=overdue_invoice, definition=collections_process
            ).pk
        raise AssertionError(target)

    return build


def _url(name, target, targets):
    pk = targets(target)
    return reverse(name, args=[pk] if pk is not None else [])


@pytest.mark.parametrize(("name", "target", "_allowed"), PAGES + POST_ONLY)
def test_anonymous_users_are_sent_to_log_in(client, targets, name, target, _allowed):
    url = _url(name, target, targets)
    is_post = (name, target, _allowed) in POST_ONLY
    response = client.post(url) if is_post else client.get(url)
    assert response.status_code == 302
    assert response.url.startswith(reverse("login"))


@pytest.mark.parametrize("persona", PERSONAS)
@pytest.mark.parametrize(("name", "target", "allowed"), PAGES)
def test_each_role_reaches_only_its_pages(request, client, targets, persona, name, target, allowed):
    url = _url(name, target, targets)
    client.force_login(request.getfixturevalue(persona))
    assert client.get(url).status_code == (200 if persona in allowed else 403)


@pytest.mark.parametrize(("name", "target", "_allowed"), POST_ONLY)
def test_state_changes_refuse_get(client, manager, targets, name, target, _allowed):
    url = _url(name, target, targets)
    client.force_login(manager)
    assert client.get(url).status_code == 405


@pytest.mark.parametrize("persona", PERSONAS)
@pytest.mark.parametrize(("name", "target", "allowed"), POST_ONLY)
def test_only_the_right_roles_may_post(request, client, targets, persona, name, target, allowed):
    url = _url(name, target, targets)
    client.force_login(request.getfixturevalue(persona))
    response = client.post(url)
    if persona in allowed:
        assert response.status_code in (200, 302)
    else:
        # Someone else's notification is not even shown to exist.
        assert response.status_code == (
            404 if name == "processes:notification_read" and persona != "outsider" else 403
        )


def test_missing_records_are_404(client, manager):
    client.force_login(manager)
    assert client.get(reverse("processes:instance_detail", args=[999999])).status_code == 404
    assert client.get(reverse("processes:board", args=[999999])).status_code == 404
