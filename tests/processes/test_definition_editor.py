"""The definition editor's pages: managers list, create, edit, copy and read the history of
definitions; everyone else is refused. Errors show beside their fields or at the top of the
stage table, and nothing is lost."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from core.models import AuditEvent
from processes import services
from processes.models import ProcessDefinition
from tests.factories import CustomerFactory, ProcessDefinitionFactory

from .conftest import stage
from .test_definition_service import rows_of

pytestmark = pytest.mark.django_db

PERSONAS = ["sales_rep", "service_agent", "finance_clerk", "manager", "outsider", "admin_user"]
MANAGERS = {"manager", "admin_user"}


def form_data(response):
    """The editor's form as the browser would post it back unchanged."""
    context = response.context
    data = {}
    forms = [context["form"], context["stage_formset"].management_form]
    forms += list(context["stage_formset"])
    if context["sla_formset"] is not None:
        forms += [context["sla_formset"].management_form, *context["sla_formset"]]
    for form in forms:
        for field in form:
            value = field.value()
            if value is None or value is False:
                continue
            data[field.html_name] = "on" if value is True else value
    return data


def stage_key(response, name, field):
    for index, stage_form in enumerate(response.context["stage_formset"]):
        if stage_form.instance.name == name:
            return f"stages-{index}-{field}"
    raise LookupError(name)


def assert_saved(response):
    """The editor saved and redirected; if not, the form's errors say why."""
    assert response.status_code == 302, response.context and (
        response.context["form"].errors,
        response.context["stage_formset"].errors,
        response.context["stage_formset"].non_form_errors(),
    )


def edit_url(definition):
    return reverse("processes:definition_edit", args=[definition.pk])


def test_the_list_groups_variants_by_kind_with_their_open_processes(
    client, manager, sales_process, enterprise_sales, standard_support, opportunity
):
    client.force_login(manager)
    response = client.get(reverse("processes:definition_list"))
    page = response.content.decode()
    assert response.status_code == 200
    assert page.index("Enterprise sales") < page.index("SMB sales") < page.index("Standard support")
    assert "1 open process" in page
    assert reverse("processes:definition_copy", args=[sales_process.pk]) in page


def test_a_manager_renames_a_stage_reorders_two_and_changes_an_sla(
    client, manager, standard_support
):
    client.force_login(manager)
    page = client.get(edit_url(standard_support))
    assert "0 open processes keep their deadlines and costs" in page.content.decode()
    data = form_data(page)
    data[stage_key(page, "In progress", "name")] = "Working on it"
    data[stage_key(page, "New", "position")] = "2"
    data[stage_key(page, "In progress", "position")] = "1"
    data["slas-2-response_hours"] = "3"  # high
    data["comment"] = "Faster on high"
    response = client.post(edit_url(standard_support), data)
    assert_saved(response)
    assert list(standard_support.stages.values_list("name", flat=True)) == [
        "Working on it",
        "New",
        "Resolved",
        "Cancelled",
    ]
    high = standard_support.sla_policies.get(priority="high")
    assert high.response_hours == 3
    renamed = standard_support.stages.get(name="Working on it")
    assert AuditEvent.objects.filter(model="processes.stage", object_id=renamed.pk).exists()
    assert AuditEvent.objects.filter(model="processes.slapolicy", object_id=high.pk).exists()
    history = client.get(reverse("processes:definition_history", args=[standard_support.pk]))
    text = history.content.decode()
    assert "Version 2" in text and "Faster on high" in text
    assert "Stage “In progress” renamed to “Working on it”." in text
    assert "Stage “Working on it” moved from position 2 to 1." in text


def test_a_manager_swaps_two_stage_names_in_one_save(client, manager, sales_process):
    client.force_login(manager)
    page = client.get(edit_url(sales_process))
    data = form_data(page)
    data[stage_key(page, "Lead", "name")] = "Qualified"
    data[stage_key(page, "Qualified", "name")] = "Lead"
    response = client.post(edit_url(sales_process), data)
    assert_saved(response)
    assert list(sales_process.stages.values_list("name", flat=True))[:2] == ["Qualified", "Lead"]


