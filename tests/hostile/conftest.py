"""The hostile-input suite's world, its forms, and hypothesis profiles.

HYPOTHESIS_PROFILE=ci (the default) runs a few derandomized examples per URL, the same on every
run, so CI stays short and reproducible; HYPOTHESIS_PROFILE=long runs many random ones (as
`make bench` does).
"""

import os
import shutil

import pytest
from django.db import transaction
from django.test import Client, override_settings
from hypothesis import HealthCheck, Phase, settings

from core.models import Team
from core.permissions import FINANCE, MANAGER, SALES, SERVICE
from tests.factories import UserFactory

from .targets import discover_forms
from .world import build_world

_SLOW_IS_FINE = [
    HealthCheck.too_slow,
    HealthCheck.data_too_large,
    HealthCheck.filter_too_much,
    HealthCheck.function_scoped_fixture,
]
settings.register_profile(
    "ci",
    max_examples=10,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=_SLOW_IS_FINE,
    print_blob=True,
)
# Looking for new failures: twice the examples, random ones, reported as found (unshrunk).
settings.register_profile(
    "survey",
    parent=settings.get_profile("ci"),
    max_examples=20,
    derandomize=False,
    phases=[Phase.explicit, Phase.generate],
)
settings.register_profile(
    "long", max_examples=200, deadline=None, suppress_health_check=_SLOW_IS_FINE, print_blob=True
)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))

# (url name, method) -> the names of the pages that show that form, found once per session by
# opening every page; later tests open only those pages (their world has other primary keys).
_HOSTS = {}


class Hostile:
    def __init__(self, world):
        self.world = world
        self._manager = Client()
        self._manager.force_login(world.users["manager"])
        self._anonymous = Client()

    def _discover(self, pages=None):
        return discover_forms(self._manager, self._anonymous, self.world, pages)

    def all_forms(self):
        """Every (url name, method) that some page has a form for, the table's own included."""
        if not _HOSTS:
            for key, form in self._discover().items():
                _HOSTS[key] = form.page
        return set(_HOSTS)

    def forms(self, name):
        """{"post": HtmlForm, "get": HtmlForm} of the forms that send to URL `name`."""
        self.all_forms()
        hosts = {page for (target, _m), page in _HOSTS.items() if target == name and page}
        found = self._discover(sorted(hosts))
        return {method: form for (target, method), form in found.items() if target == name}


@pytest.fixture(scope="module")
def hostile_world(django_db_setup, django_db_blocker, tmp_path_factory):
    """The world, built once per test module (in each test process): `(world, media)`.

    It is built in a transaction of its own that stays open while the module's tests run and is
    rolled back after the last one. Each test runs in a savepoint inside it (pytest-django's `db`,
    as Django's TestCase does after setUpTestData), and every hostile request in a savepoint of
    the probe's own, so each test starts from the world as built, without building it again (the
    world's hundreds of rows, its customers, processes and mail, took seconds per test). The
    personas are those of tests/conftest.py, as one team (personas_in_one_team)."""
    media = tmp_path_factory.mktemp("hostile-media")
    with django_db_blocker.unblock():
        outer = transaction.atomic()
        outer.__enter__()
        try:
            users = {
                "manager": UserFactory(username="mike_manager", roles=[MANAGER]),
                "sales_rep": UserFactory(username="sally_sales", roles=[SALES]),
                "service_agent": UserFactory(username="sam_service", roles=[SERVICE]),
                "finance_clerk": UserFactory(username="fiona_finance", roles=[FINANCE]),
            }
            team = Team.objects.create(name="Everyone")
            team.members.add(*users.values(), UserFactory(username="oscar_outsider"))
            with override_settings(MEDIA_ROOT=media):
                world = build_world(**users)
        except BaseException:
            transaction.set_rollback(True)
            outer.__exit__(None, None, None)
            raise
    yield world, media
    with django_db_blocker.unblock():
        transaction.set_rollback(True)
        outer.__exit__(None, None, None)


@pytest.fixture
def hostile(db, hostile_world, settings, tmp_path):
    world, media = hostile_world
    # The world's files (a document's scan, an export's CSV), copied for this test alone: an
    # erasure deletes files, which no rollback brings back.
    settings.MEDIA_ROOT = tmp_path / "media"
    shutil.copytree(media, settings.MEDIA_ROOT)
    # The world's mailbox is on a closed port of 127.0.0.1 (refused at once); a hostile host
    # saved on a mailbox is never connected to, but should anything try, it gives up quickly.
    settings.MAIL_IMAP_TIMEOUT = 2.0
    return Hostile(world)
