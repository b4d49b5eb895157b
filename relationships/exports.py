"""The finance lists' rows (core.lists) and their exports' columns (core.exports), read with
values_list()."""

from django.utils.translation import gettext_lazy as _

from core.exports import AMOUNT, DATE, DATETIME, NUMBER, Column
from core.lists import ListRows

from .filters import ContractFilter, InvoiceFilter
from .models import Contract, Invoice

INVOICE_COLUMNS = [
    Column(_("Id"), "id", NUMBER),
    Column(_("Number"), "number"),
    Column(_("Customer"), "customer__display_name"),
    Column(_("Customer tax id"), "customer__tax_id"),
    Column(_("Contract"), "contract__number"),
    Column(_("Issue date"), "issue_date", DATE),
    Column(_("Due date"), "due_date", DATE),
    Column(_("Amount"), "amount", AMOUNT),
    Column(_("Paid"), "paid_amount", AMOUNT),
    Column(_("Currency"), "currency"),
    Column(_("Written off at"), "written_off_at", DATETIME),
]

CONTRACT_COLUMNS = [
    Column(_("Id"), "id", NUMBER),
    Column(_("Number"), "number"),
    Column(_("Title"), "title"),
    Column(_("Product or service"), "product"),
    Column(_("Customer"), "customer__display_name"),
    Column(_("Status"), "status", choices=Contract.Status),
    Column(_("Billing"), "billing_period", choices=Contract.BillingPeriod),
    Column(_("Value"), "value", AMOUNT),
    Column(_("Currency"), "currency"),
    Column(_("Start date"), "start_date", DATE),
    Column(_("End date"), "end_date", DATE),
    Column(_("Signed on"), "signed_on", DATE),
]


# Each builds what a list shows `user` for these filters: the list's page and its export (in the
# request, or later in a background job) both call it (core.lists).


def invoice_rows(user, params, *, request):
    invoice_filter = InvoiceFilter(
        params,
        queryset=Invoice.objects.visible_to(user).select_related("customer", "contract"),
        request=request,
    )
    return ListRows(invoice_filter, INVOICE_COLUMNS)


def contract_rows(user, params, *, request):
    contract_filter = ContractFilter(
        params,
        queryset=Contract.objects.visible_to(user).select_related("customer"),
        request=request,
    )
    return ListRows(contract_filter, CONTRACT_COLUMNS)
