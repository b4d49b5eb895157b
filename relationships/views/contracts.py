"""Contract pages: list, detail, create, edit, sign, terminate, confirm back-billing."""

from django.contrib import messages
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from core import exports, lists
from core.permissions import can, permission_required
from core.views.helpers import run_action, run_service
from customers.access import get_customer_for_user
from customers.permissions import VIEW_CUSTOMERS

from .. import services
from ..access import get_contract_for_user, may_write
from ..forms import (
    ContractForm,
    ContractTerminateForm,
)
from ..models import Contract
from ..permissions import CONFIRM_BACKBILLING, CREATE_CONTRACTS, TERMINATE_CONTRACTS
from .common import _changed_data, _object_form, _page


@permission_required(VIEW_CUSTOMERS)
def contract_list(request):
    rows = lists.get("contracts").rows(request.user, request.GET, request)
    if exports.wanted_format(request):
        return exports.export_response(request, name="contracts", rows=rows)
    contract_filter = rows.filterset
    page, query = _page(request, contract_filter.qs)
    return render(
        request,
        "relationships/contract_list.html",
        {"filter": contract_filter, "page": page, "query": query},
    )


@permission_required(VIEW_CUSTOMERS)
def contract_detail(request, pk):
    contract = get_contract_for_user(request, pk)
    customer = contract.customer
    return render(
        request,
        "relationships/contract_detail.html",
        {
            "contract": contract,
            "customer": customer,
            # The buttons' targets ask the same: signing, editing, terminating and uploading
            # are the owner's side's; confirming back-billing is also a finance action.
            "customer_editable": may_write(request.user, customer),
            "backbilling_confirmable": can(request.user, CONFIRM_BACKBILLING)
            and may_write(request.user, customer, finance=True),
            "invoices": list(contract.invoices.order_by("-issue_date", "-id")[:50]),
            "assets": list(contract.assets.all()),
            "documents": list(contract.documents.select_related("uploaded_by")),
            "terminate_form": ContractTerminateForm(),
            "backbilling": services.contract_backbilling(contract, today=timezone.localdate())
            if contract.status == Contract.Status.ACTIVE
            else None,
        },
    )


@require_POST
@permission_required(CONFIRM_BACKBILLING)
def contract_confirm_backbilling(request, pk):
    contract = get_contract_for_user(
        request, pk, permission=CONFIRM_BACKBILLING, write=True, finance=True
    )
    if call := run_action(
        request, services.contract_confirm_backbilling, contract=contract, by=request.user
    ):
        messages.success(
            request,
            ngettext(
                "Back-billing confirmed: %(count)s invoice issued.",
                "Back-billing confirmed: %(count)s invoices issued.",
                len(call.result),
            )
            % {"count": len(call.result)},
        )
    return redirect(contract)


@permission_required(CREATE_CONTRACTS)
def contract_create(request, pk):
    customer = get_customer_for_user(request, pk, write=True, permission=CREATE_CONTRACTS)
    form = ContractForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        if call := run_service(
            form, services.contract_create, customer=customer, by=request.user, **data
        ):
            contract = call.result
            messages.success(request, _("Contract %(number)s saved.") % {"number": contract.number})
            return redirect(contract)
    return _object_form(
        request, form, customer=customer, title=_("New contract"), submit=_("Save contract")
    )


@permission_required(CREATE_CONTRACTS)
def contract_edit(request, pk):
    contract = get_contract_for_user(request, pk, permission=CREATE_CONTRACTS, write=True)
    if not contract.is_current:
        messages.info(request, _("A terminated or expired contract can no longer be changed."))
        return redirect(contract)
    form = ContractForm(request.POST or None, instance=contract)
    if request.method == "POST" and form.is_valid():
        data = _changed_data(form)
        confirm_backbilling = data.pop("confirm_backbilling", False)
        if run_service(
            form,
            services.contract_update,
            contract=contract,
            data=data,
            confirm_backbilling=confirm_backbilling,
            by=request.user,
        ):
            messages.success(request, _("Contract saved."))
            return redirect(contract)
    return _object_form(
        request,
        form,
        customer=contract.customer,
        title=_("Edit contract %(number)s") % {"number": contract.number},
        submit=_("Save contract"),
        obj=contract,
        cancel_url=contract.get_absolute_url(),
    )


@require_POST
@permission_required(CREATE_CONTRACTS)
def contract_sign(request, pk):
    contract = get_contract_for_user(request, pk, permission=CREATE_CONTRACTS, write=True)
    if run_action(request, services.contract_sign, contract=contract, by=request.user):
        messages.success(request, _("The contract is signed and active."))
    return redirect(contract)


@permission_required(TERMINATE_CONTRACTS)
def contract_terminate(request, pk):
    contract = get_contract_for_user(request, pk, permission=TERMINATE_CONTRACTS, write=True)
    if not contract.is_current:
        messages.info(request, _("This contract has already ended."))
        return redirect(contract)
    form = ContractTerminateForm(request.POST or None)
    if (
        request.method == "POST"
        and form.is_valid()
        and run_service(
            form,
            services.contract_terminate,
            contract=contract,
            reason=form.cleaned_data["termination_reason"],
            by=request.user,
        )
    ):
        messages.success(
            request,
            _("The contract is terminated. The relationship with the customer goes on."),
        )
        return redirect(contract)
    return _object_form(
        request,
        form,
        customer=contract.customer,
        title=_("Terminate contract %(number)s") % {"number": contract.number},
        submit=_("Terminate the contract"),
        obj=contract,
        cancel_url=contract.get_absolute_url(),
    )
