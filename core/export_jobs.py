"""Background exports: a list's export too big to write while the browser waits.

`core.exports.export_response` records an `ExportJob` (the user, the list, the format, the
filters) and queues `core.tasks.run_export_job` through the outbox. The worker:

1. takes the job (a row lock; a job already done or failed is left alone, so a message
   delivered twice writes one file; a job left RUNNING by a worker that was killed is run
   again, which is what acks_late's redelivery is for);
2. asks again whether the user may see the list (`can()` with the list's permission, an active
   account), then rebuilds the very rows the list shows that user with those filters
   (`core.lists`: the same FilterSet over `visible_to(user)`, the same columns), in the user's
   language;
3. writes them to a temporary file, and only once the whole file is written saves it to the
   private storage (MEDIA_ROOT/exports/, which no URL serves) and marks the job done, with
   its rows, in one transaction that also writes the audit line (`record_export`). A worker
   killed on the way leaves no file and the job not done;
4. tells the user (the receivers `on_finished` registered: processes' notifications, the bell).

An error marks the job failed with a message and tells the user; its owner can run it again.
Only its owner downloads the file (`get_job_for_user`). `expire_exports` (beat, hourly) deletes
jobs older than EXPORT_KEEP_HOURS with their files, and fails a job RUNNING for longer than
STALE_AFTER (its worker was lost and the broker did not hand it on), so it can be run again.
"""

import logging
import tempfile
from collections.abc import Callable
from datetime import timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files import File
from django.core.files.storage import default_storage
from django.db import transaction
from django.http import QueryDict
from django.shortcuts import get_object_or_404
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from . import audit, exports, lists, outbox
from .audit import audit_context
from .i18n import work_language
from .models import ExportJob
from .permissions import can

logger = logging.getLogger(__name__)

# Longer than the broker's visibility timeout (CELERY_VISIBILITY_TIMEOUT, an hour), after which
# a job whose worker died has been handed to another worker if it ever will be.
STALE_AFTER = timedelta(hours=2)
ERROR_MAX_LENGTH = 500

_receivers: list[Callable[[ExportJob], None]] = []


def on_finished(function: Callable[[ExportJob], None]) -> Callable[[ExportJob], None]:
    """Register `function(job)`, called when a job is done or has failed, inside the
    transaction that says so (a higher app's AppConfig.ready(): the notifications)."""
    if function not in _receivers:
        _receivers.append(function)
    return function


def _tell(job):
    for function in _receivers:
        function(job)


def get_job_for_user(request, pk) -> ExportJob:
    """One of the user's own exports (404 for anyone else's)."""
    return get_object_or_404(ExportJob.objects.filter(user=request.user), pk=pk)


def jobs_for(user):
    return ExportJob.objects.filter(user=user).order_by("-created_at", "-id")


def label_of(job) -> str:
    info = lists.get(job.list_key)
    return str(info.label) if info is not None else job.list_key


def export_job_run(job_id):
    """Writes one job's file (the Celery task's body); see the module's docstring."""
    with transaction.atomic():
        job = ExportJob.objects.select_for_update().select_related("user").filter(pk=job_id).first()
        if job is None or job.status in (ExportJob.Status.DONE, ExportJob.Status.FAILED):
            return job
        job.status = ExportJob.Status.RUNNING
        job.started_at = timezone.now()
        job.save(update_fields=["status", "started_at"])
    try:
        with (
            translation.override(work_language(job.language, job.user)),
            audit_context(source=exports.RUN_TASK, user=job.user),
        ):
            _write(job)
    except Exception:
        # The details are for the log; the user is told what to do.
        logger.exception("Export job %s failed", job.pk)
        with translation.override(work_language(job.language, job.user)):
            _fail(
                job,
                _(
                    "The export could not be written. Try again; if it fails again, tell an "
                    "administrator."
                ),
            )
    job.refresh_from_db()
    return job


def _write(job):
    info = lists.get(job.list_key)
    if info is None or info.build is None:
        _fail(job, _("This list can no longer be exported."))
        return
    user = job.user
    if not user.is_active or (info.permission and not can(user, info.permission)):
        _fail(job, _("You may no longer see this list."))
        return
    rows = info.rows(user, QueryDict(job.query))
    filename = exports.export_filename(job.list_key, job.format)
    with tempfile.TemporaryFile() as output:
        written = exports.write_file(output, name=job.list_key, fmt=job.format, rows=rows)
        output.seek(0)
        # Saved only now that the whole file is written; its name is new every time.
        stored = default_storage.save(
            job.file.field.generate_filename(job, filename), File(output, name=filename)
        )
    try:
        with transaction.atomic():
            current = ExportJob.objects.select_for_update().get(pk=job.pk)
            if current.status != ExportJob.Status.RUNNING:
                # Another delivery of the same message finished it first: its file stands.
                default_storage.delete(stored)
                return
            current.status = ExportJob.Status.DONE
            current.file.name = stored
            current.rows = written
            current.finished_at = timezone.now()
            current.error = ""
            current.save(update_fields=["status", "file", "rows", "finished_at", "error"])
            audit.record_export(
                None, user=user, name=job.list_key, rows=written, filters=_filters(job.query)
            )
            _tell(current)
    except BaseException:
        default_storage.delete(stored)
        raise


def _filters(query):
    return {
        key: values if len(values) > 1 else values[0] for key, values in QueryDict(query).lists()
    }


def _fail(job, message):
    with transaction.atomic():
        current = ExportJob.objects.select_for_update().get(pk=job.pk)
        if current.status == ExportJob.Status.DONE:
            return
        current.status = ExportJob.Status.FAILED
        current.error = str(message)[:ERROR_MAX_LENGTH]
        current.finished_at = timezone.now()
        current.save(update_fields=["status", "error", "finished_at"])
        _tell(current)


@transaction.atomic
def export_job_retry(*, job, by) -> ExportJob:
    """Runs a failed export again (its owner's only)."""
    job = ExportJob.objects.select_for_update().get(pk=job.pk)
    if job.user_id != by.pk:
        raise ValidationError(_("Only the export's owner can run it again."))
    if job.status != ExportJob.Status.FAILED:
        raise ValidationError(_("Only a failed export can be run again."))
    job.status = ExportJob.Status.QUEUED
    job.error = ""
    job.rows = None
    job.started_at = job.finished_at = None
    job.created_at = timezone.now()
    job.save(update_fields=["status", "error", "rows", "started_at", "finished_at", "created_at"])
    outbox.enqueue(exports.RUN_TASK, job.pk)
    return job


def expire_exports(*, now=None) -> int:
    """Deletes the exports asked for more than EXPORT_KEEP_HOURS ago, their files first, and
    fails the ones a lost worker left running; returns how many were deleted."""
    now = now or timezone.now()
    ExportJob.objects.filter(
        status=ExportJob.Status.RUNNING, started_at__lt=now - STALE_AFTER
    ).update(
        status=ExportJob.Status.FAILED,
        finished_at=now,
        error=_("The export stopped before its file was written (its worker was lost). Try again."),
    )
    deleted = 0
    old = ExportJob.objects.filter(
        created_at__lt=now - timedelta(hours=settings.EXPORT_KEEP_HOURS)
    ).exclude(status=ExportJob.Status.RUNNING)
    for job in old.order_by("created_at", "id").iterator(chunk_size=500):
        if job.file:
            default_storage.delete(job.file.name)
        ExportJob.objects.filter(pk=job.pk).delete()
        deleted += 1
    return deleted
