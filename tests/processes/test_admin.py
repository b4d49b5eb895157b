"""Definitions and stages are edited in the admin; every process model has a working changelist."""

import pytest
from django.urls import reverse

from processes import services
from processes.models import ProcessDefinition, Ticket

pytestmark = pytest.mark.django_db

MODELS = [
    "processdefinition",
    "processinstance",
    "stagetransition",
    "worklog",
    "ticket",
    "collectioncase",
    "task",
    "notification",
    "approval",
    "retentioncampaign",
    "kpitarget",
    "decisionrule",
]


@pytest.mark.parametrize("model", MODELS)
def test_every_changelist_and_search_works(admin_client, opportunity, ticket, model):
    url = reverse(f"admin:processes_{model}_changelist")
    assert admin_client.get(url).status_code == 200
    assert admin_client.get(url, {"q": "printer"}).status_code == 200


def test_instance_change_page_shows_the_transition_log(admin_client, opportunity):
    response = admin_client.get(
        reverse("admin:processes_processinstance_change", args=[opportunity.pk])
    )
    assert response.status_code == 200
    assert "Lead" in response.content.decode()


def _definition_post(stages):
    data = {
        "name": "Enterprise",
        "kind": "sales",
        "goal": "",
        "active": "on",
        "hourly_rate": "100",
        "currency": "PLN",
        "stall_days": "",
        "stages-TOTAL_FORMS": str(len(stages)),
        "stages-INITIAL_FORMS": "0",
        "sla_policies-TOTAL_FORMS": "0",
        "sla_policies-INITIAL_FORMS": "0",
        "kpi_targets-TOTAL_FORMS": "0",
        "kpi_targets-INITIAL_FORMS": "0",
    }
    for i, (name, outcome) in enumerate(stages):
        data.update(
            {
                f"stages-{i}-position": str(i + 1),
                f"stages-{i}-name": name,
                f"stages-{i}-outcome": outcome,
                f"stages-{i}-fixed_cost": "0",
            }
        )
    return data


def test_a_manager_defines_a_process_with_stages_in_the_admin(admin_client):
    response = admin_client.post(
        reverse("admin:processes_processdefinition_add"),
        _definition_post([("Lead", ""), ("Won", "won"), ("Lost", "lost")]),
    )
    assert response.status_code == 302
    definition = ProcessDefinition.objects.get(name="Enterprise")
    assert list(definition.stages.values_list("name", flat=True)) == ["Lead", "Won", "Lost"]
    # The admin's save is recorded in the definition's history, as the app's editor's are.
    revision = definition.revisions.get()
    assert (revision.number, revision.comment) == (1, "Saved in the admin.")

    data = _definition_post([])
    data.update(
        {
            "stages-TOTAL_FORMS": "3",
            "stages-INITIAL_FORMS": "3",
        }
    )
    for i, stage in enumerate(definition.stages.order_by("position")):
        data.update(
            {
                f"stages-{i}-id": str(stage.pk),
                f"stages-{i}-definition": str(definition.pk),
                f"stages-{i}-position": str(stage.position),
                f"stages-{i}-name": "Inbound lead" if stage.name == "Lead" else stage.name,
                f"stages-{i}-outcome": stage.outcome,
                f"stages-{i}-fixed_cost": "0",
            }
        )
    response = admin_client.post(
        reverse("admin:processes_processdefinition_change", args=[definition.pk]), data
    )
    assert response.status_code == 302
    definition.refresh_from_db()
    assert definition.version == 2
    assert "Stage “Lead” renamed to “Inbound lead”." in definition.revisions.get(number=2).summary


def test_the_admin_refuses_only_terminal_stages(admin_client):
    response = admin_client.post(
        reverse("admin:processes_processdefinition_add"),
        _definition_post([("Won", "won"), ("Lost", "lost")]),
    )
    assert response.status_code == 200
    assert not ProcessDefinition.objects.filter(name="Enterprise").exists()


def test_instances_are_not_added_in_the_admin(admin_client, opportunity):
    assert admin_client.get(reverse("admin:processes_processinstance_add")).status_code == 403
    assert services  # opened in the app only


def test_a_ticket_or_a_collection_case_is_deleted_only_with_its_process(admin_client, ticket):
    """Alone, its process would stay behind without it and break the ticket list for everyone."""
    for model in ("ticket", "collectioncase"):
        url = reverse(f"admin:processes_{model}_delete", args=[ticket.pk])
        assert admin_client.get(url).status_code == 403
        assert admin_client.post(url, {"post": "yes"}).status_code == 403
        changelist = admin_client.get(reverse(f"admin:processes_{model}_changelist"))
        assert "delete_selected" not in changelist.content.decode()
    change = admin_client.get(reverse("admin:processes_ticket_change", args=[ticket.pk]))
    assert "deletelink" not in change.content.decode()
    assert Ticket.objects.filter(pk=ticket.pk).exists()

    # Deleting the process takes its ticket along.
    response = admin_client.post(
        reverse("admin:processes_processinstance_delete", args=[ticket.instance.pk]),
        {"post": "yes"},
    )
    assert response.status_code == 302
    assert not Ticket.objects.filter(pk=ticket.pk).exists()
