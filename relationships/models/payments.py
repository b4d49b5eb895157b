"""Payments: money the customer paid us against an invoice."""

from django.conf import settings
from django.db import models
from django.utils import formats, timezone
from django.utils.translation import gettext_lazy as _

from core import bounds
from core.money import amount_field, currency_field, format_money
from core.visibility import FinanceRecordQuerySet

from .invoices import Invoice


class Payment(models.Model):
    """Money the customer paid us against an invoice, in the invoice's currency."""

    class Method(models.TextChoices):
        BANK_TRANSFER = "bank_transfer", _("Bank transfer")
        CARD = "card", _("Card")
        CASH = "cash", _("Cash")
        DIRECT_DEBIT = "direct_debit", _("Direct debit")
        OTHER = "other", _("Other")

    invoice = models.ForeignKey(
        Invoice, verbose_name=_("invoice"), on_delete=models.PROTECT, related_name="payments"
    )
    # The invoice's customer, copied on save (and moved with the invoice by services.invoice_move),
    # so the scoring job reads a batch of customers' payments as one range of an index instead of
    # one look-up per invoice.
    customer = models.ForeignKey(
        "customers.Customer",
        verbose_name=_("customer"),
        on_delete=models.PROTECT,
        related_name="payments",
        editable=False,
        db_index=False,  # payment_customer_idx starts with it
    )
    amount = amount_field(_("amount"))
    currency = currency_field()
    paid_on = models.DateField(
        _("paid on"), default=timezone.localdate, validators=[bounds.WindowValidator("past")]
    )
    method = models.CharField(
        _("method"), max_length=20, choices=Method, default=Method.BANK_TRANSFER
    )
    reference = models.CharField(
        _("reference"), max_length=100, blank=True, help_text=_("Bank reference, receipt number…")
    )
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("recorded by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(_("recorded at"), auto_now_add=True)

    objects = FinanceRecordQuerySet.as_manager()

    class Meta:
        ordering = ["-paid_on", "-id"]
        verbose_name = _("payment")
        verbose_name_plural = _("payments")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(amount__gt=0),
                name="payment_amount_positive",
                violation_error_message=_("The amount must be greater than zero."),
            ),
            bounds.window_check("paid_on", bounds.PAST, name="payment_paid_on_in_window"),
        ]
        indexes = [
            # Customer page: payments panel and timeline (joined through the invoice). The
            # scoring job (analytics.scoring_sql) reads each invoice's payments' dates and
            # amounts from this index alone, hence the included amount (PostgreSQL).
            models.Index(
                fields=["invoice", "-paid_on"], include=["amount"], name="payment_invoice_idx"
            ),
            # Payment-reliability and LTV jobs read payments by date.
            models.Index(fields=["paid_on"], name="payment_paid_on_idx"),
            # The scoring job (analytics.scoring_sql) reads a batch of customers' payments from
            # this index alone: a range of customer ids, joined to their invoices by invoice id.
            models.Index(
                fields=["customer", "invoice"],
                include=["paid_on", "amount"],
                name="payment_customer_idx",
            ),
            # Finance's home page: the payments recorded today (analytics.home).
            models.Index(fields=["-created_at"], name="payment_recorded_idx"),
        ]

    def __str__(self):
        # As the reader writes money and dates: "1 680,00 zł · 07.12.2026" in Polish.
        paid_on = formats.date_format(self.paid_on, "SHORT_DATE_FORMAT") if self.paid_on else ""
        amount = "" if self.amount is None else format_money(self.amount, self.currency)
        return f"{amount} · {paid_on}"

    def save(self, *args, **kwargs):
        self.customer_id = self.invoice.customer_id
        update_fields = kwargs.get("update_fields")
        if update_fields is not None and "invoice" in update_fields:
            kwargs["update_fields"] = {*update_fields, "customer"}
        super().save(*args, **kwargs)
