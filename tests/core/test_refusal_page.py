"""The 403 page says why: a role without the permission is told so; a user whose role allows the
page but who is not on the record's owner side is told it is someone else's to change, not
that their role is wrong. Only the messages the access helpers set are shown."""

from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied
from django.test import RequestFactory
from django.urls import reverse
from django.utils import timezone

from core.permissions import SALES
from core.views.errors import permission_denied
from processes import services as process_services
from tests.factories import (
    ContractFactory,
    CustomerFactory,
    PayoutFactory,
    ProcessDefinitionFactory,
    UserFactory,
)

ROLE = "Your role does not give access to it."


@pytest.fixture
def other_rep(db):
    """A sales rep of another office: sees the sales rep's customers ("all" mode), owns none."""
    return UserFactory(username="otto_other", roles=[SALES])


def _refusal(response):
    assert response.status_code == 403
    return response.content.decode()


def test_a_role_without_the_permission_is_told_it_is_the_role(persona_client, service_agent):
    customer = CustomerFactory(owner=service_agent)
    page = _refusal(
        persona_client(service_agent).get(
            reverse("relationships:contract_create", args=[customer.pk])
        )
    )
    assert ROLE in page
    assert 'id="refusal-reason"' not in page


def test_changing_a_customer_of_someone_else_is_refused_for_whose_customer_it_is(
    persona_client, other_rep, customer
):
    page = _refusal(persona_client(other_rep).get(reverse("customers:edit", args=[customer.pk])))
    assert "You can see this customer, but only its owner, their team or a manager" in page
    assert ROLE not in page


def test_changing_a_contract_of_someone_elses_customer_names_the_customers_owner(
    persona_client, other_rep, customer
):
    contract = ContractFactory(customer=customer)
    page = _refusal(
        persona_client(other_rep).get(reverse("relationships:contract_edit", args=[contract.pk]))
    )
    assert "You can see this record, but only its customer" in page
    assert ROLE not in page


def test_working_on_a_process_of_someone_elses_customer_says_who_works_on_it(
    persona_client, other_rep, sales_rep, customer
):
    deal = process_services.instance_open(
        definition=ProcessDefinitionFactory(kind="sales"),
        customer=customer,
        title="Printers",
        by=sales_rep,
    )
    page = _refusal(
        persona_client(other_rep).get(reverse("processes:instance_edit", args=[deal.pk]))
    )
    assert "You can see this process, but only its owner" in page
    assert ROLE not in page


def test_ticking_off_someone_elses_task_says_who_may(
    persona_client, other_rep, sales_rep, manager, customer
):
    task = process_services.task_create(
        customer=customer,
        title="Call back",
        assignee=manager,
        due_on=timezone.localdate() + timedelta(days=1),
        by=sales_rep,
    )
    page = _refusal(persona_client(other_rep).post(reverse("processes:task_done", args=[task.pk])))
    assert "Only the task" in page
    assert ROLE not in page
    task.refresh_from_db()
    assert task.done_at is None


def test_editing_a_payout_someone_else_requested_says_it_is_theirs(
    persona_client, manager, sales_rep, customer
):
    payout = PayoutFactory(customer=customer, requested_by=sales_rep)
    page = _refusal(
        persona_client(manager).get(reverse("relationships:payout_edit", args=[payout.pk]))
    )
    assert "Only the person who requested this payout can change it." in page


def test_another_refusals_own_text_is_never_shown(sales_rep):
    request = RequestFactory().get("/")
    request.user = sales_rep
    response = permission_denied(request, PermissionDenied("<b>whatever a library said</b>"))
    page = response.content.decode()
    assert response.status_code == 403
    assert "whatever a library said" not in page
    assert ROLE in page
