"""One access helper per object type. A record attached to a customer is seen by whoever sees the
customer (core.visibility; otherwise 404); `permission` narrows that to the roles that may act on
it (otherwise 403), and `write=True` to the customer's owner side: its owner, their team-mates and
managers (otherwise 403). A finance action (`finance=True`: issuing and editing invoices,
payments, write-offs, paying payouts, back-billing) is the finance role's work on the whole
ledger: finance users need only the permission, not the owner rule."""

from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _

from core import visibility
from core.permissions import can
from customers.permissions import VIEW_CUSTOMERS

from .models import Asset, Contract, Document, Invoice, Payout, Relationship


def may_write(user, customer, *, finance=False):
    """Whether `user` may change what is attached to `customer` (`finance`: a finance action):
    what a page asks before it offers a change that require_writable() guards; the role
    permission is asked separately."""
    if finance and visibility.is_finance(user):
        return True
    return visibility.can_edit_owner(user, customer.owner_id)


def require_writable(user, customer, *, finance=False):
    """403 unless `user` may change what is attached to `customer`."""
    if not may_write(user, customer, finance=finance):
        raise visibility.NotEditable(
            _(
                "You can see this record, but only its customer's owner, their team or a "
                "manager can change it."
            )
        )


def _get(request, queryset, pk, permission, *, write=False, finance=False):
    if not can(request.user, permission):
        raise PermissionDenied
    obj = get_object_or_404(queryset.visible_to(request.user), pk=pk)
    if write:
        require_writable(request.user, obj.customer, finance=finance)
    return obj


def get_relationship_for_user(request, pk, *, permission=VIEW_CUSTOMERS, write=False):
    return _get(
        request, Relationship.objects.select_related("customer"), pk, permission, write=write
    )


def get_contract_for_user(request, pk, *, permission=VIEW_CUSTOMERS, write=False, finance=False):
    return _get(
        request,
        Contract.objects.select_related("customer", "relationship"),
        pk,
        permission,
        write=write,
        finance=finance,
    )


def get_invoice_for_user(request, pk, *, permission=VIEW_CUSTOMERS, write=False):
    """Every change to an invoice is a finance action (see the module's docstring)."""
    return _get(
        request,
        Invoice.objects.select_related("customer", "contract"),
        pk,
        permission,
        write=write,
        finance=True,
    )


def get_payout_for_user(request, pk, *, permission=VIEW_CUSTOMERS, write=False, finance=False):
    return _get(
        request,
        Payout.objects.select_related("customer", "requested_by"),
        pk,
        permission,
        write=write,
        finance=finance,
    )


def get_own_payout_request_for_user(request, pk, *, permission):
    """A payout its requester may still change: only theirs (403 for anyone else, managers
    included: they decide, they do not rewrite), and only before approval."""
    payout = get_payout_for_user(request, pk, permission=permission)
    if payout.requested_by_id != request.user.pk:
        raise visibility.NotEditable(_("Only the person who requested this payout can change it."))
    return payout


def get_asset_for_user(request, pk, *, permission=VIEW_CUSTOMERS, write=False):
    return _get(
        request, Asset.objects.select_related("customer", "contract"), pk, permission, write=write
    )


def get_document_for_user(request, pk, *, permission=VIEW_CUSTOMERS, write=False):
    return _get(request, Document.objects.select_related("customer"), pk, permission, write=write)
