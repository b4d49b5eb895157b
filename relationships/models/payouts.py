"""Payouts: money we pay the customer, with a manager's approval above a threshold."""

from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core import bounds
from core.money import amount_field, currency_field, format_money
from core.visibility import FinanceRecordQuerySet
from customers.models import Customer


class PayoutQuerySet(FinanceRecordQuerySet):
    def awaiting_approval(self):
        return self.filter(
            status=Payout.Status.REQUESTED, amount__gt=settings.PAYOUT_APPROVAL_THRESHOLD
        )

    def ready_to_pay(self):
        return self.filter(
            models.Q(status=Payout.Status.APPROVED)
            | models.Q(
                status=Payout.Status.REQUESTED, amount__lte=settings.PAYOUT_APPROVAL_THRESHOLD
            )
        )


class Payout(models.Model):
    """Money we pay the customer. Above PAYOUT_APPROVAL_THRESHOLD a manager approves it first.

    The threshold is a plain number compared with the payout's amount in the payout's own
    currency: 1000 means 1000 PLN for a PLN payout and 1000 EUR for a EUR payout.
    """

    class Kind(models.TextChoices):
        REFUND = "refund", _("Refund")
        CLAIM = "claim", _("Claim / compensation")
        BONUS = "bonus", _("Bonus")

    class Status(models.TextChoices):
        REQUESTED = "requested", _("Requested")
        APPROVED = "approved", _("Approved")
        REJECTED = "rejected", _("Rejected")
        PAID = "paid", _("Paid")

    customer = models.ForeignKey(
        Customer, verbose_name=_("customer"), on_delete=models.PROTECT, related_name="payouts"
    )
    kind = models.CharField(_("kind"), max_length=20, choices=Kind)
    amount = amount_field(_("amount"))
    currency = currency_field()
    reason = bounds.text_field(
        _("reason"),
        limit=bounds.SHORT_TEXT,
    )
    status = models.CharField(_("status"), max_length=20, choices=Status, default=Status.REQUESTED)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("requested by"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    requested_at = models.DateTimeField(
        _("requested at"), default=timezone.now, validators=[bounds.WindowValidator("past")]
    )
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("approved by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    approved_at = models.DateTimeField(
        _("approved at"), null=True, blank=True, validators=[bounds.WindowValidator("past")]
    )
    rejected_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("rejected by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    rejected_at = models.DateTimeField(
        _("rejected at"), null=True, blank=True, validators=[bounds.WindowValidator("past")]
    )
    rejection_reason = bounds.text_field(
        _("rejection reason"),
        blank=True,
        limit=bounds.SHORT_TEXT,
    )
    paid_at = models.DateTimeField(
        _("paid at"), null=True, blank=True, validators=[bounds.WindowValidator("past")]
    )
    paid_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("paid by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )

    objects = PayoutQuerySet.as_manager()

    class Meta:
        ordering = ["-requested_at", "-id"]
        verbose_name = _("payout")
        verbose_name_plural = _("payouts")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(amount__gt=0),
                name="payout_amount_positive",
                violation_error_message=_("The amount must be greater than zero."),
            ),
            models.CheckConstraint(
                condition=models.Q(status__in=["requested", "approved", "rejected", "paid"]),
                name="payout_status_valid",
            ),
            # Four eyes: nobody approves their own payout.
            models.CheckConstraint(
                condition=models.Q(approved_by__isnull=True)
                | ~models.Q(approved_by=models.F("requested_by")),
                name="payout_not_self_approved",
                violation_error_message=_("Nobody can approve their own payout."),
            ),
            models.CheckConstraint(
                condition=~models.Q(status="paid")
                | models.Q(paid_at__isnull=False, paid_by__isnull=False),
                name="payout_paid_has_when_and_who",
            ),
            bounds.window_check(
                "requested_at",
                bounds.PAST,
                name="payout_requested_in_window",
                datetime_field=True,
            ),
            bounds.window_check(
                "approved_at", bounds.PAST, name="payout_approved_in_window", datetime_field=True
            ),
            bounds.window_check(
                "rejected_at", bounds.PAST, name="payout_rejected_in_window", datetime_field=True
            ),
            bounds.window_check(
                "paid_at", bounds.PAST, name="payout_paid_in_window", datetime_field=True
            ),
        ]
        indexes = [
            # Customer page: payouts panel.
            models.Index(fields=["customer", "-requested_at"], name="payout_customer_idx"),
            # Payouts awaiting approval / ready to pay.
            models.Index(fields=["status", "amount"], name="payout_status_idx"),
        ]

    def __str__(self):
        amount = "" if self.amount is None else format_money(self.amount, self.currency)
        return f"{self.get_kind_display()} {amount}"

    @property
    def needs_approval(self):
        return self.amount is not None and self.amount > Decimal(settings.PAYOUT_APPROVAL_THRESHOLD)

    @property
    def can_be_paid(self):
        return self.status == self.Status.APPROVED or (
            self.status == self.Status.REQUESTED and not self.needs_approval
        )

    def approve(self, *, by):
        if self.status != self.Status.REQUESTED:
            raise ValidationError(_("Only a requested payout can be approved."))
        if by.pk == self.requested_by_id:
            raise ValidationError(_("Nobody can approve their own payout."))
        self.status = self.Status.APPROVED
        self.approved_by = by
        self.approved_at = timezone.now()
        self.full_clean()
        self.save()

    def reject(self, *, by, reason):
        if self.status != self.Status.REQUESTED:
            raise ValidationError(_("Only a requested payout can be rejected."))
        if not (reason or "").strip():
            raise ValidationError({"rejection_reason": _("Say why the payout is rejected.")})
        self.status = self.Status.REJECTED
        self.rejected_by = by
        self.rejected_at = timezone.now()
        self.rejection_reason = reason.strip()
        self.full_clean()
        self.save()

    def mark_paid(self, *, by):
        if self.status == self.Status.PAID:
            raise ValidationError(_("This payout has already been paid."))
        if not self.can_be_paid:
            if self.status == self.Status.REQUESTED:
                raise ValidationError(
                    _("A payout above %(threshold)s %(currency)s needs a manager's approval first.")
                    % {"threshold": settings.PAYOUT_APPROVAL_THRESHOLD, "currency": self.currency}
                )
            raise ValidationError(_("A rejected payout cannot be paid."))
        self.status = self.Status.PAID
        self.paid_at = timezone.now()
        self.paid_by = by
        self.full_clean()
        self.save()
