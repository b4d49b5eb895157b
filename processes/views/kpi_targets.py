"""KPI targets: set by managers in the app, per process and period (no Django admin needed)."""

from django.contrib import messages
from django.db.models import Prefetch
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from core.permissions import permission_required
from core.views.helpers import run_service

from .. import services
from ..access import get_definition_for_user
from ..forms import KpiTargetForm
from ..models import KpiTarget, ProcessDefinition
from ..permissions import MANAGE_DEFINITIONS
from .helpers import _form_page


def _targets_url(definition_id=None):
    url = reverse("processes:kpi_target_list")
    return f"{url}#definition-{definition_id}" if definition_id else url


def _get_target(pk):
    return get_object_or_404(KpiTarget.objects.select_related("definition"), pk=pk)


@permission_required(MANAGE_DEFINITIONS)
def kpi_target_list(request):
    definitions = ProcessDefinition.objects.prefetch_related(
        Prefetch("kpi_targets", queryset=KpiTarget.objects.order_by("metric", "period"))
    ).order_by("-active", "kind", "name")
    return render(request, "processes/kpi_target_list.html", {"definitions": definitions})


@permission_required(MANAGE_DEFINITIONS)
def kpi_target_create(request, pk):
    definition = get_definition_for_user(request, pk)
    form = KpiTargetForm(request.POST or None, definition=definition)
    if (
        request.method == "POST"
        and form.is_valid()
        and run_service(
            form, services.kpi_target_create, definition=definition, data=form.cleaned_data
        )
    ):
        messages.success(request, _("KPI target saved."))
        return redirect(_targets_url(definition.pk))
    return _form_page(
        request,
        form,
        title=_("New KPI target for %(process)s") % {"process": definition.name},
        submit=_("Save target"),
        cancel_url=_targets_url(definition.pk),
    )


@permission_required(MANAGE_DEFINITIONS)
def kpi_target_edit(request, pk):
    target = _get_target(pk)
    form = KpiTargetForm(request.POST or None, instance=target, definition=target.definition)
    if request.method == "POST" and form.is_valid():
        data = {name: form.cleaned_data[name] for name in form.changed_data}
        if run_service(form, services.kpi_target_update, target=target, data=data):
            messages.success(request, _("KPI target saved."))
            return redirect(_targets_url(target.definition_id))
    return _form_page(
        request,
        form,
        title=_("Edit the KPI target of %(process)s") % {"process": target.definition.name},
        submit=_("Save target"),
        cancel_url=_targets_url(target.definition_id),
    )


@require_POST
@permission_required(MANAGE_DEFINITIONS)
def kpi_target_delete(request, pk):
    target = _get_target(pk)
    services.kpi_target_delete(target=target)
    messages.success(request, _("KPI target removed."))
    return redirect(_targets_url(target.definition_id))
