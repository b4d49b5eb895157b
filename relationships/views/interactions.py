"""Logging an interaction (a call, a meeting, an e-mail) with a customer."""

from django.contrib import messages
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from core.permissions import permission_required
from core.views.helpers import run_service
from customers.access import get_customer_for_user

from .. import services
from ..forms import InteractionForm
from ..permissions import LOG_INTERACTIONS


@permission_required(LOG_INTERACTIONS)
def interaction_create(request, pk):
    customer = get_customer_for_user(request, pk, write=True, permission=LOG_INTERACTIONS)
    form = InteractionForm(request.POST or None, customer=customer)
    if (
        request.method == "POST"
        and form.is_valid()
        and run_service(
            form, services.interaction_log, customer=customer, by=request.user, **form.cleaned_data
        )
    ):
        messages.success(request, _("Interaction logged."))
        return redirect(customer)
    return render(
        request, "relationships/interaction_form.html", {"form": form, "customer": customer}
    )
