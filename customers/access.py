"""One access helper per object type: views never look records up by bare primary key."""

from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import get_object_or_404

from core.permissions import can

from .models import ContactPerson, Customer
from .permissions import EDIT_CONTACTS, EDIT_CUSTOMERS, VIEW_CUSTOMERS
from .selectors import CustomerRows


def get_customer_for_user(request, pk, *, write=False, queryset=None):
    if not can(request.user, EDIT_CUSTOMERS if write else VIEW_CUSTOMERS):
        raise PermissionDenied
    return get_object_or_404(queryset if queryset is not None else Customer.objects.all(), pk=pk)


_fetch_for_page = CustomerRows(
    lambda customer: Customer.objects.filter(pk=customer).select_related("owner", "created_by")
)


def get_customer_page_for_user(request, pk):
    """get_customer_for_user() for the customer page, with the owner and creator, from a
    statement compiled once per process: the page is the most requested one."""
    if not can(request.user, VIEW_CUSTOMERS):
        raise PermissionDenied
    rows = _fetch_for_page(pk)
    if not rows:
        raise Http404
    return rows[0]


def get_contact_for_user(request, pk, *, write=False):
    if not can(request.user, EDIT_CONTACTS if write else VIEW_CUSTOMERS):
        raise PermissionDenied
    return get_object_or_404(ContactPerson.objects.select_related("customer"), pk=pk)
