"""Payout pages: the approval and payment queue, request, edit, approve, reject, pay."""

from django.conf import settings
from django.contrib import messages
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from core.permissions import permission_required
from core.views.helpers import redirect_back as _back
from core.views.helpers import run_action, run_service
from customers.access import get_customer_for_user

from .. import services
from ..access import get_own_payout_request_for_user, get_payout_for_user
from ..forms import (
    PayoutForm,
    PayoutRejectForm,
)
from ..models import Payout
from ..permissions import APPROVE_PAYOUTS, PAY_PAYOUTS, REQUEST_PAYOUTS, VIEW_FINANCE
from .common import _changed_data, _object_form


def _payout_list_page(request, *, reject_form=None, reject_pk=None):
    base = Payout.objects.visible_to(request.user).select_related(
        "customer", "requested_by", "approved_by"
    )
    return render(
        request,
        "relationships/payout_list.html",
        {
            "awaiting": list(base.awaiting_approval().order_by("requested_at", "id")[:100]),
            "to_pay": list(base.ready_to_pay().order_by("requested_at", "id")[:100]),
            "threshold": settings.PAYOUT_APPROVAL_THRESHOLD,
            "reject_form": reject_form,
            "reject_pk": reject_pk,
        },
    )


@permission_required(VIEW_FINANCE)
def payout_list(request):
    return _payout_list_page(request)


@permission_required(REQUEST_PAYOUTS)
def payout_create(request, pk):
    customer = get_customer_for_user(request, pk, write=True, permission=REQUEST_PAYOUTS)
    form = PayoutForm(request.POST or None)
    if (
        request.method == "POST"
        and form.is_valid()
        and (
            call := run_service(
                form,
                services.payout_request,
                customer=customer,
                by=request.user,
                **form.cleaned_data,
            )
        )
    ):
        payout = call.result
        if payout.needs_approval:
            messages.success(request, _("Payout requested; it awaits a manager's approval."))
        else:
            messages.success(request, _("Payout requested; finance can pay it."))
        return redirect(customer)
    return _object_form(
        request, form, customer=customer, title=_("Request a payout"), submit=_("Request payout")
    )


@permission_required(REQUEST_PAYOUTS)
def payout_edit(request, pk):
    payout = get_own_payout_request_for_user(request, pk, permission=REQUEST_PAYOUTS)
    if payout.status != Payout.Status.REQUESTED:
        messages.info(request, _("Only a payout that is still requested can be changed."))
        return redirect(payout.customer)
    form = PayoutForm(request.POST or None, instance=payout)
    if (
        request.method == "POST"
        and form.is_valid()
        and run_service(
            form,
            services.payout_update,
            payout=payout,
            data=_changed_data(form),
            by=request.user,
        )
    ):
        messages.success(request, _("Payout saved."))
        return redirect(payout.customer)
    return _object_form(
        request,
        form,
        customer=payout.customer,
        title=_("Edit payout"),
        submit=_("Save payout"),
        obj=payout,
    )


@require_POST
@permission_required(APPROVE_PAYOUTS)
def payout_approve(request, pk):
    payout = get_payout_for_user(request, pk, permission=APPROVE_PAYOUTS)
    if run_action(request, services.payout_approve, payout=payout, by=request.user):
        messages.success(request, _("Payout approved."))
    return _back(request, "relationships:payout_list")


@require_POST
@permission_required(APPROVE_PAYOUTS)
def payout_reject(request, pk):
    payout = get_payout_for_user(request, pk, permission=APPROVE_PAYOUTS)
    form = PayoutRejectForm(request.POST)
    if form.is_valid() and run_service(
        form,
        services.payout_reject,
        payout=payout,
        reason=form.cleaned_data["rejection_reason"],
        by=request.user,
    ):
        messages.success(request, _("Payout rejected."))
        return _back(request, "relationships:payout_list")
    return _payout_list_page(request, reject_form=form, reject_pk=payout.pk)


@require_POST
@permission_required(PAY_PAYOUTS)
def payout_mark_paid(request, pk):
    payout = get_payout_for_user(request, pk, permission=PAY_PAYOUTS, write=True, finance=True)
    if run_action(request, services.payout_mark_paid, payout=payout, by=request.user):
        messages.success(request, _("Payout marked as paid."))
    return _back(request, "relationships:payout_list")
