"""Look-ups the API needs where an app has no access helper of its own (interactions, payments,
segments): the same rule, `can()` then `visible_to()`, invisible is a 404."""

from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404

from core.permissions import can


def get_visible(request, queryset, pk, *, permission):
    if not can(request.user, permission):
        raise PermissionDenied
    return get_object_or_404(queryset.visible_to(request.user), pk=pk)
