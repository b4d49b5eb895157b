"""Retention campaigns: the list and starting one."""

from django.contrib import messages
from django.db.models import Count, Q
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from core.permissions import permission_required
from core.views.helpers import run_service

from .. import services
from ..forms import RetentionCampaignForm
from ..models import Approval, RetentionCampaign
from ..permissions import WORK_RETENTION
from .helpers import _form_page, _page


@permission_required(WORK_RETENTION)
def campaign_list(request):
    campaigns = (
        RetentionCampaign.objects.select_related("definition", "segment", "started_by")
        .annotate(
            n=Count("instances"),
            n_open=Count("instances", filter=Q(instances__closed_at__isnull=True)),
            n_won=Count("instances", filter=Q(instances__outcome="won")),
        )
        .order_by("-started_at", "-id")
    )
    page, query = _page(request, campaigns)
    return render(request, "processes/campaign_list.html", {"page": page, "query": query})


@permission_required(WORK_RETENTION)
def campaign_create(request):
    form = RetentionCampaignForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        data["ending_within_days"] = data.pop("contracts_ending_within_days")
        if call := run_service(form, services.retention_campaign_start, by=request.user, **data):
            campaign = call.result
            counts = campaign.instances.aggregate(
                n=Count("id", distinct=True),
                held=Count(
                    "id",
                    distinct=True,
                    filter=Q(
                        approvals__action=Approval.Action.START,
                        approvals__decision=Approval.Decision.PENDING,
                    ),
                ),
            )
            text = (
                ngettext(
                    "Campaign started for %(n)s customer.",
                    "Campaign started for %(n)s customers.",
                    counts["n"],
                )
                % counts
            )
            if counts["held"]:
                text += (
                    " "
                    + ngettext(
                        "%(held)s of them waits for a manager's approval.",
                        "%(held)s of them wait for a manager's approval.",
                        counts["held"],
                    )
                    % counts
                )
            if campaign.skipped_by_rules:
                text += " " + ngettext(
                    "Decision rules skipped %(skipped)s customer.",
                    "Decision rules skipped %(skipped)s customers.",
                    campaign.skipped_by_rules,
                ) % {"skipped": campaign.skipped_by_rules}
            messages.success(request, text)
            return redirect("processes:campaign_list")
    return _form_page(
        request,
        form,
        title=_("New retention campaign"),
        submit=_("Start campaign"),
        cancel_url=reverse("processes:campaign_list"),
    )
