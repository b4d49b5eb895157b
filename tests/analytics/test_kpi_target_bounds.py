"""A KPI target fits its measure: a percentage is 0 to 100, an average cycle at most ten years,
an amount at most bounds.MAX_AMOUNT, each refused in its own words; and only the KPIs the KPI
page measures for the process's kind are offered and accepted."""

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.urls import reverse

from analytics.process_kpis.measures import conversion_metric
from processes import services
from processes.models import KpiTarget, ProcessDefinition
from tests.factories import ProcessDefinitionFactory

pytestmark = pytest.mark.django_db
Metric = KpiTarget.Metric


def _create(client, definition, metric, target, period="month"):
    return client.post(
        reverse("processes:kpi_target_create", args=[definition.pk]),
        {"metric": metric, "period": period, "target": target},
    )


@pytest.mark.parametrize(
    ("metric", "value", "message"),
    [
        ("sla_met_rate", "150", "Enter a percentage between 0 and 100."),
        ("resolution_rate", "100.01", "Enter a percentage between 0 and 100."),
        ("avg_cycle_days", "3651", "Enter a number of days between 0 and 3,650."),
        # Past every measure's bound: the field's own limit, said once.
        ("avg_cost", "1000000000", "The value cannot exceed 999,999,999.99."),
        ("sla_met_rate", "1000000000", "The value cannot exceed 999,999,999.99."),
    ],
)
def test_a_target_beyond_its_measures_range_is_refused_in_its_words(
    client, manager, standard_support, metric, value, message
):
    client.force_login(manager)
    response = _create(client, standard_support, metric, value)

    assert response.status_code == 200
    assert response.context["form"].errors["target"] == [message]
    assert not KpiTarget.objects.exists()


@pytest.mark.parametrize(
    ("metric", "value"),
    [("sla_met_rate", "100"), ("avg_cycle_days", "3650"), ("avg_cost", "999999999.99")],
)
def test_a_target_at_the_edge_of_its_range_is_kept(
    client, manager, standard_support, metric, value
):
    client.force_login(manager)
    assert _create(client, standard_support, metric, value).status_code == 302
    assert KpiTarget.objects.get().target == Decimal(value)


def test_a_support_process_is_offered_no_win_rate_and_refuses_one(
    client, manager, standard_support
):
    client.force_login(manager)
    url = reverse("processes:kpi_target_create", args=[standard_support.pk])
    offered = [value for value, _label in client.get(url).context["form"].fields["metric"].choices]
    assert "win_rate" not in offered and "amount_recovered" not in offered
    assert "resolution_rate" in offered and "sla_met_rate" in offered

    response = _create(client, standard_support, "win_rate", "40")
    assert response.status_code == 200
    assert "metric" in response.context["form"].errors
    assert not KpiTarget.objects.exists()


def test_a_sales_process_is_offered_the_win_rate_not_the_resolution_rate(
    client, manager, sales_process
):
    client.force_login(manager)
    url = reverse("processes:kpi_target_create", args=[sales_process.pk])
    offered = [value for value, _label in client.get(url).context["form"].fields["metric"].choices]
    assert "win_rate" in offered and "amount_recovered" in offered
    assert "resolution_rate" not in offered


def test_the_model_refuses_what_the_form_refuses(standard_support):
    """Through the service too (the admin, an import): full_clean asks the same rules."""
    with pytest.raises(ValidationError) as error:
        services.kpi_target_create(
            definition=standard_support, data={"metric": "win_rate", "target": Decimal("40")}
        )
    assert error.value.message_dict["metric"] == [
        "“Win rate (%)” is not measured for a process of the kind “Support”."
    ]
    with pytest.raises(ValidationError) as error:
        services.kpi_target_create(
            definition=standard_support,
            data={"metric": "sla_met_rate", "target": Decimal("150")},
        )
    assert error.value.message_dict["target"] == ["Enter a percentage between 0 and 100."]
    assert not KpiTarget.objects.exists()


@pytest.mark.parametrize(
    ("metric", "value"),
    [
        ("sla_met_rate", Decimal("150")),
        ("win_rate", Decimal("100.01")),
        ("avg_cycle_days", Decimal("3651")),
        ("avg_cost", Decimal("-1")),
    ],
)
def test_the_database_holds_the_ranges_too(sales_process, metric, value):
    with pytest.raises(IntegrityError), transaction.atomic():
        KpiTarget.objects.create(definition=sales_process, metric=metric, target=value)


def test_editing_an_old_target_of_another_kind_says_why_it_must_change(
    client, manager, standard_support
):
    # Set before the rule: kept, and listed in its own form so editing it does not silently
    # turn it into another KPI.
    old = KpiTarget.objects.create(
        definition=standard_support, metric=Metric.WIN_RATE, target=Decimal("40")
    )
    client.force_login(manager)
    url = reverse("processes:kpi_target_edit", args=[old.pk])
    assert client.get(url).context["form"]["metric"].value() == "win_rate"
    response = client.post(url, {"metric": "win_rate", "period": "month", "target": "45"})
    assert response.status_code == 200
    assert (
        "is not measured for a process of the kind" in response.context["form"].errors["metric"][0]
    )
    old.refresh_from_db()
    assert old.target == Decimal("40")


@pytest.mark.parametrize("kind", ProcessDefinition.Kind.values)
def test_every_kind_accepts_the_success_measure_the_kpi_page_shows(kind):
    offered = KpiTarget.metrics_for(kind)
    assert conversion_metric(kind) in offered
    assert {Metric.AVG_CYCLE_DAYS, Metric.AVG_COST, Metric.SLA_MET_RATE} <= set(offered)


def test_a_collections_process_takes_an_amount_recovered_target(manager, client):
    collections = ProcessDefinitionFactory(name="Collections", kind="collections")
    client.force_login(manager)
    response = _create(client, collections, "amount_recovered", "25000")
    assert response.status_code == 302
    assert KpiTarget.objects.get().metric == "amount_recovered"
