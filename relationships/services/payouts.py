"""Payouts: request, edit, approve or reject, pay."""

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from core.permissions import can
from customers.models import Customer

from ..models import Payout
from ..permissions import APPROVE_PAYOUTS, PAY_PAYOUTS, REQUEST_PAYOUTS

PAYOUT_EDITABLE_FIELDS = ("kind", "amount", "currency", "reason")


@transaction.atomic
def payout_request(*, customer: Customer, by, **fields) -> Payout:
    unknown = set(fields) - set(PAYOUT_EDITABLE_FIELDS)
    if unknown:
        raise TypeError(f"Unexpected payout fields: {sorted(unknown)}")
    payout = Payout(customer=customer, requested_by=by, **fields)
    payout.full_clean()
    payout.save()
    return payout


@transaction.atomic
def payout_update(*, payout: Payout, data: dict, by) -> Payout:
    """Change a payout still waiting for a decision; a decided one stays as it was decided.
    Only its requester changes it: a manager decides on the request as it was made."""
    if not (can(by, REQUEST_PAYOUTS) and by.pk == payout.requested_by_id):
        raise PermissionDenied
    payout = Payout.objects.select_for_update().get(pk=payout.pk)
    if payout.status != Payout.Status.REQUESTED:
        raise ValidationError(_("Only a payout that is still requested can be changed."))
    for name, value in data.items():
        if name not in PAYOUT_EDITABLE_FIELDS:
            raise TypeError(f"{name} cannot be changed here")
        setattr(payout, name, value)
    payout.full_clean()
    payout.save()
    return payout


@transaction.atomic
def payout_approve(*, payout: Payout, by) -> Payout:
    if not can(by, APPROVE_PAYOUTS):
        raise PermissionDenied
    payout = Payout.objects.select_for_update().get(pk=payout.pk)
    payout.approve(by=by)
    return payout


@transaction.atomic
def payout_reject(*, payout: Payout, reason, by) -> Payout:
    if not can(by, APPROVE_PAYOUTS):
        raise PermissionDenied
    payout = Payout.objects.select_for_update().get(pk=payout.pk)
    payout.reject(by=by, reason=reason)
    return payout


@transaction.atomic
def payout_mark_paid(*, payout: Payout, by) -> Payout:
    if not can(by, PAY_PAYOUTS):
        raise PermissionDenied
    payout = Payout.objects.select_for_update().get(pk=payout.pk)
    payout.mark_paid(by=by)
    return payout
