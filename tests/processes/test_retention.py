"""Retention campaigns start one instance per customer of a segment."""

from datetime import timedelta

import pytest
from django.urls import reverse

from customers.models import Customer
from processes.models import ProcessInstance, RetentionCampaign
from tests.dates import clock_today
from tests.factories import (
    ContractFactory,
    CustomerFactory,
    ProcessDefinitionFactory,
    SegmentFactory,
)

pytestmark = pytest.mark.django_db
TODAY = clock_today()


@pytest.fixture
def retention(db):
    return ProcessDefinitionFactory(name="Win-back", kind="retention")


def test_a_campaign_reaches_each_current_customer_of_the_segment_once(
    persona_client, sales_rep, retention
):
    segment = SegmentFactory(name="Key accounts")
    members = CustomerFactory.create_batch(3)
    for customer in members:
        customer.segments.add(segment)
    gone = CustomerFactory(status=Customer.Status.ENDED)
    gone.segments.add(segment)
    CustomerFactory()  # not in the segment
    response = persona_client(sales_rep).post(
        reverse("processes:campaign_create"),
        {"name": "Spring renewals", "definition": retention.pk, "segment": segment.pk},
    )
    assert response.status_code == 302
    campaign = RetentionCampaign.objects.get()
    assert set(campaign.instances.values_list("customer", flat=True)) == {c.pk for c in members}
    assert all(i.stage.name == "Contact" for i in campaign.instances.all())


def test_a_campaign_can_target_contracts_ending_soon(persona_client, sales_rep, retention):
    segment = SegmentFactory()
    ending, later = CustomerFactory(), CustomerFactory()
    for customer in (ending, later):
        customer.segments.add(segment)
    ContractFactory(customer=ending, end_date=TODAY + timedelta(days=30))
    ContractFactory(customer=later, end_date=TODAY + timedelta(days=300))
    persona_client(sales_rep).post(
        reverse("processes:campaign_create"),
        {
            "name": "Expiring",
            "definition": retention.pk,
            "segment": segment.pk,
            "contracts_ending_within_days": "60",
        },
    )
    assert list(ProcessInstance.objects.values_list("customer", flat=True)) == [ending.pk]


def test_a_campaign_form_with_bad_input_starts_nothing(persona_client, sales_rep, sales_process):
    response = persona_client(sales_rep).post(
        reverse("processes:campaign_create"),
        {"name": "", "definition": sales_process.pk, "segment": ""},
    )
    assert {"name", "definition", "segment"} <= set(response.context["form"].errors)
    assert not RetentionCampaign.objects.exists()


@pytest.mark.parametrize("days", ["3651", "2147483648"])
def test_a_campaign_window_over_ten_years_is_refused_beside_the_field(
    persona_client, sales_rep, retention, days
):
    segment = SegmentFactory(name="Everyone")
    response = persona_client(sales_rep).post(
        reverse("processes:campaign_create"),
        {
            "name": "Far future",
            "definition": retention.pk,
            "segment": segment.pk,
            "contracts_ending_within_days": days,
        },
    )
    assert response.status_code == 200
    assert "contracts_ending_within_days" in response.context["form"].errors
    assert not RetentionCampaign.objects.exists()
