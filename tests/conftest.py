"""A fixed cast of personas, one per role, and the factories every test uses."""

import re

import pytest
from django.core.cache import cache
from django.utils import timezone, translation

from core import catalogues
from core.models import Team
from core.permissions import FINANCE, MANAGER, SALES, SERVICE

from .dates import FROM_THE_CLOCK
from .factories import CustomerFactory, UserFactory

# `make test` runs the suite in several processes (pytest-xdist, `-n`). The tests under each
# prefix here run in one process, one after another, as one group: the fault runs share a
# PostgreSQL cluster per process (tests/faults/conftest.py), and they and the load run start
# servers of their own and drive them hard, so they must not compete with each other; the
# catalogue check runs makemessages once per process. The biggest groups are handed out first, so
# these long ones never end the run late. (A scheduler of our own, as xdist_group marks are lost
# on pytest 9.2: pytest-xdist issue #1386.)
ONE_PROCESS = {
    "tests/faults/": "servers",
    "tests/test_load_run.py": "servers",
    "tests/core/test_catalogues.py": "catalogues",
}


# The longest single tests, handed out right after the groups: at the end of the order
# (pytest-django's puts the tests without a database last) one of them would keep a process
# busy for half a minute while the others idle. Only tests that may run anywhere in a process's
# order are here: none with a database (it only runs before its transactional tests, which
# flush it, in pytest-django's order).
LONG = ("tests/test_settings.py::test_static_files_collect_with_the_production_storage",)


def pytest_xdist_make_scheduler(config, log):
    if config.getvalue("dist") != "load":
        return None  # a --dist of the command line's own
    from xdist.scheduler import LoadScopeScheduling

    class Scheduling(LoadScopeScheduling):
        """Each test on its own, as --dist load, but the groups of ONE_PROCESS whole, and the
        groups and then the LONG tests first."""

        def _split_scope(self, nodeid):
            groups = (group for prefix, group in ONE_PROCESS.items() if nodeid.startswith(prefix))
            return next(groups, nodeid)

        def _assign_work_unit(self, node):
            if not getattr(self, "_long_first", False):
                self._long_first = True
                units = list(self.workqueue.items())
                units.sort(key=lambda unit: len(unit[1]) == 1 and not unit[0].startswith(LONG))
                self.workqueue.clear()
                self.workqueue.update(units)
            super()._assign_work_unit(node)

    return Scheduling(config, log)


def pytest_sessionstart(session):
    """The compiled catalogues as `make test` has them, for a bare `pytest` after a pull too:
    each .po newer than its .mo is compiled (core/catalogues.py, the Makefile's rule)."""
    catalogues.compile_stale()


@pytest.fixture(autouse=True)
def empty_cache():
    """Every test starts and ends with an empty cache: the navigation, capped list counts and
    the reports' nightly figures live there (keyed by runs that a test's rolled-back rows
    repeat), and one test's data must never show in another's pages."""
    cache.clear()
    yield
    cache.clear()


@pytest.fixture(autouse=True)
def default_language():
    """Every test starts and ends in LANGUAGE_CODE. A request activates its user's language in
    the thread (LocaleMiddleware, core.i18n) and nothing switches it back until the next
    request: a Polish user's page would leave the next test's form errors in Polish."""
    translation.deactivate()
    yield
    translation.deactivate()


@pytest.fixture(autouse=True)
def todays_date(request, monkeypatch):
    """A module's `TODAY = clock_today()`, and the dates it derives in `dates_from(today)`, as
    of each test's start (tests/dates.py)."""
    module = request.module
    if module is None or module.__name__ not in FROM_THE_CLOCK:
        return
    today = timezone.localdate()
    if today == module.TODAY:
        return
    monkeypatch.setattr(module, "TODAY", today)
    derive = getattr(module, "dates_from", None)
    for name, value in (derive(today) if derive else {}).items():
        monkeypatch.setattr(module, name, value)


@pytest.fixture(params=[True, False], ids=["fast", "plain"])
def fast_path(request, settings):
    """Runs a test twice: with the compiled statements of core.fastpath, and with the plain
    querysets that CRM_FAST_PATH=false gives instead. Yields which one."""
    settings.CRM_FAST_PATH = request.param
    return request.param


@pytest.fixture
def html_both_ways(settings):
    """`fast, plain = html_both_ways(get)`: the HTML of the response `get()` returns with
    core.fastpath's compiled statements and with plain querysets, without the CSRF tokens that
    every response masks anew (in its forms and in htmx's headers)."""

    def both(get):
        pages = []
        for fast in (True, False):
            settings.CRM_FAST_PATH = fast
            body = get().content.decode()
            body = re.sub(r'(name="csrfmiddlewaretoken" value=")[^"]+"', r'\1"', body)
            pages.append(re.sub(r'("X-CSRFToken": ")[^"]+"', r'\1"', body))
        return pages

    return both


@pytest.fixture
def sales_rep(db):
    return UserFactory(username="sally_sales", roles=[SALES])


@pytest.fixture
def service_agent(db):
    return UserFactory(username="sam_service", roles=[SERVICE])


@pytest.fixture
def finance_clerk(db):
    return UserFactory(username="fiona_finance", roles=[FINANCE])


@pytest.fixture
def manager(db):
    return UserFactory(username="mike_manager", roles=[MANAGER])


@pytest.fixture
def outsider(db):
    """Logged in, but holds no role."""
    return UserFactory(username="oscar_outsider")


@pytest.fixture
def admin_user(db):
    return UserFactory(username="ada_admin", is_staff=True, is_superuser=True)


@pytest.fixture
def personas_in_one_team(db, sales_rep, service_agent, finance_clerk, manager, outsider):
    """The personas as one team, for tests of what each ROLE may do: whose customer it is (the
    owner rule of core.visibility, tested in tests/core/test_visibility.py) must not decide."""
    team = Team.objects.create(name="Everyone")
    team.members.add(sales_rep, service_agent, finance_clerk, manager, outsider)
    return team


@pytest.fixture
def persona_client(client):
    """`persona_client(user)` logs the persona in and returns the client."""

    def login(user):
        client.force_login(user)
        return client

    return login


@pytest.fixture
def customer(db, sales_rep):
    return CustomerFactory(owner=sales_rep)


@pytest.fixture(scope="session")
def mail_server():
    """A real SMTP and IMAP server (Dovecot, tests/mailserver.py) for this test process, started
    the first time a test asks for it. Tests use addresses of their own (`new_address()`)."""
    from tests.mailserver import MailServer, mail_server_available

    missing = mail_server_available()
    if missing:
        pytest.fail(f"The e-mail tests need a real mail server: {missing} (make mailserver)")
    with MailServer() as server:
        yield server


@pytest.fixture
def smtp_settings(settings, mail_server):
    """Django's e-mail goes over SMTP to the test mail server (not the locmem outbox)."""
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = mail_server.smtp_port
    settings.EMAIL_USE_TLS = False
    settings.EMAIL_USE_SSL = False
    settings.EMAIL_HOST_USER = ""
    settings.EMAIL_HOST_PASSWORD = ""
    settings.EMAIL_TIMEOUT = 10
    return mail_server
