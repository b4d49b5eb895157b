"""Invoices and their derived status and currency totals."""

from datetime import date

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core import bounds
from core.money import ZERO, amount_field, currency_field
from core.visibility import FinanceRecordQuerySet
from customers.models import Customer

from .checks import _same_customer_errors
from .contracts import Contract


class InvoiceQuerySet(FinanceRecordQuerySet):
    """Invoice status is derived from payments, dates and the write-off; never stored."""

    def unsettled(self):
        return self.filter(written_off_at__isnull=True, paid_amount__lt=models.F("amount"))

    def with_status(self, status, *, today=None):
        today = today or timezone.localdate()
        S = Invoice.Status
        if status == S.WRITTEN_OFF:
            return self.filter(written_off_at__isnull=False)
        if status == S.PAID:
            return self.filter(written_off_at__isnull=True, paid_amount__gte=models.F("amount"))
        if status == S.OVERDUE:
            return self.unsettled().filter(due_date__lt=today)
        if status == S.PARTIALLY_PAID:
            return self.unsettled().filter(due_date__gte=today, paid_amount__gt=0)
        if status == S.OPEN:
            return self.unsettled().filter(due_date__gte=today, paid_amount=0)
        raise ValueError(f"Unknown invoice status {status!r}")

    def overdue(self, *, today=None):
        return self.with_status(Invoice.Status.OVERDUE, today=today)

    def totals_by_currency(self, *, today=None):
        """Billed, paid, written off, outstanding and overdue, one row per currency."""
        return currency_totals(self.currency_sums(today=today or timezone.localdate()))

    def currency_sums(self, *, today):
        """The values() queryset under totals_by_currency(), whose rows currency_totals() reads."""
        balance = models.F("amount") - models.F("paid_amount")
        unsettled = models.Q(written_off_at__isnull=True)
        return (
            self.order_by()
            .values("currency")
            .annotate(
                billed=models.Sum("amount"),
                paid=models.Sum("paid_amount"),
                written_off=models.Sum(balance, filter=models.Q(written_off_at__isnull=False)),
                outstanding=models.Sum(balance, filter=unsettled),
                overdue=models.Sum(balance, filter=unsettled & models.Q(due_date__lt=today)),
            )
            .order_by("currency")
        )


def currency_totals(rows):
    """The rows of InvoiceQuerySet.currency_sums(), a sum over no invoices as zero."""
    keys = ("billed", "paid", "written_off", "outstanding", "overdue")
    return [{"currency": r["currency"], **{k: r[k] or ZERO for k in keys}} for r in rows]


