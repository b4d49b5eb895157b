"""Managers set KPI targets in the app: per process, metric and period, validated beside the
field, audited, and the KPI page measures against them."""

from decimal import Decimal

import pytest
from django.urls import reverse

from core.models import AuditEvent
from processes.models import KpiTarget

pytestmark = pytest.mark.django_db

PERSONAS = ["sales_rep", "service_agent", "finance_clerk", "manager", "outsider", "admin_user"]
MANAGERS = {"manager", "admin_user"}


@pytest.fixture
def target(sales_process):
    return KpiTarget.objects.create(
        definition=sales_process, metric=KpiTarget.Metric.WIN_RATE, target=Decimal("30")
    )


def test_a_manager_adds_a_target_and_sees_it_listed(client, manager, sales_process):
    client.force_login(manager)
    response = client.post(
        reverse("processes:kpi_target_create", args=[sales_process.pk]),
        {"metric": "avg_cycle_days", "period": "quarter", "target": "40"},
    )
    assert response.status_code == 302
    saved = KpiTarget.objects.get(definition=sales_process)
    assert (saved.metric, saved.period, saved.target) == ("avg_cycle_days", "quarter", 40)
    page = client.get(reverse("processes:kpi_target_list")).content.decode()
    assert "Average cycle time (days)" in page and "Quarter" in page
    assert AuditEvent.objects.filter(model="processes.kpitarget", object_id=saved.pk).exists()


def test_a_second_target_for_the_same_kpi_and_period_is_refused_beside_the_metric(
    client, manager, target
):
    client.force_login(manager)
    response = client.post(
        reverse("processes:kpi_target_create", args=[target.definition_id]),
        {"metric": "win_rate", "period": "month", "target": "50"},
    )
    assert response.status_code == 200
    assert response.context["form"].errors["metric"] == [
        "This process already has a target for this KPI."
    ]
    assert KpiTarget.objects.count() == 1


@pytest.mark.parametrize("value", ["-1", "1000000000", "abc", ""])
def test_a_target_out_of_bounds_is_refused_and_nothing_changes(client, manager, target, value):
    client.force_login(manager)
    response = client.post(
        reverse("processes:kpi_target_edit", args=[target.pk]),
        {"metric": "win_rate", "period": "month", "target": value},
    )
    assert response.status_code == 200
    assert "target" in response.context["form"].errors
    target.refresh_from_db()
    assert target.target == Decimal("30")


def test_editing_and_removing_a_target(client, manager, target):
    client.force_login(manager)
    client.post(
        reverse("processes:kpi_target_edit", args=[target.pk]),
        {"metric": "win_rate", "period": "month", "target": "35.5"},
    )
    target.refresh_from_db()
    assert target.target == Decimal("35.5")
    assert client.get(reverse("processes:kpi_target_delete", args=[target.pk])).status_code == 405
    client.post(reverse("processes:kpi_target_delete", args=[target.pk]))
    assert not KpiTarget.objects.exists()


@pytest.mark.parametrize("persona", PERSONAS)
def test_only_managers_reach_the_target_pages(request, client, target, persona):
    client.force_login(request.getfixturevalue(persona))
    allowed = persona in MANAGERS
    for url in (
        reverse("processes:kpi_target_list"),
        reverse("processes:kpi_target_create", args=[target.definition_id]),
        reverse("processes:kpi_target_edit", args=[target.pk]),
    ):
        assert client.get(url).status_code == (200 if allowed else 403)
    response = client.post(reverse("processes:kpi_target_delete", args=[target.pk]))
    assert response.status_code == (302 if allowed else 403)
    assert KpiTarget.objects.exists() is not allowed


def test_anonymous_users_are_sent_to_log_in(client, target):
    response = client.get(reverse("processes:kpi_target_list"))
    assert response.status_code == 302
    assert response.url.startswith(reverse("login"))
