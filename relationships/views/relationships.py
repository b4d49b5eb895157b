"""Starting, activating and ending a customer's relationship."""

from django.contrib import messages
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from core.permissions import permission_required
from core.views.helpers import run_action, run_service
from customers.access import get_customer_for_user

from .. import services
from ..access import get_relationship_for_user
from ..forms import (
    RelationshipEndForm,
    RelationshipStartForm,
)
from ..permissions import END_RELATIONSHIP, START_RELATIONSHIP


@permission_required(END_RELATIONSHIP)
def relationship_end(request, pk):
    relationship = get_relationship_for_user(request, pk, permission=END_RELATIONSHIP, write=True)
    customer = relationship.customer
    if not relationship.is_open:
        messages.info(request, _("This relationship has already ended."))
        return redirect(customer)
    form = RelationshipEndForm(request.POST or None)
    if (
        request.method == "POST"
        and form.is_valid()
        and run_service(
            form,
            services.relationship_end,
            relationship=relationship,
            reason=form.cleaned_data["end_reason"],
            note=form.cleaned_data["end_note"],
            by=request.user,
        )
    ):
        messages.success(
            request, _("The relationship has ended. The customer and its history stay.")
        )
        return redirect(customer)
    return render(
        request,
        "relationships/relationship_end.html",
        {"form": form, "relationship": relationship, "customer": customer},
    )


@require_POST
@permission_required(START_RELATIONSHIP)
def relationship_start(request, pk):
    customer = get_customer_for_user(request, pk, write=True, permission=START_RELATIONSHIP)
    form = RelationshipStartForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose the kind of relationship to start."))
        return redirect(customer)
    if run_action(
        request,
        services.relationship_start,
        customer=customer,
        kind=form.cleaned_data["kind"],
        by=request.user,
    ):
        messages.success(
            request, _("A new relationship has started. Earlier history stays visible.")
        )
    return redirect(customer)


@require_POST
@permission_required(START_RELATIONSHIP)
def relationship_activate(request, pk):
    relationship = get_relationship_for_user(request, pk, permission=START_RELATIONSHIP, write=True)
    if run_action(
        request, services.relationship_activate, relationship=relationship, by=request.user
    ):
        messages.success(request, _("The customer is now active."))
    return redirect(relationship.customer)
