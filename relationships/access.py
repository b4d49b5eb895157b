from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404

from customers import roles

from .models import Relationship


def get_relationship_for_user(request, pk, *, allowed=roles.VIEW_CUSTOMERS):
    if not roles.has_role(request.user, allowed):
        raise PermissionDenied
    return get_object_or_404(Relationship.objects.select_related("customer"), pk=pk)
