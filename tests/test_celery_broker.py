"""The configured broker really carries tasks: a worker thread consumes what we send through it.

Redis in CI (CELERY_BROKER_URL), kombu's filesystem transport on a machine without a server.
"""

import threading

import pytest
from celery.contrib.testing.worker import start_worker

from crm.celery import app

pytestmark = pytest.mark.django_db(transaction=True)

received = []
delivered = threading.Event()


@app.task(name="tests.record")
def record(value):
    received.append(value)
    delivered.set()


def test_a_task_travels_through_the_real_broker():
    app.conf.task_always_eager = False
    try:
        with start_worker(app, perform_ping_check=False, pool="solo", loglevel="WARNING"):
            record.delay("through the broker")
            assert delivered.wait(timeout=30)
    finally:
        app.conf.task_always_eager = True
    assert received == ["through the broker"]
