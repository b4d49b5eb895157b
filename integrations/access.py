"""The one lookup per type. Integrations are the managers' (MANAGE_INTEGRATIONS), who see every
customer, so there is no record-level rule beyond the permission the views check."""

from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404

from core.permissions import can

from .models import WebForm, WebhookDelivery, WebhookSubscription
from .permissions import MANAGE_INTEGRATIONS


def _check(request):
    if not can(request.user, MANAGE_INTEGRATIONS):
        raise PermissionDenied


def get_subscription_for_user(request, pk) -> WebhookSubscription:
    _check(request)
    return get_object_or_404(WebhookSubscription.objects.select_related("owner"), pk=pk)


def get_delivery_for_user(request, pk) -> WebhookDelivery:
    _check(request)
    return get_object_or_404(WebhookDelivery.objects.select_related("subscription"), pk=pk)


def get_webform_for_user(request, pk) -> WebForm:
    _check(request)
    return get_object_or_404(WebForm.objects.select_related("owner", "created_by"), pk=pk)
