"""Collections: the cases and the overdue invoices without one, opening a case and asking to
write one off."""

from django.contrib import messages
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from core import exports, lists
from core.permissions import permission_required
from core.views.helpers import run_action, run_service
from relationships.access import get_invoice_for_user
from relationships.models import Invoice

from .. import services
from ..access import get_instance_for_user
from ..forms import WriteOffRequestForm
from ..permissions import WORK_COLLECTIONS
from .helpers import Kind, _page
from .instances import _detail_page, _opened_message


@permission_required(WORK_COLLECTIONS)
def collection_list(request):
    rows = lists.get("collections").rows(request.user, request.GET, request)
    if exports.wanted_format(request):
        return exports.export_response(request, name="collections", rows=rows)
    collection_filter = rows.filterset
    page, query = _page(request, collection_filter.qs)
    uncovered = (
        Invoice.objects.visible_to(request.user)
        .overdue()
        .filter(collection_case__isnull=True)
        .select_related("customer")
        .order_by("due_date", "id")[:20]
    )
    return render(
        request,
        "processes/collection_list.html",
        {"filter": collection_filter, "page": page, "query": query, "uncovered": uncovered},
    )


@require_POST
@permission_required(WORK_COLLECTIONS)
def collection_case_open(request, pk):
    invoice = get_invoice_for_user(request, pk, permission=WORK_COLLECTIONS, write=True)
    call = run_action(request, services.collection_case_open, invoice=invoice, by=request.user)
    if not call:
        return redirect(invoice)
    _opened_message(request, call.result.instance, _("Collection case opened."))
    return redirect(call.result.instance)


@require_POST
@permission_required(WORK_COLLECTIONS)
def collection_write_off_request(request, pk):
    instance = get_instance_for_user(request, pk, write=True, kinds=[Kind.COLLECTIONS])
    form = WriteOffRequestForm(request.POST)
    if form.is_valid() and run_service(
        form,
        services.collection_case_request_write_off,
        instance=instance,
        reason=form.cleaned_data["reason"],
        by=request.user,
    ):
        messages.info(request, _("The write-off awaits a manager's approval."))
        return redirect(instance)
    return _detail_page(request, instance, write_off_form=form)
