"""Approvals: the managers' queue and their decisions."""

from django.contrib import messages
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from core.permissions import permission_required
from core.views.helpers import redirect_back as _back
from core.views.helpers import run_service

from .. import services
from ..access import get_approval_for_user
from ..forms import DecisionForm
from ..models import Approval
from ..permissions import APPROVE


def _approval_page(request, *, form=None, form_pk=None, status=200):
    pending = (
        Approval.objects.visible_to(request.user)
        .filter(decision=Approval.Decision.PENDING)
        .select_related("instance__customer", "instance__definition", "requested_by")
        .order_by("requested_at", "id")[:200]
    )
    decided = (
        Approval.objects.visible_to(request.user)
        .exclude(decision=Approval.Decision.PENDING)
        .select_related("instance__customer", "requested_by", "decided_by")
        .order_by("-decided_at", "-id")[:20]
    )
    return render(
        request,
        "processes/approval_list.html",
        {"pending": pending, "decided": decided, "form": form, "form_pk": form_pk},
        status=status,
    )


@permission_required(APPROVE)
def approval_list(request):
    return _approval_page(request)


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
    return _approval_page(request, form=form, form_pk=approval.pk)


@require_POST
@permission_required(APPROVE)
def approval_approve(request, pk):
    return _decide(request, pk, approve=True)


@require_POST
@permission_required(APPROVE)
def approval_reject(request, pk):
    return _decide(request, pk, approve=False)
