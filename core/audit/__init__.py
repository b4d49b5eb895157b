"""The audit: who created, changed or deleted which record and when, and the security events
(log-ins, failed log-ins, lock-outs, refused pages, exports), in one table (core.AuditEvent)
that the audit list and every record's history page read (core.audit.formatting).

Why triggers on PostgreSQL. Signal-based history (django-simple-history, which kept four
models' history before) sees only save() and delete() on one instance: a QuerySet.update(), the
admin's bulk delete of a queryset (Django deletes it in one statement when nothing cascades
through Python), bulk_update and raw SQL leave no trace. A row trigger sees every write. We
chose our own small trigger over django-pghistory: pghistory keeps one event table per model
(the audit list would read a union of eleven tables, unindexed across them), attaches its
context by prepending set_config() to every statement, reads included, and does nothing on
SQLite, which `make run` and the default test run use; here one indexed table serves every
filter, and the same rows are written on SQLite by signals.

- PostgreSQL (production, CI): `postgres.py`. One AFTER row trigger per audited table writes
  the row; the UPDATE trigger's WHEN clause compares only the audited columns, so writes of
  computed columns only (the scoring job's grades) never even call it. Who acted reaches the
  trigger through the session setting `crm.audit`, set before each write statement.
- SQLite (development, demo): `signals.py` writes the same rows from post_save/post_delete.
  QuerySet.update(), bulk_update, bulk_create and raw SQL are NOT recorded there (a
  QuerySet.delete() is: the receivers make Django delete audited rows one by one).

Each app registers its audited models (`register(Model, exclude=[...])`) in its AppConfig.ready;
the context of a write (the user and path of a request, the name of a Celery task or management
command) is `context.py`; security events are `security.py`; erasing a person's values from the
stored rows is `scrub.py`.
"""

from . import registry, signals
from .context import audit_context, current, suspended
from .registry import audited, is_audited
from .scrub import scrub
from .security import record, record_export


def register(model, *, exclude=(), select_related=()):
    """Audits `model`, leaving out the fields named in `exclude` (computed ones); `select_related`
    names what its str() reads, so a page of names costs one query."""
    registry.register(model, exclude=exclude, select_related=select_related)
    signals.watch(model)
    return model


__all__ = [
    "audit_context",
    "audited",
    "current",
    "is_audited",
    "record",
    "record_export",
    "register",
    "scrub",
    "suspended",
]
