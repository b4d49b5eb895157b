"""One access helper per object type: views never look records up by bare primary key."""

from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404

from . import roles
from .models import ContactPerson, Customer


def get_customer_for_user(request, pk, *, write=False, queryset=None):
    allowed = roles.EDIT_CUSTOMERS if write else roles.VIEW_CUSTOMERS
    if not roles.has_role(request.user, allowed):
        raise PermissionDenied
    return get_object_or_404(queryset if queryset is not None else Customer.objects.all(), pk=pk)


def get_contact_for_user(request, pk, *, write=False):
    allowed = roles.EDIT_CONTACTS if write else roles.VIEW_CUSTOMERS
    if not roles.has_role(request.user, allowed):
        raise PermissionDenied
    return get_object_or_404(ContactPerson.objects.select_related("customer"), pk=pk)
