import contextlib

import pytest

from core import outbox
from crm.celery import app
from tests import servers


@pytest.fixture
def redis_server():
    """A Redis of the test's own on a spare port, which the test may stop and start."""
    if not __import__("os").path.exists(servers.REDIS_SERVER):
        pytest.skip("redis-server is not installed")
    server = servers.RedisServer().start()
    yield server
    server.stop()


def _reset_producers():
    app._pool = None
    app.amqp._producer_pool = None
    outbox._breaker = None


@pytest.fixture
def broker_at(settings):
    """`with broker_at(url):` publishes for real (not eagerly) to the broker at `url`."""

    @contextlib.contextmanager
    def switch(url):
        saved = (app.conf.task_always_eager, app.conf.broker_transport_options)
        # The write URL: CELERY_BROKER_URL in the environment (CI) outranks conf.broker_url.
        app.conf.broker_write_url = url
        app.conf.task_always_eager = False
        app.conf.broker_transport_options = {"socket_connect_timeout": 0.5, "socket_timeout": 2}
        _reset_producers()
        try:
            yield app
        finally:
            app.conf.broker_write_url = None
            app.conf.task_always_eager, app.conf.broker_transport_options = saved
            _reset_producers()

    return switch
