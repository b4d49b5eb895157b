"""A read whose PostgreSQL connection is cut mid-way runs once more; a write never does."""

import pytest
from django.db import connection

from tests.core import urls

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.urls("tests.core.urls")]


@pytest.fixture(autouse=True)
def postgresql_only():
    if connection.vendor != "postgresql":
        pytest.skip("Ending a server backend is PostgreSQL's.")
    urls.runs.clear()
    yield
    # The test client keeps Django from closing a broken connection after a request, as a
    # server does (close_old_connections); the flush after the test needs a working one.
    connection.close()


def test_a_read_whose_connection_dropped_runs_again_on_a_new_one(client):
    client.raise_request_exception = False
    response = client.get("/drop-once/")
    assert (response.status_code, response.content) == (200, b"read")
    assert urls.runs == ["GET", "GET"]


def test_a_write_whose_connection_dropped_is_not_repeated(client):
    client.raise_request_exception = False
    response = client.post("/drop-once/")
    assert response.status_code == 500
    assert urls.runs == ["POST"]
