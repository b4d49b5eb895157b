"""A real HTTP receiver on 127.0.0.1 for the webhook tests, and the objects they share."""

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from integrations.models import WebForm, WebhookSubscription
from tests.factories import UserFactory


class Receiver:
    """What the receiver got, and how it answers: `statuses` one by one (then `status`), or,
    with `hang`, not at all until the test ends (the sender's timeout is what is tested)."""

    def __init__(self):
        self.requests = []
        self.status = 200
        self.statuses = []
        self.body = b'{"ok": true}'
        self.hang = False
        self.release = threading.Event()
        self.url = ""
        self.lock = threading.Lock()

    @property
    def bodies(self):
        return [request["body"] for request in self.requests]


@pytest.fixture
def receiver():
    received = Receiver()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            with received.lock:
                received.requests.append({"path": self.path, "headers": self.headers, "body": body})
                status = received.statuses.pop(0) if received.statuses else received.status
            if received.hang:
                received.release.wait(10)
                return
            self.send_response(status)
            if 300 <= status < 400:
                self.send_header("Location", "http://127.0.0.1:1/elsewhere")
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(received.body)))
            self.end_headers()
            self.wfile.write(received.body)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    thread = threading.Thread(
        target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
    )
    thread.start()
    received.url = f"http://127.0.0.1:{server.server_port}/hooks/crm"
    yield received
    received.release.set()
    server.shutdown()
    server.server_close()
    thread.join(5)


@pytest.fixture
def subscription(manager, receiver):
    return WebhookSubscription.objects.create(
        name="ERP",
        owner=manager,
        target_url=receiver.url,
        events=["customer.created", "payment.received", "relationship.ended"],
    )


@pytest.fixture
def webform(db, manager):
    return WebForm.objects.create(
        name="Contact page",
        slug="contact",
        allowed_origin="https://www.example.com",
        created_by=manager,
    )


@pytest.fixture
def other_manager(db):
    from core.permissions import MANAGER

    return UserFactory(username="maria_manager", roles=[MANAGER])


@pytest.fixture
def published():
    """The domain events published during the test, as core.events' receivers hear them."""
    from core import events

    heard = []
    events.receiver(heard.append)
    yield heard
    events._receivers.remove(heard.append)


# The processes tests' set-ups: a sales pipeline, a support ticket, an overdue invoice.
from tests.processes.conftest import (  # noqa: E402, F401
    collections_process,
    opportunity,
    overdue_invoice,
    sales_process,
    standard_support,
    ticket,
)
