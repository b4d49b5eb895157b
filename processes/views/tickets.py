"""Support tickets: the list, opening one and recording the first response."""

from django.contrib import messages
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from core import exports, lists
from core.permissions import permission_required
from core.views.helpers import redirect_back as _back
from core.views.helpers import run_action, run_service
from customers.access import get_customer_for_user

from .. import services
from ..access import get_instance_for_user
from ..forms import TicketForm
from ..permissions import VIEW_PROCESSES, WORK_TICKETS
from .helpers import Kind, _form_page, _page
from .instances import _opened_message


@permission_required(VIEW_PROCESSES)
def ticket_list(request):
    rows = lists.get("tickets").rows(request.user, request.GET, request)
    if exports.wanted_format(request):
        return exports.export_response(request, name="tickets", rows=rows)
    ticket_filter = rows.filterset
    page, query = _page(request, ticket_filter.qs)
    now = timezone.now()
    for instance in page:
        instance.response_late = instance.ticket.response_breached(now)
        instance.resolution_late = instance.ticket.resolution_breached(now)
    return render(
        request,
        "processes/ticket_list.html",
        {"filter": ticket_filter, "page": page, "query": query},
    )


@permission_required(WORK_TICKETS)
def ticket_create(request, pk):
    customer = get_customer_for_user(request, pk, write=True, permission=WORK_TICKETS)
    form = TicketForm(request.POST or None, customer=customer, initial={"owner": request.user})
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        if call := run_service(
            form, services.ticket_open, customer=customer, by=request.user, **data
        ):
            ticket = call.result
            _opened_message(request, ticket.instance, _("Ticket opened."))
            return redirect(ticket.instance)
    return _form_page(
        request, form, customer=customer, title=_("New ticket"), submit=_("Open ticket")
    )


@require_POST
@permission_required(WORK_TICKETS)
def ticket_respond(request, pk):
    instance = get_instance_for_user(request, pk, write=True, kinds=[Kind.SUPPORT])
    if run_action(
        request, services.ticket_record_first_response, ticket=instance.ticket, by=request.user
    ):
        messages.success(request, _("First response recorded."))
    return _back(request, instance.get_absolute_url())
