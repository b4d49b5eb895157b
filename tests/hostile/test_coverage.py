"""The hostile-input suite reaches every URL of the apps and every form on their pages."""

from django.test import Client

from .targets import URLS, discover_forms, project_url_names, url_for


def test_every_url_of_the_apps_is_in_the_table():
    names = project_url_names()
    assert names - set(URLS) == set(), "add these URLs to tests/hostile/targets.py URLS"
    assert set(URLS) - names == set(), "these URLs no longer exist: remove them from URLS"


def test_every_form_on_the_pages_sends_to_a_url_of_the_table(hostile):
    forms = discover_forms(hostile._manager, hostile._anonymous, hostile.world)
    assert len(forms) > 40, "the pages' forms were not found: is discovery broken?"
    unknown = {target for target, _method in forms if target not in URLS}
    assert unknown == set(), "forms send to URLs the table lacks"


def test_every_post_only_url_has_a_form_to_probe(hostile):
    """A URL that refuses GET changes state; its form must be on a page (or in the table)."""
    posted = {target for target, method in hostile.all_forms() if method == "post"}
    missing = []
    for name, entry in URLS.items():
        client = Client()
        persona = entry.personas[0]
        if persona != "anonymous":
            client.force_login(hostile.world.users[persona])
        if client.get(url_for(name, hostile.world)).status_code == 405 and name not in posted:
            missing.append(name)
    assert missing == [], "no page shows a form that posts to these: give their world state one"
