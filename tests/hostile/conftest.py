"""The hostile-input suite's world, its forms, and hypothesis profiles.

HYPOTHESIS_PROFILE=ci (the default) runs a few derandomized examples per URL, the same on every
run, so CI stays short and reproducible; HYPOTHESIS_PROFILE=long runs many random ones (as
`make bench` does).
"""

import os

import pytest
from django.test import Client
from hypothesis import HealthCheck, Phase, settings

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


@pytest.fixture
def hostile(
    db, manager, sales_rep, service_agent, finance_clerk, settings, tmp_path, personas_in_one_team
):
    settings.MEDIA_ROOT = tmp_path / "media"
    # The world's mailbox is on a closed port of 127.0.0.1 (refused at once); a hostile host
    # saved on a mailbox is never connected to, but should anything try, it gives up quickly.
    settings.MAIL_IMAP_TIMEOUT = 2.0
    world = build_world(
        manager=manager,
        sales_rep=sales_rep,
        service_agent=service_agent,
        finance_clerk=finance_clerk,
    )
    return Hostile(world)
