"""One access helper per object type: views never look records up by bare primary key.

Each helper asks the role permission (403), then looks the record up among those the user sees
(core.visibility: a record the user may not see is a 404, so its existence is not confirmed),
and with `write=True` requires the owner's side (the owner, a team-mate of theirs or a manager):
a record the user sees but may not change is a 403.
"""

from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _

from core import visibility
from core.permissions import can

from .models import ContactPerson, Customer
from .permissions import EDIT_CONTACTS, EDIT_CUSTOMERS, VIEW_CUSTOMERS
from .selectors import CustomerRows


class MergedRecord(Exception):
    """The record asked for was merged into `target_pk`; customers.middleware answers with a
    redirect to the same page of the survivor, when the user sees it."""

    def __init__(self, model, pk, target_pk):
        super().__init__(f"{model._meta.label} {pk} was merged into {target_pk}")
        self.model, self.pk, self.target_pk = model, pk, target_pk


def _follow_merge(obj):
    if obj.merged_into_id is not None:
        raise MergedRecord(type(obj), obj.pk, obj.merged_into_id)
    return obj


def customer_editable(user, customer):
    """Whether `user` is on the owner's side of `customer` (or a manager): what a page asks
    before it offers a change that require_customer_editable() guards; the role permission is
    asked separately."""
    return visibility.can_edit_owner(user, customer.owner_id)


def require_customer_editable(request, customer):
    """403 unless the user is on the owner's side of `customer` (or a manager)."""
    if not customer_editable(request.user, customer):
        raise visibility.NotEditable(
            _(
                "You can see this customer, but only its owner, their team or a manager can "
                "change it."
            )
        )


def get_customer_for_user(request, pk, *, write=False, permission=None, queryset=None):
    """The customer; `permission` replaces the role permission asked (EDIT_CUSTOMERS on write,
    VIEW_CUSTOMERS otherwise), e.g. the right to log an interaction on it."""
    if permission is None:
        permission = EDIT_CUSTOMERS if write else VIEW_CUSTOMERS
    if not can(request.user, permission):
        raise PermissionDenied
    base = queryset if queryset is not None else Customer.objects.all()
    customer = _follow_merge(get_object_or_404(base.visible_to(request.user), pk=pk))
    if write:
        require_customer_editable(request, customer)
    return customer


_fetch_for_page = CustomerRows(
    lambda customer: Customer.objects.filter(pk=customer).select_related(
        "owner", "created_by", "value"
    )
)


def get_customer_page_for_user(request, pk):
    """get_customer_for_user() for the customer page, with the owner and creator, from a
    statement compiled once per process: the page is the most requested one. Visibility is
    checked on the row (no query in "all" mode, the team's ids in "team" mode)."""
    if not can(request.user, VIEW_CUSTOMERS):
        raise PermissionDenied
    rows = _fetch_for_page(pk)
    if not rows or not visibility.can_see_owner(
        request.user, rows[0].owner_id, customer_id=rows[0].pk
    ):
        raise Http404
    return _follow_merge(rows[0])


def get_contact_for_user(request, pk, *, write=False):
    if not can(request.user, EDIT_CONTACTS if write else VIEW_CUSTOMERS):
        raise PermissionDenied
    contact = get_object_or_404(
        ContactPerson.objects.visible_to(request.user).select_related("customer"), pk=pk
    )
    _follow_merge(contact)
    if write:
        require_customer_editable(request, contact.customer)
    return contact
