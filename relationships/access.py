"""One access helper per object type. Whoever may see the customer may see what is attached to it;
`permission` narrows that to those who may act on it."""

from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404

from core.permissions import can
from customers.permissions import VIEW_CUSTOMERS

from .models import Asset, Contract, Document, Invoice, Payout, Relationship


def _get(request, queryset, pk, permission):
    if not can(request.user, permission):
        raise PermissionDenied
    return get_object_or_404(queryset, pk=pk)


def get_relationship_for_user(request, pk, *, permission=VIEW_CUSTOMERS):
    return _get(request, Relationship.objects.select_related("customer"), pk, permission)


def get_contract_for_user(request, pk, *, permission=VIEW_CUSTOMERS):
    return _get(
        request, Contract.objects.select_related("customer", "relationship"), pk, permission
    )


def get_invoice_for_user(request, pk, *, permission=VIEW_CUSTOMERS):
    return _get(request, Invoice.objects.select_related("customer", "contract"), pk, permission)


def get_payout_for_user(request, pk, *, permission=VIEW_CUSTOMERS):
    return _get(request, Payout.objects.select_related("customer", "requested_by"), pk, permission)


def get_asset_for_user(request, pk, *, permission=VIEW_CUSTOMERS):
    return _get(request, Asset.objects.select_related("customer", "contract"), pk, permission)


def get_document_for_user(request, pk, *, permission=VIEW_CUSTOMERS):
    return _get(request, Document.objects.select_related("customer"), pk, permission)