class Invoice(models.Model):
    class Status(models.TextChoices):
        OPEN = "open", _("Open")
        PARTIALLY_PAID = "partially_paid", _("Partially paid")
        PAID = "paid", _("Paid")
        OVERDUE = "overdue", _("Overdue")
        WRITTEN_OFF = "written_off", _("Written off")

    # Changed only by relationships.services.invoice_move, which takes the payments along.
    customer = models.ForeignKey(
        Customer, verbose_name=_("customer"), on_delete=models.PROTECT, related_name="invoices"
    )
    contract = models.ForeignKey(
        Contract,
        verbose_name=_("contract"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="invoices",
    )
    number = models.CharField(
        _("number"),
        max_length=60,
        unique=True,
        error_messages={"unique": _("An invoice with this number already exists.")},
    )
    issue_date = models.DateField(
        _("issue date"), default=timezone.localdate, validators=[bounds.WindowValidator("business")]
    )
    due_date = models.DateField(_("due date"), validators=[bounds.WindowValidator("business")])
    amount = amount_field(_("amount"))
    currency = currency_field()
    paid_amount = amount_field(
        _("paid"),
        positive=False,
        default=ZERO,
        editable=False,
        help_text=_("The sum of the payments, kept by the payment service under a row lock."),
    )
    period_start = models.DateField(
        _("period start"),
        null=True,
        blank=True,
        help_text=_("For invoices of a recurring contract: the first day of the billed period."),
        validators=[bounds.WindowValidator("business")],
    )
    period_end = models.DateField(
        _("period end"), null=True, blank=True, validators=[bounds.WindowValidator("business")]
    )
    written_off_at = models.DateTimeField(
        _("written off at"), null=True, blank=True, validators=[bounds.WindowValidator("past")]
    )
    written_off_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("written off by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    write_off_reason = bounds.text_field(
        _("write-off reason"),
        blank=True,
        limit=bounds.SHORT_TEXT,
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    objects = InvoiceQuerySet.as_manager()

    class Meta:
        ordering = ["-issue_date", "-id"]
        verbose_name = _("invoice")
        verbose_name_plural = _("invoices")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(amount__gt=0),
                name="invoice_amount_positive",
                violation_error_message=_("The amount must be greater than zero."),
            ),
            models.CheckConstraint(
                condition=models.Q(due_date__gte=models.F("issue_date")),
                name="invoice_due_after_issue",
                violation_error_message=_("The due date cannot be before the issue date."),
            ),
            # No overpayment, ever: the database is the last line behind the payment service.
            models.CheckConstraint(
                condition=models.Q(paid_amount__gte=0, paid_amount__lte=models.F("amount")),
                name="invoice_paid_within_amount",
                violation_error_message=_("The invoice cannot be paid more than its amount."),
            ),
            models.CheckConstraint(
                condition=models.Q(written_off_at__isnull=True, write_off_reason="")
                | (
                    models.Q(written_off_at__isnull=False, written_off_by__isnull=False)
                    & ~models.Q(write_off_reason="")
                ),
                name="invoice_write_off_is_complete",
                violation_error_message=_("Writing off needs a reason, a time and a person."),
            ),
            # Recurring billing bills each period of a contract once, even when run twice at once.
            models.UniqueConstraint(
                fields=["contract", "period_start"],
                condition=models.Q(period_start__isnull=False),
                name="one_invoice_per_contract_period",
                violation_error_message=_("This period of the contract is already invoiced."),
            ),
            bounds.window_check("issue_date", bounds.BUSINESS, name="invoice_issue_in_window"),
            bounds.window_check("due_date", bounds.BUSINESS, name="invoice_due_in_window"),
            bounds.window_check(
                "period_start", bounds.BUSINESS, name="invoice_period_start_in_window"
            ),
            bounds.window_check("period_end", bounds.BUSINESS, name="invoice_period_end_in_window"),
            bounds.window_check(
                "written_off_at",
                bounds.PAST,
                name="invoice_written_off_in_window",
                datetime_field=True,
            ),
        ]
        indexes = [
            # Customer page: invoices panel, money summary.
            models.Index(fields=["customer", "-issue_date"], name="invoice_customer_idx"),
            # Invoice list: its default order, with the id tie-breaker for index-only pages.
            models.Index(fields=["-issue_date", "-id"], name="invoice_issue_date_idx"),
            # Invoice list, overdue only (and the overdue status): the unsettled invoices in its
            # default order, due date alongside, so a page skips the ones not yet due inside the
            # index instead of reading the paid ones off the whole ledger.
            models.Index(
                fields=["-issue_date", "-id"],
                include=["due_date"],
                condition=models.Q(written_off_at__isnull=True, paid_amount__lt=models.F("amount")),
                name="invoice_unsettled_idx",
            ),
            # Invoice list: default sort, overdue filter and due range.
            models.Index(fields=["due_date"], name="invoice_due_idx"),
            models.Index(fields=["currency", "due_date"], name="invoice_currency_due_idx"),
        ]

    def __str__(self):
        return self.number

    def get_absolute_url(self):
        return reverse("relationships:invoice_detail", args=[self.pk])

    def clean(self):
        errors = _same_customer_errors(self, contract=self.contract)
        if self.issue_date and self.due_date and self.due_date < self.issue_date:
            errors["due_date"] = _("The due date cannot be before the issue date.")
        if self.amount is not None and 0 < self.amount < self.paid_amount:
            errors["amount"] = _("The amount cannot be less than what has been paid (%s).") % (
                self.paid_amount
            )
        if errors:
            raise ValidationError(errors)

    @property
    def balance(self):
        return (self.amount or ZERO) - self.paid_amount

    def status_on(self, today: date):
        if self.written_off_at:
            return self.Status.WRITTEN_OFF
        if self.paid_amount >= self.amount:
            return self.Status.PAID
        if self.due_date < today:
            return self.Status.OVERDUE
        if self.paid_amount > 0:
            return self.Status.PARTIALLY_PAID
        return self.Status.OPEN

    @property
    def status(self):
        return self.status_on(timezone.localdate())

    def get_status_display(self):
        return self.Status(self.status).label

    @property
    def is_settled(self):
        return self.status in (self.Status.PAID, self.Status.WRITTEN_OFF)
