"""My exports: the background exports of one's lists (core.export_jobs), their state, the
download of a finished one (its owner's only) and running a failed one again."""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from .. import export_jobs, exports
from ..models import ExportJob
from ..uploads import attachment_response
from .helpers import paginate, run_action

PENDING = (ExportJob.Status.QUEUED, ExportJob.Status.RUNNING)
CONTENT_TYPES = {
    ExportJob.Format.CSV: "text/csv; charset=utf-8",
    ExportJob.Format.XLSX: exports.XLSX_CONTENT_TYPE,
}


@login_required
def export_list(request):
    page, query = paginate(request, export_jobs.jobs_for(request.user), 50)
    for job in page:
        job.list_label = export_jobs.label_of(job)
    return render(
        request,
        "core/export_list.html",
        {
            "page": page,
            "query": query,
            "pending": any(job.status in PENDING for job in page),
            "export_inline_max_rows": settings.EXPORT_INLINE_MAX_ROWS,
            "export_keep_hours": settings.EXPORT_KEEP_HOURS,
        },
    )


@login_required
def export_download(request, pk):
    """A finished export's file, to its owner only (anyone else: 404)."""
    job = export_jobs.get_job_for_user(request, pk)
    if job.status != ExportJob.Status.DONE:
        raise Http404(_("This export has no file to download."))
    return attachment_response(
        job.file, filename=job.filename, content_type=CONTENT_TYPES[job.format]
    )


@login_required
@require_POST
def export_retry(request, pk):
    job = export_jobs.get_job_for_user(request, pk)
    if run_action(request, export_jobs.export_job_retry, job=job, by=request.user):
        messages.info(request, _("Your export is being prepared again."))
    return redirect("export_list")
