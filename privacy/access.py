"""The one lookup of a person whose data is exported or erased (see customers.access).

A person is an individual customer or a contact person, looked up among those the user sees
(core.visibility: otherwise 404). The role permission is asked first (403); exporting also
requires the owner's side of the customer (the owner, a team-mate or a manager), since an
export hands the whole file out of the system.
"""

from django.core.exceptions import PermissionDenied
from django.http import Http404

from core import visibility
from core.permissions import can
from customers.access import get_contact_for_user, get_customer_for_user
from customers.models import Customer

from .permissions import EXPORT_PERSONAL_DATA


def get_person_for_user(request, *, customer_pk=None, contact_pk=None, permission):
    """(customer, contact or None) for the person named by exactly one of the keys."""
    if not can(request.user, permission):
        raise PermissionDenied
    if contact_pk is not None:
        contact = get_contact_for_user(request, contact_pk)
        customer = contact.customer
    else:
        customer = get_customer_for_user(request, customer_pk)
        contact = None
        if customer.kind != Customer.Kind.PERSON:
            raise Http404  # a company is not a person; its contact persons are
    if permission == EXPORT_PERSONAL_DATA and not visibility.can_edit_owner(
        request.user, customer.owner_id
    ):
        raise PermissionDenied
    return customer, contact