def test_removing_a_used_stage_is_refused_at_the_top_of_the_stage_table(
    client, manager, opportunity
):
    definition = opportunity.definition
    client.force_login(manager)
    page = client.get(edit_url(definition))
    data = form_data(page)
    data[stage_key(page, "Lead", "DELETE")] = "on"
    data[stage_key(page, "Qualified", "name")] = "Qualified lead"
    response = client.post(edit_url(definition), data)
    assert response.status_code == 200
    assert response.context["stage_formset"].non_form_errors() == [
        "“Lead” cannot be removed: 1 process is in it or has passed through it. "
        "Rename it or leave it unused instead."
    ]
    html = response.content.decode()
    assert 'id="stage-errors"' in html
    assert 'value="Qualified lead"' in html  # what was typed is kept
    assert stage(definition, "Qualified")  # and nothing saved


def test_a_bad_value_is_shown_beside_its_field(client, manager, sales_process):
    client.force_login(manager)
    page = client.get(edit_url(sales_process))
    data = form_data(page)
    data[stage_key(page, "Lead", "win_probability")] = "140"
    data["hourly_rate"] = "-5"
    response = client.post(edit_url(sales_process), data)
    assert response.status_code == 200
    assert "hourly_rate" in response.context["form"].errors
    lead_form = next(f for f in response.context["stage_formset"] if f.instance.name == "Lead")
    assert "win_probability" in lead_form.errors
    html = response.content.decode()
    assert 'aria-invalid="true"' in html and "is-invalid" in html


def test_two_managers_saving_the_same_version_the_second_gets_a_form_error(
    client, manager, sales_process
):
    client.force_login(manager)
    page = client.get(edit_url(sales_process))
    first, second = form_data(page), form_data(page)
    first[stage_key(page, "Lead", "sla_hours")] = "12"
    second[stage_key(page, "Lead", "sla_hours")] = "96"
    assert client.post(edit_url(sales_process), first).status_code == 302
    response = client.post(edit_url(sales_process), second)
    assert response.status_code == 200
    assert "changed by" in response.context["form"].non_field_errors()[0]
    assert stage(sales_process, "Lead").sla_hours == 12


def test_a_new_definition_starts_with_the_stages_its_kind_needs_and_grows_in_the_editor(
    client, manager
):
    client.force_login(manager)
    response = client.post(
        reverse("processes:definition_create"),
        {
            "name": "Partner onboarding",
            "kind": "onboarding",
            "hourly_rate": "80",
            "currency": "PLN",
            "active": "on",
            "comment": "For resellers",
        },
    )
    created = ProcessDefinition.objects.get(name="Partner onboarding")
    assert response.status_code == 302 and response.url == edit_url(created)
    assert list(created.stages.values_list("name", "outcome")) == [
        ("In progress", ""),
        ("Done", "won"),
        ("Cancelled", "cancelled"),
    ]
    assert created.revisions.get().comment == "For resellers"

    page = client.get(edit_url(created))
    assert len(page.context["stage_formset"].forms) == 3  # no empty rows to fill by accident
    data = form_data(page)
    data[stage_key(page, "In progress", "name")] = "Kick-off"
    data["add_stage"] = ""
    grown = client.post(edit_url(created), data)
    assert grown.status_code == 200
    assert created.stages.count() == 3  # "Add a stage" saves nothing
    assert 'value="Kick-off"' in grown.content.decode()  # and keeps what was typed
    data = form_data(grown)
    data.update({"stages-3-name": "Training", "stages-3-position": "2"})
    response = client.post(edit_url(created), data)
    assert response.status_code == 302
    assert list(created.stages.values_list("name", flat=True)) == [
        "Kick-off",
        "Training",
        "Done",
        "Cancelled",
    ]


