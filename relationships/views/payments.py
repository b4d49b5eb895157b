"""Recording a payment against an invoice."""

from django.contrib import messages
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from core.permissions import permission_required
from core.views.helpers import run_service

from .. import services
from ..access import get_invoice_for_user
from ..forms import PaymentForm
from ..permissions import REGISTER_PAYMENTS
from .invoices import _invoice_page


@require_POST
@permission_required(REGISTER_PAYMENTS)
def payment_create(request, pk):
    invoice = get_invoice_for_user(request, pk, permission=REGISTER_PAYMENTS, write=True)
    form = PaymentForm(request.POST, invoice=invoice)
    if form.is_valid() and run_service(
        form, services.payment_register, invoice=invoice, by=request.user, **form.cleaned_data
    ):
        messages.success(request, _("Payment recorded."))
        return redirect(invoice)
    invoice.refresh_from_db()
    return _invoice_page(request, invoice, payment_form=form)
