"""Contracts: create, edit, sign, terminate, expire."""

from datetime import date

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from core.integrity import save_or_raise_validation
from customers.models import Customer

from ..models import Contract, Relationship
from .billing import _record_backbilling_confirmation
from .relationships import relationship_activate

CONTRACT_EDITABLE_FIELDS = (
    "number",
    "title",
    "product",
    "value",
    "currency",
    "billing_period",
    "start_date",
    "end_date",
)


@transaction.atomic
def contract_create(
    *, customer: Customer, by, signed_on=None, confirm_backbilling=False, **fields
) -> Contract:
    """A draft contract of the customer; with `signed_on` it is signed at once.

    `confirm_backbilling`: the person saw how many past periods recurring billing will issue
    (ContractForm shows them) and confirms them (see contract_confirm_backbilling).
    """
    unknown = set(fields) - set(CONTRACT_EDITABLE_FIELDS)
    if unknown:
        raise TypeError(f"Unexpected contract fields: {sorted(unknown)}")
    contract = Contract(
        customer=customer,
        relationship=Relationship.objects.open().filter(customer=customer).first(),
        created_by=by,
        **fields,
    )
    if confirm_backbilling:
        _record_backbilling_confirmation(contract, by=by, today=timezone.localdate())
    contract.full_clean()
    save_or_raise_validation(contract)
    if signed_on:
        contract = contract_sign(contract=contract, signed_on=signed_on, by=by)
    return contract


@transaction.atomic
def contract_update(
    *, contract: Contract, data: dict, confirm_backbilling=False, by=None
) -> Contract:
    contract = Contract.objects.select_for_update().get(pk=contract.pk)
    if not contract.is_current:
        raise ValidationError(_("A terminated or expired contract can no longer be changed."))
    for name, value in data.items():
        if name not in CONTRACT_EDITABLE_FIELDS:
            raise TypeError(f"{name} cannot be changed here")
        setattr(contract, name, value)
    if confirm_backbilling:
        if by is None:
            raise TypeError("Confirming back-billing needs the person who confirms it (by=)")
        _record_backbilling_confirmation(contract, by=by, today=timezone.localdate())
    contract.full_clean()
    save_or_raise_validation(contract)
    return contract


@transaction.atomic
def contract_sign(*, contract: Contract, by, signed_on=None) -> Contract:
    """A draft becomes active within the open relationship; a prospect becomes a customer."""
    contract = Contract.objects.select_for_update().select_related("customer").get(pk=contract.pk)
    if contract.status != Contract.Status.DRAFT:
        raise ValidationError(_("Only a draft contract can be signed."))
    relationship = Relationship.objects.open().filter(customer_id=contract.customer_id).first()
    if relationship is None:
        raise ValidationError(
            _("This customer has no open relationship: start a new one before signing.")
        )
    signed_on = signed_on or timezone.localdate()
    if signed_on > timezone.localdate():
        raise ValidationError({"signed_on": _("A contract cannot be signed in the future.")})
    contract.status = Contract.Status.ACTIVE
    contract.signed_on = signed_on
    contract.relationship = relationship
    contract.full_clean()
    contract.save()
    if relationship.status == Relationship.Status.PROSPECT:
        relationship_activate(relationship=relationship, by=by)
    return contract


@transaction.atomic
def contract_terminate(*, contract: Contract, reason, by) -> Contract:
    """End a contract early, with a reason. The relationship with the customer goes on."""
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"termination_reason": _("Say why the contract is terminated.")})
    contract = Contract.objects.select_for_update().get(pk=contract.pk)
    if not contract.is_current:
        raise ValidationError(_("This contract has already ended."))
    contract.status = Contract.Status.TERMINATED
    contract.terminated_at = timezone.now()
    contract.terminated_by = by
    contract.termination_reason = reason
    contract.full_clean()
    contract.save()
    return contract


def contracts_expire(*, today: date) -> int:
    """Active contracts whose end date has passed become expired. Safe to run any number of times.

    Saved one by one under a lock, so a contract terminated meanwhile is left alone.
    """
    expired = 0
    for pk in Contract.objects.due_to_expire(today=today).values_list("pk", flat=True):
        with transaction.atomic():
            contract = Contract.objects.select_for_update().filter(pk=pk).first()
            if contract is None or contract.status != Contract.Status.ACTIVE:
                continue  # Terminated (or expired) meanwhile.
            contract.status = Contract.Status.EXPIRED
            contract.save(update_fields=["status"])
            expired += 1
    return expired
