"""The customer's equipment: add and edit."""

from django.contrib import messages
from django.shortcuts import redirect
from django.utils.translation import gettext as _

from core.permissions import permission_required
from core.views.helpers import run_service
from customers.access import get_customer_for_user

from .. import services
from ..access import get_asset_for_user
from ..forms import AssetForm
from ..permissions import MANAGE_ASSETS
from .common import _changed_data, _object_form


@permission_required(MANAGE_ASSETS)
def asset_create(request, pk):
    customer = get_customer_for_user(request, pk, write=True, permission=MANAGE_ASSETS)
    form = AssetForm(request.POST or None, customer=customer)
    if (
        request.method == "POST"
        and form.is_valid()
        and run_service(
            form, services.asset_create, customer=customer, by=request.user, **form.cleaned_data
        )
    ):
        messages.success(request, _("Asset added."))
        return redirect(customer)
    return _object_form(
        request, form, customer=customer, title=_("New asset"), submit=_("Save asset")
    )


@permission_required(MANAGE_ASSETS)
def asset_edit(request, pk):
    asset = get_asset_for_user(request, pk, permission=MANAGE_ASSETS, write=True)
    form = AssetForm(request.POST or None, instance=asset, customer=asset.customer)
    if (
        request.method == "POST"
        and form.is_valid()
        and run_service(form, services.asset_update, asset=asset, data=_changed_data(form))
    ):
        messages.success(request, _("Asset saved."))
        return redirect(asset.customer)
    return _object_form(
        request,
        form,
        customer=asset.customer,
        title=_("Edit asset"),
        submit=_("Save asset"),
        obj=asset,
    )