def test_a_copy_is_made_as_a_variant(client, manager, standard_support):
    client.force_login(manager)
    copy_url = reverse("processes:definition_copy", args=[standard_support.pk])
    response = client.post(copy_url, {"name": "Standard support"})
    assert response.status_code == 200 and "name" in response.context["form"].errors
    response = client.post(copy_url, {"name": "Weekend support"})
    copy = ProcessDefinition.objects.get(name="Weekend support")
    assert response.url == edit_url(copy)
    assert copy.sla_policies.count() == 4


def test_a_revision_is_shown_as_it_was(client, manager, sales_process):
    services.definition_update(
        definition=sales_process,
        version=1,
        data={},
        stages=rows_of(sales_process, changes={"Lead": {"name": "Inbound lead"}}),
        slas={},
        by=manager,
    )
    client.force_login(manager)
    first = sales_process.revisions.get(number=1)
    page = client.get(reverse("processes:definition_revision", args=[first.pk]))
    assert page.status_code == 200
    html = page.content.decode()
    assert "<td>Lead</td>" in html and "Inbound lead" not in html


def test_the_instance_page_says_which_version_it_was_opened_under(client, manager, opportunity):
    client.force_login(manager)
    page = client.get(opportunity.get_absolute_url()).content.decode()
    assert "opened under version 1" in page


@pytest.mark.parametrize("persona", PERSONAS)
def test_only_managers_reach_the_definition_pages(request, client, sales_process, persona):
    client.force_login(request.getfixturevalue(persona))
    allowed = persona in MANAGERS
    services.definitions._ensure_recorded(sales_process)
    revision = sales_process.revisions.get()
    for url in (
        reverse("processes:definition_list"),
        reverse("processes:definition_create"),
        edit_url(sales_process),
        reverse("processes:definition_copy", args=[sales_process.pk]),
        reverse("processes:definition_history", args=[sales_process.pk]),
        reverse("processes:definition_revision", args=[revision.pk]),
    ):
        assert client.get(url).status_code == (200 if allowed else 403), url
    response = client.post(
        reverse("processes:definition_copy", args=[sales_process.pk]), {"name": "Stolen copy"}
    )
    assert response.status_code == (302 if allowed else 403)
    assert ProcessDefinition.objects.filter(name="Stolen copy").exists() is allowed


def test_the_pages_cost_the_same_few_queries_however_many_definitions(client, manager):
    client.force_login(manager)
    for n in range(2):
        ProcessDefinitionFactory(name=f"Variant {n}")
    client.get(reverse("processes:definition_list"))  # warm the session and permissions
    with CaptureQueriesContext(connection) as few:
        client.get(reverse("processes:definition_list"))
    for n in range(2, 8):
        definition = ProcessDefinitionFactory(name=f"Variant {n}")
        services.instance_open(
            definition=definition, customer=CustomerFactory(), title="Deal", by=manager
        )
    with CaptureQueriesContext(connection) as many:
        client.get(reverse("processes:definition_list"))
    assert len(many) == len(few)

    definition = ProcessDefinition.objects.get(name="Variant 7")
    with CaptureQueriesContext(connection) as edit:
        client.get(edit_url(definition))
    assert len(edit) <= len(few) + 6


def test_a_stage_code_typed_as_words_becomes_a_machine_name(client, manager, collections_process):
    client.force_login(manager)
    page = client.get(edit_url(collections_process))
    data = form_data(page)
    data[stage_key(page, "Legal", "code")] = "Court case"
    data[stage_key(page, "Demand", "code")] = "x" * 41
    response = client.post(edit_url(collections_process), data)
    demand_form = next(f for f in response.context["stage_formset"] if f.instance.name == "Demand")
    assert "code" in demand_form.errors  # too long: refused beside it, not cut
    data[stage_key(page, "Demand", "code")] = "demand"
    assert client.post(edit_url(collections_process), data).status_code == 302
    assert stage(collections_process, "Legal").code == "court_case"
