"""The fault runs: the app in real processes (gunicorn, Celery workers) on servers of their own
(tests/servers.py), which the tests stop, restart and kill. One PostgreSQL cluster per session,
migrated once into a template that each test copies."""

import uuid

import pytest

from tests import servers


def pytest_collection_modifyitems(items):
    for item in items:
        if "tests/faults/" in str(item.fspath):
            item.add_marker(pytest.mark.fault)


@pytest.fixture(scope="session")
def pg_cluster():
    missing = servers.servers_available()
    if missing:
        pytest.skip(missing)
    cluster = servers.PostgresCluster().start()
    try:
        cluster.createdb("crm_template")
        servers.manage(servers.app_environment(DATABASE_URL=cluster.url("crm_template")), "migrate")
        yield cluster
    finally:
        cluster.stop()


@pytest.fixture
def app_database(pg_cluster):
    """A migrated database of the test's own, copied from the session's template."""
    name = f"crm_{uuid.uuid4().hex[:12]}"
    pg_cluster.createdb(name, template="crm_template")
    return pg_cluster.url(name)


@pytest.fixture
def seeded(app_database):
    """A finance clerk's session, a customer and an open invoice of 1,000 PLN. Seeded with the
    broker nowhere (a closed port), so the seed's own rescoring waits in the outbox and no
    worker scores the customer before the test means it to."""
    env = servers.app_environment(
        DATABASE_URL=app_database, CELERY_BROKER_URL=f"redis://127.0.0.1:{servers.spare_port()}/0"
    )
    return servers.seed(env)
