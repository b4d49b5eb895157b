"""The import pages: upload, mapping, preview, progress, result, undo."""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import StreamingHttpResponse
from django.shortcuts import redirect, render
from django.utils.html import format_html
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.csrf import csrf_exempt, csrf_protect
from django.views.decorators.http import require_POST
from django_htmx.http import HttpResponseClientRedirect

from core.permissions import can
from core.uploads import SizeLimitedUploadHandler
from core.views.helpers import paginate, run_action, run_service

from . import kinds, services
from .access import batches_for, get_batch_for_user
from .forms import ACTION_CHOICES, LayoutForm, MappingForm, TemplateChoiceForm, UploadForm
from .models import ImportBatch


def _may_import(user):
    return any(can(user, kind.permission) for kind in kinds.all_kinds())


@login_required
def import_list(request):
    if not _may_import(request.user):
        raise PermissionDenied
    page, query = paginate(
        request,
        batches_for(request.user).select_related("created_by"),
        settings.IMPORT_PREVIEW_PAGE_SIZE,
    )
    return render(request, "imports/import_list.html", {"page": page, "query": query})


# The size limit must be in place before the body is read, and Django's CSRF check reads it:
# the check is done by csrf_protect on the view proper (as relationships' document upload does).
@csrf_exempt
@login_required
def import_create(request):
    if not _may_import(request.user):
        raise PermissionDenied
    request.upload_handlers.insert(
        0, SizeLimitedUploadHandler(request, max_size=settings.IMPORT_MAX_SIZE)
    )
    return _import_create(request)


