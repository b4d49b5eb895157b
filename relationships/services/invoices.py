"""Invoices: issue, edit, move to another customer, write off."""

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from core import audit, events
from core.integrity import save_or_raise_validation
from core.permissions import can
from customers.models import Customer

from ..models import Invoice
from ..permissions import WRITE_OFF

INVOICE_EDITABLE_FIELDS = ("number", "contract", "issue_date", "due_date", "amount", "currency")


@transaction.atomic
def invoice_create(*, customer: Customer, by, **fields) -> Invoice:
    unknown = set(fields) - set(INVOICE_EDITABLE_FIELDS)
    if unknown:
        raise TypeError(f"Unexpected invoice fields: {sorted(unknown)}")
    invoice = Invoice(customer=customer, created_by=by, **fields)
    _check_invoice_currency(invoice)
    invoice.full_clean()
    save_or_raise_validation(invoice)
    return invoice


@transaction.atomic
def invoice_update(*, invoice: Invoice, data: dict) -> Invoice:
    invoice = Invoice.objects.select_for_update().get(pk=invoice.pk)
    if invoice.written_off_at:
        raise ValidationError(_("A written-off invoice can no longer be changed."))
    for name, value in data.items():
        if name not in INVOICE_EDITABLE_FIELDS:
            raise TypeError(f"{name} cannot be changed here")
        setattr(invoice, name, value)
    if (
        invoice.paid_amount
        and "currency" in data
        and invoice.payments.exclude(currency=invoice.currency).exists()
    ):
        raise ValidationError({"currency": _("Payments were made in another currency.")})
    _check_invoice_currency(invoice)
    invoice.full_clean()
    save_or_raise_validation(invoice)
    return invoice


@transaction.atomic
def invoice_move(*, invoice: Invoice, customer: Customer, by) -> Invoice:
    """Move an invoice to another customer (a correction: it was billed to the wrong one), its
    payments with it, since a payment carries its invoice's customer (Payment.customer).

    The payments are saved one by one rather than in one UPDATE, so the rescoring receivers
    hear of it; the audit records each payment's move as made by `by`, also outside a request.
    Their only change is the customer, copied from the invoice validated here, so they are not
    validated again.
    """
    # The lock also keeps payment_register, which locks the invoice, from adding a payment
    # under the old customer meanwhile.
    invoice = Invoice.objects.select_for_update().get(pk=invoice.pk)
    if invoice.customer_id == customer.pk:
        return invoice
    invoice.customer = customer
    invoice.full_clean()
    invoice.save(update_fields=["customer"])
    with audit.audit_context(user=by):  # also outside a request (the shell, a job)
        for payment in invoice.payments.order_by("pk"):
            payment.save(update_fields=["customer"])  # Payment.save copies the invoice's customer
    return invoice


def _check_invoice_currency(invoice: Invoice):
    if invoice.contract and invoice.currency and invoice.contract.currency != invoice.currency:
        raise ValidationError(
            {
                "currency": _("The contract is in %(currency)s; invoice it in that currency.")
                % {"currency": invoice.contract.currency}
            }
        )


@transaction.atomic
def invoice_write_off(*, invoice: Invoice, reason, by) -> Invoice:
    """Give up on an invoice's balance, deliberately: finance or a manager, with a reason."""
    if not can(by, WRITE_OFF):
        raise PermissionDenied
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"write_off_reason": _("Say why the invoice is written off.")})
    invoice = Invoice.objects.select_for_update().get(pk=invoice.pk)
    if invoice.written_off_at:
        raise ValidationError(_("This invoice has already been written off."))
    if invoice.balance <= 0:
        raise ValidationError(_("A paid invoice has nothing to write off."))
    invoice.written_off_at = timezone.now()
    invoice.written_off_by = by
    invoice.write_off_reason = reason
    invoice.full_clean()
    invoice.save()
    events.publish(
        events.INVOICE_WRITTEN_OFF,
        instance=invoice,
        key=f"invoice:{invoice.pk}:written_off",
        data={
            "invoice_id": invoice.pk,
            "invoice_number": invoice.number,
            "customer_id": invoice.customer_id,
            "balance": events.amount(invoice.balance),
            "currency": invoice.currency,
            "written_off_at": events.iso(invoice.written_off_at),
            "written_off_by_id": by.pk if by else None,
            "reason": reason,
        },
    )
    return invoice
