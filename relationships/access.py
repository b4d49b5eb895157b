"""One access helper per object type. Whoever may see the customer may see what is attached to it;
`allowed` narrows that to the roles that may act on it."""

from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404

from customers import roles

from .models import Asset, Contract, Document, Invoice, Payout, Relationship


def _get(request, queryset, pk, allowed):
    if not roles.has_role(request.user, allowed):
        raise PermissionDenied
    return get_object_or_404(queryset, pk=pk)


def get_relationship_for_user(request, pk, *, allowed=roles.VIEW_CUSTOMERS):
    return _get(request, Relationship.objects.select_related("customer"), pk, allowed)


def get_contract_for_user(request, pk, *, allowed=roles.VIEW_CUSTOMERS):
    return _get(request, Contract.objects.select_related("customer", "relationship"), pk, allowed)


def get_invoice_for_user(request, pk, *, allowed=roles.VIEW_CUSTOMERS):
    return _get(request, Invoice.objects.select_related("customer", "contract"), pk, allowed)


def get_payout_for_user(request, pk, *, allowed=roles.VIEW_CUSTOMERS):
    return _get(request, Payout.objects.select_related("customer", "requested_by"), pk, allowed)


def get_asset_for_user(request, pk, *, allowed=roles.VIEW_CUSTOMERS):
    return _get(request, Asset.objects.select_related("customer", "contract"), pk, allowed)


def get_document_for_user(request, pk, *, allowed=roles.VIEW_CUSTOMERS):
    return _get(request, Document.objects.select_related("customer"), pk, allowed)