@csrf_protect
def _import_create(request):
    form = UploadForm(request.POST or None, request.FILES or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        call = run_service(
            form,
            services.batch_upload,
            uploaded=data["file"],
            kind=data["kind"],
            default_country=data["default_country"],
            owner=data["owner"],
            by=request.user,
        )
        if call:
            return redirect(call.result)
    return render(request, "imports/import_create.html", {"form": form})


@login_required
def import_detail(request, pk):
    batch = get_batch_for_user(request, pk)
    if batch.status == ImportBatch.Status.UPLOADED:
        return _mapping_page(request, batch)
    if batch.status == ImportBatch.Status.PREVIEW:
        return _preview_page(request, batch)
    if batch.is_working:
        return render(request, "imports/import_progress.html", _progress_context(batch))
    return _result_page(request, batch)


def _mapping_page(request, batch, *, mapping_form=None, layout_form=None, status=200):
    layout_form = layout_form or LayoutForm(
        initial={
            "encoding": batch.encoding,
            "delimiter": batch.delimiter,
            "header_row": batch.header_row,
        }
    )
    context = {
        "batch": batch,
        "kind": kinds.get(batch.kind),
        "form": mapping_form or MappingForm(batch=batch),
        "layout_form": layout_form,
        "template_form": TemplateChoiceForm(batch=batch),
    }
    return render(request, "imports/import_mapping.html", context, status=status)


@require_POST
@login_required
def import_layout(request, pk):
    batch = get_batch_for_user(request, pk)
    form = LayoutForm(request.POST)
    if form.is_valid() and run_service(
        form, services.batch_layout, batch=batch, by=request.user, **form.cleaned_data
    ):
        return redirect(batch)
    return _mapping_page(request, batch, layout_form=form, status=400)


@require_POST
@login_required
def import_template(request, pk):
    batch = get_batch_for_user(request, pk)
    form = TemplateChoiceForm(request.POST, batch=batch)
    if form.is_valid():
        services.template_apply(batch=batch, template=form.cleaned_data["template"])
        messages.success(request, _("The template's mapping is applied."))
    return redirect(batch)


@require_POST
@login_required
def import_map(request, pk):
    batch = get_batch_for_user(request, pk)
    form = MappingForm(request.POST, batch=batch)
    if form.is_valid() and run_service(
        form,
        services.batch_map,
        batch=batch,
        mapping=form.mapping(),
        template_name=form.cleaned_data["template_name"],
        by=request.user,
    ):
        return redirect(batch)
    return _mapping_page(request, batch, mapping_form=form, status=400)


def _preview_page(request, batch):
    kind = kinds.get(batch.kind)
    rows = batch.rows.select_related("match", "parent").order_by("number")
    if request.GET.get("show") == "errors":
        rows = rows.exclude(errors={})
    page, query = paginate(request, rows, settings.IMPORT_PREVIEW_PAGE_SIZE)
    fields = [
        kind.field(name)
        for _column, name in sorted(batch.mapping.items(), key=lambda item: int(item[0]))
    ]
    mapped = {f.name for f in fields}
    captions = kind.captions(batch)
    table = [
        {
            "row": row,
            "cells": [(row.cells.get(f.name, ""), row.errors.get(f.name, "")) for f in fields],
            # The row's own errors and those of fields without a column (a contact person's
            # name when only the job title is mapped): beside no cell, so shown for the row.
            "other_errors": kind.error_lines(
                {name: error for name, error in row.errors.items() if name not in mapped},
                captions,
            ),
        }
        for row in page
    ]
    counts = {
        "rows": batch.total_rows,
        "errors": batch.rows.exclude(errors={}).count(),
        "matches": batch.rows.exclude(match=None).count(),
    }
    context = {
        "batch": batch,
        "kind": kind,
        "fields": fields,
        "table": table,
        "page": page,
        "query": query,
        "counts": counts,
        "actions": ACTION_CHOICES,
        "show": request.GET.get("show", ""),
    }
    return render(request, "imports/import_preview.html", context)


@require_POST
@login_required
def import_choose(request, pk):
    batch = get_batch_for_user(request, pk)
    actions = {}
    for name, value in request.POST.items():
        row_id = name.removeprefix("action_")
        # A row's id, as the page writes it: ASCII digits of a sane length (a forged name of
        # thirty digits is no row, and no query may get a number the database cannot hold).
        if (
            name.startswith("action_")
            and row_id.isascii()
            and row_id.isdigit()
            and len(row_id) < 12
        ):
            actions[int(row_id)] = value
    if run_action(request, services.rows_choose, batch=batch, actions=actions, by=request.user):
        messages.success(request, _("Your choices are saved."))
    target = batch.get_absolute_url()
    page = request.POST.get("page", "")
    return redirect(f"{target}?page={page}" if page.isdigit() else target)


@require_POST
@login_required
def import_start(request, pk):
    batch = get_batch_for_user(request, pk)
    run_action(request, services.batch_start, batch=batch, by=request.user)
    return redirect(batch)


def _progress_context(batch):
    progress = services.progress(batch) or {}
    done, total = progress.get("done"), progress.get("total") or batch.total_rows or None
    percent = int(100 * done / total) if done is not None and total else None
    return {"batch": batch, "done": done, "total": total, "percent": percent}


@login_required
def import_progress(request, pk):
    """The progress bar's partial, polled by htmx; once the batch has moved on, the page."""
    batch = get_batch_for_user(request, pk)
    if not batch.is_working and request.htmx:
        return HttpResponseClientRedirect(batch.get_absolute_url())
    return render(request, "imports/_progress.html", _progress_context(batch))


def _result_page(request, batch):
    kind = kinds.get(batch.kind)
    counts = [
        ("count-created", kind.created_text(batch.created_count), batch.created_count),
        ("count-updated", kind.updated_text(batch.updated_count), batch.updated_count),
        (
            "count-skipped",
            ngettext("%(count)s row skipped", "%(count)s rows skipped", batch.skipped_count),
            batch.skipped_count,
        ),
        (
            "count-rejected",
            ngettext("%(count)s row rejected", "%(count)s rows rejected", batch.rejected_count),
            batch.rejected_count,
        ),
    ]
    lines = [_count_line(i, text, count) for i, text, count in counts if text is not None]
    return render(
        request, "imports/import_result.html", {"batch": batch, "kind": kind, "counts": lines}
    )


def _count_line(element_id, text, count):
    """A count's translated text ("%(count)s invoices created") with the number in an element
    of its own, which the page's tests find by its id."""
    before, _placeholder, after = text.partition("%(count)s")
    return format_html('{}<span id="{}">{}</span>{}', before, element_id, count, after)


@login_required
def import_rejected(request, pk):
    batch = get_batch_for_user(request, pk)
    response = StreamingHttpResponse(
        services.rejected_rows_csv(batch), content_type="text/csv; charset=utf-8"
    )
    response["Content-Disposition"] = f'attachment; filename="import-{batch.pk}-rejected.csv"'
    return response


@require_POST
@login_required
def import_undo(request, pk):
    batch = get_batch_for_user(request, pk)
    try:
        services.batch_undo(batch=batch, by=request.user)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, _("The import is undone."))
    return redirect(batch)
