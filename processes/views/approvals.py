"""Approvals: the managers' one inbox (discounts, write-offs, starts despite a rule, and payouts
above the threshold) and their decisions, each through the service that owns it."""

from django.contrib import messages
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from core.permissions import can, permission_required
from core.views.helpers import redirect_back as _back
from core.views.helpers import run_service
from relationships import services as relationship_services
from relationships.access import get_payout_for_user
from relationships.forms import PayoutRejectForm
from relationships.permissions import APPROVE_PAYOUTS

from .. import services
from ..access import get_approval_for_user
from ..forms import DecisionForm
from ..permissions import APPROVE
from ..selectors import decided_approvals, decided_payouts, waiting_approvals, waiting_payouts

INBOX_LIMIT = 200  # per kind of request; the oldest first, so nothing waits unseen for long
DECIDED_LIMIT = 20  # the newest decisions of every kind together


def _inbox(request, *, form=None, form_pk=None, payout_form=None, payout_pk=None, status=200):
    entries = [("approval", a) for a in waiting_approvals(request.user)[:INBOX_LIMIT]]
    for _kind, approval in entries:
        # Asked as the service asks it, so no button is offered that would only be refused.
        approval.own_request = approval.is_requested_by(request.user)
    if can(request.user, APPROVE_PAYOUTS):
        entries += [("payout", p) for p in waiting_payouts(request.user)[:INBOX_LIMIT]]
    entries.sort(key=lambda entry: (entry[1].requested_at, entry[0], entry[1].pk))
    # A refusal about a request no longer shown with its form (decided meanwhile, or one's
    # own) is said on top of the page instead.
    with_form = {
        (kind, item.pk) for kind, item in entries if kind == "approval" and not item.own_request
    } | {
        (kind, item.pk)
        for kind, item in entries
        if kind == "payout" and item.requested_by_id != request.user.pk
    }
    top_errors = []
    for kind, bound, pk in (("approval", form, form_pk), ("payout", payout_form, payout_pk)):
        if bound is not None and (kind, pk) not in with_form:
            top_errors += [error for errors in bound.errors.values() for error in errors]
    decided = [("approval", a) for a in decided_approvals(request.user, limit=DECIDED_LIMIT)]
    if can(request.user, APPROVE_PAYOUTS):
        decided += [("payout", p) for p in decided_payouts(request.user, limit=DECIDED_LIMIT)]
    decided.sort(key=lambda entry: (entry[1].decided_at, entry[0], entry[1].pk), reverse=True)
    decided = decided[:DECIDED_LIMIT]
    return render(
        request,
        "processes/approval_list.html",
        {
            "entries": entries,
            "top_errors": top_errors,
            "decided": decided,
            "form": form,
            "form_pk": form_pk,
            "payout_form": payout_form,
            "payout_pk": payout_pk,
        },
        status=status,
    )


@permission_required(APPROVE)
def approval_list(request):
    return _inbox(request)


def _decide(request, pk, *, approve):
    approval = get_approval_for_user(request, pk, write=True)
    form = DecisionForm(request.POST)
    if form.is_valid():
        decide = services.approval_approve if approve else services.approval_reject
        if run_service(
            form, decide, approval=approval, by=request.user, comment=form.cleaned_data["comment"]
        ):
            messages.success(request, _("Approved.") if approve else _("Rejected."))
            return _back(request, "processes:approval_list")
    return _inbox(request, form=form, form_pk=approval.pk)


@require_POST
@permission_required(APPROVE)
def approval_approve(request, pk):
    return _decide(request, pk, approve=True)


@require_POST
@permission_required(APPROVE)
def approval_reject(request, pk):
    return _decide(request, pk, approve=False)


@require_POST
@permission_required(APPROVE_PAYOUTS)
def approval_payout_approve(request, pk):
    payout = get_payout_for_user(request, pk, permission=APPROVE_PAYOUTS)
    # The inbox posts the reason box with either button: approving ignores it, but a value out
    # of its bounds is still refused beside it, and the form carries the service's refusal.
    form = PayoutRejectForm(request.POST)
    form.fields["rejection_reason"].required = False
    if form.is_valid() and run_service(
        form, relationship_services.payout_approve, payout=payout, by=request.user
    ):
        messages.success(request, _("Payout approved."))
        return _back(request, "processes:approval_list")
    return _inbox(request, payout_form=form, payout_pk=payout.pk)


@require_POST
@permission_required(APPROVE_PAYOUTS)
def approval_payout_reject(request, pk):
    payout = get_payout_for_user(request, pk, permission=APPROVE_PAYOUTS)
    form = PayoutRejectForm(request.POST)
    if form.is_valid() and run_service(
        form,
        relationship_services.payout_reject,
        payout=payout,
        reason=form.cleaned_data["rejection_reason"],
        by=request.user,
    ):
        messages.success(request, _("Payout rejected."))
        return _back(request, "processes:approval_list")
    return _inbox(request, payout_form=form, payout_pk=payout.pk)
