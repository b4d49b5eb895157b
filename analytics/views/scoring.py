"""Customer value: how it is computed, and managers changing its parameters."""

from django.contrib import messages
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _

from core.permissions import permission_required
from core.views.helpers import render_object_form, run_service
from customers.permissions import VIEW_CUSTOMERS

from .. import selectors, services
from ..forms import ScoringParametersForm
from ..models import ScoringParameters
from ..permissions import MANAGE_SCORING


@permission_required(VIEW_CUSTOMERS)
def scoring_method(request):
    """“How customer value is computed”: the formulas with the current numbers, their history
    and the scoring runs."""
    params = selectors.current_parameters()
    return render(
        request,
        "analytics/scoring_method.html",
        {
            "params": params,
            "rates": sorted(params.rates().items() - {(params.base_currency, 1)}),
            "missing_rates": selectors.currencies_without_rate(params),
            "versions": ScoringParameters.objects.select_related("created_by")[:20],
            "runs": selectors.last_runs(),
        },
    )


@permission_required(MANAGE_SCORING)
def scoring_parameters_edit(request):
    current = selectors.current_parameters()
    form = ScoringParametersForm(request.POST or None, instance=ScoringParameters())
    if request.method == "GET":
        form = ScoringParametersForm(
            initial={name: getattr(current, name) for name in services.EDITABLE if name != "note"}
        )
    if (
        request.method == "POST"
        and form.is_valid()
        and (
            call := run_service(
                form, services.scoring_parameters_create, data=form.cleaned_data, by=request.user
            )
        )
    ):
        messages.success(
            request,
            _("Saved as version %(version)s; every customer is being rescored with it.")
            % {"version": call.result.version},
        )
        return redirect("analytics:scoring_method")
    return render_object_form(
        request,
        form,
        title=_("Change how customer value is computed"),
        submit=_("Save as a new version"),
        cancel_url=reverse("analytics:scoring_method"),
    )
