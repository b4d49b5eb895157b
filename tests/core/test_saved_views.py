"""Saved views of a list (core.lists, core.views.saved_views): saved, picked, shared with a
team, renamed and deleted by their owner only."""

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from core import lists
from core.models import SavedView, Team
from tests.factories import SegmentFactory

pytestmark = pytest.mark.django_db


def _save(client, name, query, list_key="customers", team=""):
    return client.post(
        reverse("saved_view_create"),
        {"list": list_key, "name": name, "query": query, "team": team},
    )


def test_saving_a_view_keeps_the_filters_without_the_page_and_opens_it(persona_client, sales_rep):
    client = persona_client(sales_rep)
    response = _save(client, "Active prospects", "status=prospect&grade=A&page=3&format=csv")

    view = SavedView.objects.get(owner=sales_rep)
    assert (view.name, view.list_key, view.query, view.team) == (
        "Active prospects",
        "customers",
        "status=prospect&grade=A",
        None,
    )
    assert response.status_code == 302
    assert response["Location"] == "/customers/?status=prospect&grade=A"
    page = client.get(response["Location"]).content.decode()
    # The menu offers it, and names it as the view in force.
    assert 'href="/customers/?status=prospect&amp;grade=A">Active prospects' in page
    assert "bi-bookmark" in page


def test_a_second_view_with_the_same_name_is_refused_with_a_message(persona_client, sales_rep):
    client = persona_client(sales_rep)
    _save(client, "Mine", "status=active")
    response = _save(client, "Mine", "status=ended")
    assert SavedView.objects.filter(owner=sales_rep).count() == 1
    follow = client.get(response["Location"]).content.decode()
    assert "You already have a view of this list with this name." in follow


def test_the_same_name_on_another_list_or_by_another_user_is_fine(sales_rep, manager):
    lists.saved_view_create(owner=sales_rep, list_key="customers", name="Mine", query="")
    lists.saved_view_create(owner=sales_rep, list_key="invoices", name="Mine", query="")
    lists.saved_view_create(owner=manager, list_key="customers", name="Mine", query="")
    assert SavedView.objects.count() == 3


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"list_key": "nope"}, "This list has no saved views."),
        ({"name": "  "}, "This field cannot be blank."),
        ({"name": "x" * 101}, "at most 100 characters"),
        ({"query": "q=" + "x" * 2100}, "too long to save"),
    ],
)
def test_bad_views_are_refused(sales_rep, kwargs, message):
    data = {"owner": sales_rep, "list_key": "customers", "name": "A view", "query": ""}
    with pytest.raises(ValidationError) as error:
        lists.saved_view_create(**{**data, **kwargs})
    assert message in " ".join(error.value.messages)
    assert not SavedView.objects.exists()


def test_a_view_shared_with_a_team_is_seen_by_team_mates_only(
    persona_client, sales_rep, service_agent, manager
):
    team = Team.objects.create(name="Warsaw")
    team.members.add(sales_rep, service_agent)
    lists.saved_view_create(
        owner=sales_rep, list_key="customers", name="Warsaw A", query="grade=A", team=team
    )
    lists.saved_view_create(owner=sales_rep, list_key="customers", name="My own", query="grade=B")

    assert [v.name for v in lists.views_for(service_agent, "customers")] == ["Warsaw A"]
    assert list(lists.views_for(manager, "customers")) == []
    assert [v.name for v in lists.views_for(sales_rep, "customers")] == ["My own", "Warsaw A"]
    page = persona_client(service_agent).get(reverse("customers:list")).content.decode()
    assert "Warsaw A" in page and "My own" not in page
    page = persona_client(manager).get(reverse("customers:list")).content.decode()
    assert "Warsaw A" not in page


def test_a_view_is_shared_only_with_a_team_its_owner_is_in(persona_client, sales_rep):
    other = Team.objects.create(name="Prague")
    _save(persona_client(sales_rep), "Sneaky", "grade=A", team=other.pk)
    assert not SavedView.objects.exists()
    with pytest.raises(ValidationError, match="only with a team you are in"):
        lists.saved_view_create(
            owner=sales_rep, list_key="customers", name="Sneaky", query="", team=other
        )


def test_only_the_owner_renames_or_deletes_a_view(persona_client, sales_rep, service_agent):
    team = Team.objects.create(name="Warsaw")
    team.members.add(sales_rep, service_agent)
    view = lists.saved_view_create(
        owner=sales_rep, list_key="customers", name="Old", query="grade=A", team=team
    )
    mate = persona_client(service_agent)
    assert (
        mate.post(reverse("saved_view_update", args=[view.pk]), {"name": "Hijacked"}).status_code
        == 404
    )
    assert mate.post(reverse("saved_view_delete", args=[view.pk])).status_code == 404
    view.refresh_from_db()
    assert view.name == "Old"

    owner = persona_client(sales_rep)
    owner.post(reverse("saved_view_update", args=[view.pk]), {"name": "New", "team": ""})
    view.refresh_from_db()
    assert (view.name, view.team) == ("New", None)
    page = owner.get(reverse("saved_view_list")).content.decode()
    assert 'value="New"' in page
    owner.post(reverse("saved_view_delete", args=[view.pk]))
    assert not SavedView.objects.exists()


def test_views_exist_on_every_registered_list(persona_client, manager):
    client = persona_client(manager)
    keys = {info.key for info in lists.registered()}
    assert {"customers", "processes", "tickets", "tasks", "invoices", "contracts"} <= keys
    for info in lists.registered():
        lists.saved_view_create(owner=manager, list_key=info.key, name=f"V {info.key}", query="")
        page = client.get(info.url()).content.decode()
        assert f"V {info.key}" in page, info.key


def test_saving_needs_a_log_in_and_a_post(client, sales_rep):
    url = reverse("saved_view_create")
    assert client.post(url, {"name": "x"}).status_code == 302
    client.force_login(sales_rep)
    assert client.get(url).status_code == 405


def test_a_team_that_goes_leaves_its_views_to_their_owners(sales_rep, service_agent):
    team = Team.objects.create(name="Warsaw")
    team.members.add(sales_rep, service_agent)
    view = lists.saved_view_create(
        owner=sales_rep, list_key="customers", name="Shared", query="", team=team
    )
    team.delete()
    view.refresh_from_db()
    assert view.team is None
    assert list(lists.views_for(sales_rep, "customers")) == [view]
    assert list(lists.views_for(service_agent, "customers")) == []


def test_my_saved_views_describe_their_filters_as_the_list_labels_them(
    persona_client, sales_rep, manager
):
    segment = SegmentFactory(name="Wholesale")
    lists.saved_view_create(
        owner=sales_rep,
        list_key="customers",
        name="Good wholesale",
        query=f"status=active&grade=C&segment={segment.pk}&owner={manager.pk}&q=Kow",
    )
    lists.saved_view_create(owner=sales_rep, list_key="customers", name="All", query="")
    page = persona_client(sales_rep).get(reverse("saved_view_list")).content.decode()
    assert (
        f"Status: Active · Grade: C: modest · Segment: Wholesale · Owner: {manager.username} · "
        "Search: Kow"
    ) in page
    assert "no filters" in page
    assert "status=active&amp;grade=C" in page  # the link still opens the list so filtered
