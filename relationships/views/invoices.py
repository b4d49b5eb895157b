"""Invoice pages: list, detail, issue, edit, write off."""

from django.conf import settings
from django.contrib import messages
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from core import exports, lists, visibility
from core.permissions import can, permission_required
from core.views.helpers import run_service
from customers.access import customer_editable, get_customer_for_user, require_customer_editable
from customers.permissions import VIEW_CUSTOMERS

from .. import services
from ..access import get_invoice_for_user
from ..forms import (
    InvoiceForm,
    PaymentForm,
    WriteOffForm,
)
from ..permissions import ISSUE_INVOICES, REGISTER_PAYMENTS, VIEW_FINANCE, WRITE_OFF
from .common import _changed_data, _object_form, _page


@permission_required(VIEW_FINANCE)
def invoice_list(request):
    rows = lists.get("invoices").rows(request.user, request.GET, request)
    if exports.wanted_format(request):
        return exports.export_response(request, name="invoices", rows=rows)
    invoice_filter = rows.filterset
    page, query = _page(request, invoice_filter.qs)
    # Totals cover what the filters matched; over the whole ledger they would cost a full scan
    # on every request and say little, so they wait until the filters narrow it to the cap.
    totals = []
    if invoice_filter.is_valid() and not page.paginator.count_is_capped:
        totals = invoice_filter.qs.totals_by_currency()
    template = (
        "relationships/_invoice_table.html" if request.htmx else "relationships/invoice_list.html"
    )
    return render(
        request,
        template,
        {"filter": invoice_filter, "page": page, "query": query, "totals": totals},
    )


def _invoice_page(request, invoice, *, payment_form=None, write_off_form=None, status=200):
    """The invoice, with its payment and write-off forms while it is unsettled. A form given
    back with errors is shown even when the invoice is settled now: paid or written off by
    someone else meanwhile is the very error it carries."""
    can_pay = can(request.user, REGISTER_PAYMENTS)
    can_write_off = can(request.user, WRITE_OFF)
    unsettled = not invoice.is_settled
    return render(
        request,
        "relationships/invoice_detail.html",
        {
            "invoice": invoice,
            "customer": invoice.customer,
            "payments": list(invoice.payments.select_related("recorded_by")),
            "documents": list(invoice.documents.select_related("uploaded_by")),
            # Uploading a document is the owner's side's, not a finance action.
            "customer_editable": customer_editable(request.user, invoice.customer),
            "payment_form": (payment_form or PaymentForm(invoice=invoice))
            if can_pay and (unsettled or payment_form is not None)
            else None,
            "write_off_form": (write_off_form or WriteOffForm())
            if can_write_off and (unsettled or write_off_form is not None)
            else None,
        },
        status=status,
    )


@permission_required(VIEW_CUSTOMERS)
def invoice_detail(request, pk):
    return _invoice_page(request, get_invoice_for_user(request, pk))


@permission_required(ISSUE_INVOICES)
def invoice_create(request, pk):
    # Issuing an invoice is a finance action: the permission alone, on a customer they see.
    customer = get_customer_for_user(request, pk, permission=ISSUE_INVOICES)
    if not visibility.is_finance(request.user):
        require_customer_editable(request, customer)
    today = timezone.localdate()
    form = InvoiceForm(
        request.POST or None,
        customer=customer,
        initial={
            "issue_date": today,
            "due_date": today + timezone.timedelta(days=settings.INVOICE_PAYMENT_TERM_DAYS),
            "contract": request.GET.get("contract"),
        },
    )
    if (
        request.method == "POST"
        and form.is_valid()
        and (
            call := run_service(
                form,
                services.invoice_create,
                customer=customer,
                by=request.user,
                **form.cleaned_data,
            )
        )
    ):
        invoice = call.result
        messages.success(request, _("Invoice %(number)s issued.") % {"number": invoice.number})
        return redirect(invoice)
    return _object_form(
        request, form, customer=customer, title=_("New invoice"), submit=_("Issue invoice")
    )


@permission_required(ISSUE_INVOICES)
def invoice_edit(request, pk):
    invoice = get_invoice_for_user(request, pk, permission=ISSUE_INVOICES, write=True)
    if invoice.written_off_at:
        messages.info(request, _("A written-off invoice can no longer be changed."))
        return redirect(invoice)
    form = InvoiceForm(request.POST or None, instance=invoice, customer=invoice.customer)
    if (
        request.method == "POST"
        and form.is_valid()
        and run_service(form, services.invoice_update, invoice=invoice, data=_changed_data(form))
    ):
        messages.success(request, _("Invoice saved."))
        return redirect(invoice)
    return _object_form(
        request,
        form,
        customer=invoice.customer,
        title=_("Edit invoice %(number)s") % {"number": invoice.number},
        submit=_("Save invoice"),
        obj=invoice,
        cancel_url=invoice.get_absolute_url(),
    )


@require_POST
@permission_required(WRITE_OFF)
def invoice_write_off(request, pk):
    invoice = get_invoice_for_user(request, pk, permission=WRITE_OFF, write=True)
    form = WriteOffForm(request.POST)
    if form.is_valid() and run_service(
        form,
        services.invoice_write_off,
        invoice=invoice,
        reason=form.cleaned_data["write_off_reason"],
        by=request.user,
    ):
        messages.success(request, _("The invoice is written off."))
        return redirect(invoice)
    return _invoice_page(request, invoice, write_off_form=form)
