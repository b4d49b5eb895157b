"""Payments: money received against an invoice."""

from datetime import date
from decimal import Decimal

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from core import events
from core.money import currency_symbol, format_amount
from core.permissions import can

from ..models import Invoice, Payment
from ..permissions import REGISTER_PAYMENTS


@transaction.atomic
def payment_register(
    *, invoice: Invoice, amount: Decimal, currency: str, paid_on: date, method, reference="", by
) -> Payment:
    """Record money received against an invoice. Overpayment and another currency are refused."""
    if not can(by, REGISTER_PAYMENTS):
        raise PermissionDenied
    # The lock serialises payments of one invoice: two clerks cannot both pay its last balance.
    invoice = Invoice.objects.select_for_update().get(pk=invoice.pk)
    payment_check(invoice=invoice, amount=amount, currency=currency, paid_on=paid_on)
    payment = Payment(
        invoice=invoice,
        amount=amount,
        currency=currency,
        paid_on=paid_on,
        method=method,
        reference=(reference or "").strip(),
        recorded_by=by,
    )
    payment.full_clean()
    payment.save()
    invoice.paid_amount += payment.amount
    invoice.full_clean()
    invoice.save(update_fields=["paid_amount"])
    events.publish(
        events.PAYMENT_RECEIVED,
        instance=payment,
        key=f"payment:{payment.pk}",
        data={
            "payment_id": payment.pk,
            "invoice_id": invoice.pk,
            "invoice_number": invoice.number,
            "customer_id": invoice.customer_id,
            "amount": events.amount(payment.amount),
            "currency": payment.currency,
            "paid_on": events.iso(payment.paid_on),
            "method": payment.method,
            "reference": payment.reference,
            "invoice_balance": events.amount(invoice.balance),
        },
    )
    return payment


def payment_check(*, invoice: Invoice, amount, currency: str, paid_on, balance=None) -> None:
    """Raise the ValidationError payment_register would for this payment: the invoice written
    off, another currency, nothing or too little left to pay, a date in the future.

    `balance` is what is left to pay: the invoice's own balance, unless the caller knows of
    payments to be recorded before this one (an import's preview counts its file's earlier
    rows). payment_register asks under the invoice's lock; the import's preview asks without."""
    if balance is None:
        balance = invoice.balance
    if invoice.written_off_at:
        raise ValidationError(_("This invoice has been written off; it takes no payments."))
    if currency != invoice.currency:
        raise ValidationError(
            {
                "currency": _(
                    "The invoice is in %(invoice)s; a payment in %(payment)s cannot be "
                    "recorded against it. Record the amount converted to %(invoice)s."
                )
                % {"invoice": invoice.currency, "payment": currency}
            }
        )
    if amount is not None and amount > 0 and balance <= 0:
        # Typically paid meanwhile by someone who had the same invoice open.
        raise ValidationError(
            {"amount": _("This invoice has already been paid in full; nothing is left to pay.")}
        )
    if amount is not None and amount > balance:
        raise ValidationError(
            {
                "amount": _(
                    "This would overpay the invoice: the balance is %(balance)s %(currency)s."
                )
                % {
                    "balance": format_amount(balance),
                    "currency": currency_symbol(invoice.currency),
                }
            }
        )
    if paid_on and paid_on > timezone.localdate():
        raise ValidationError({"paid_on": _("A payment cannot be dated in the future.")})
