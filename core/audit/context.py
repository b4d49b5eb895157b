"""Who is acting: the user behind a request, or the task or command doing the work.

Every audit row written while a context is active names it: on PostgreSQL the context travels to
the triggers as the session setting `crm.audit` (core.audit.postgres sets it before each write
statement), on SQLite the signal receivers read it here. Contexts nest; the innermost wins.
"""

import contextlib
import contextvars
import ipaddress
import json
import os
from dataclasses import dataclass

from axes.helpers import get_client_ip_address

_current = contextvars.ContextVar("crm_audit_context", default=None)
# What a process is, when nothing more precise is known: manage.py names its command in the
# environment, so a shell session or a management command that writes is recorded as such.
PROCESS_SOURCE_VARIABLE = "CRM_AUDIT_SOURCE"
_process_source = os.environ.get(PROCESS_SOURCE_VARIABLE, "")


@dataclass
class AuditContext:
    source: str = ""
    request: object = None
    user: object = None
    skip: bool = False

    def acting_user(self):
        user = self.user
        if user is None and self.request is not None:
            # Read when the first write happens, so a log-in within the request counts.
            user = getattr(self.request, "user", None)
        if user is not None and getattr(user, "is_authenticated", False):
            return user
        return None

    def client_address(self):
        return client_address(self.request) if self.request is not None else None

    def as_dict(self):
        if self.skip:
            return {"skip": True}
        user = self.acting_user()
        return {
            "user": user.pk if user is not None else None,
            "username": user.get_username() if user is not None else "",
            "source": (self.source or _process_source)[:300],
            "ip": self.client_address(),
        }


def client_address(request):
    """The client's address as django-axes sees it: through ipware and the trusted proxies
    configured for axes (AXES_IPWARE_*), not the proxy's own REMOTE_ADDR."""
    address = get_client_ip_address(request)
    try:
        # The triggers cast it to inet: something else (a test client's "testserver") is left out
        # rather than failing the write.
        return str(ipaddress.ip_address(address))
    except ValueError:
        return None


def current():
    """The active context, or one naming only the process (a command, a shell) if none is."""
    return _current.get() or AuditContext()


def current_json():
    """The active context for the triggers; empty when none is active and the process has no
    name (the triggers then record the database user)."""
    context = _current.get()
    if context is None and not _process_source:
        return ""
    return json.dumps(current().as_dict())


@contextlib.contextmanager
def audit_context(*, source="", request=None, user=None):
    """Changes made inside are recorded as made by `user` (or the request's user) from `source`
    (a request path, a task or command name); what is not given comes from the outer context."""
    outer = _current.get()
    if outer is not None and not outer.skip:
        source = source or outer.source
        request = request if request is not None else outer.request
        user = user if user is not None else outer.user
    token = _current.set(AuditContext(source=source, request=request, user=user))
    try:
        yield
    finally:
        _current.reset(token)


@contextlib.contextmanager
def suspended(using="default"):
    """Writes inside are not audited: synthetic data loaded by the data generator (COPY on
    PostgreSQL reaches the triggers without passing Django's cursor, so the setting is set on
    the connection itself here too)."""
    from django.db import connections

    connection = connections[using]
    token = _current.set(AuditContext(skip=True))
    try:
        if connection.vendor == "postgresql":
            _set_connection(connection, json.dumps({"skip": True}))
        yield
    finally:
        _current.reset(token)
        if connection.vendor == "postgresql":
            _set_connection(connection, current_json())


def _set_connection(connection, value):
    with connection.cursor() as cursor:
        cursor.execute("SELECT set_config('crm.audit', %s, false)", [value])
    connection.crm_audit_used = True


_task_tokens = {}


def task_started(sender=None, task_id=None, task=None, **kwargs):
    """Celery's task_prerun: the task's writes are recorded as the task's."""
    _task_tokens[task_id] = _current.set(AuditContext(source=f"task: {task.name}"))


def task_finished(sender=None, task_id=None, **kwargs):
    token = _task_tokens.pop(task_id, None)
    if token is not None:
        _current.reset(token)
