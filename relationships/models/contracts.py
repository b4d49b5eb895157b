"""Contracts: what the customer bought from us."""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core import bounds
from core.money import amount_field, currency_field
from core.visibility import CustomerRecordQuerySet
from customers.models import Customer

from .relationships import Relationship


class ContractQuerySet(CustomerRecordQuerySet):
    def ending_within(self, days, *, today=None):
        today = today or timezone.localdate()
        return self.filter(
            status=Contract.Status.ACTIVE,
            end_date__gte=today,
            end_date__lte=today + timezone.timedelta(days=days),
        )

    def due_to_expire(self, *, today):
        return self.filter(status=Contract.Status.ACTIVE, end_date__lt=today)

    def recurring(self):
        return self.filter(status=Contract.Status.ACTIVE).exclude(
            billing_period=Contract.BillingPeriod.ONE_OFF
        )


class Contract(models.Model):
    """What the customer bought from us, signed within the relationship open at the time."""

    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        ACTIVE = "active", _("Active")
        TERMINATED = "terminated", _("Terminated")
        EXPIRED = "expired", _("Expired")

    class BillingPeriod(models.TextChoices):
        ONE_OFF = "one_off", _("One-off")
        MONTHLY = "monthly", _("Monthly")
        QUARTERLY = "quarterly", _("Quarterly")
        YEARLY = "yearly", _("Yearly")

    customer = models.ForeignKey(
        Customer, verbose_name=_("customer"), on_delete=models.PROTECT, related_name="contracts"
    )
    relationship = models.ForeignKey(
        Relationship,
        verbose_name=_("relationship"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="contracts",
        help_text=_("The relationship that was open when the contract was signed."),
    )
    number = models.CharField(
        _("number"),
        max_length=50,
        unique=True,
        error_messages={"unique": _("A contract with this number already exists.")},
    )
    title = models.CharField(_("title"), max_length=200)
    product = models.CharField(_("product or service"), max_length=200)
    value = amount_field(
        _("value"),
        positive=False,
        help_text=_("For a recurring contract, the amount billed each period; else the total."),
    )
    currency = currency_field()
    billing_period = models.CharField(
        _("billing period"), max_length=20, choices=BillingPeriod, default=BillingPeriod.ONE_OFF
    )
    start_date = models.DateField(_("start date"), validators=[bounds.WindowValidator("business")])
    end_date = models.DateField(
        _("end date"),
        null=True,
        blank=True,
        help_text=_("Empty for an open-ended contract."),
        validators=[bounds.WindowValidator("business")],
    )
    status = models.CharField(_("status"), max_length=20, choices=Status, default=Status.DRAFT)
    signed_on = models.DateField(
        _("signed on"), null=True, blank=True, validators=[bounds.WindowValidator("past")]
    )
    terminated_at = models.DateTimeField(
        _("terminated at"), null=True, blank=True, validators=[bounds.WindowValidator("past")]
    )
    terminated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("terminated by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    termination_reason = bounds.text_field(
        _("termination reason"),
        blank=True,
        limit=bounds.SHORT_TEXT,
    )
    # Recurring billing issues at most BILLING_MAX_PERIODS_PER_RUN past periods of a contract
    # on its own; more than that (a start date far in the past, a typo) waits until a person
    # confirms them, recorded here (relationships.services.contract_confirm_backbilling).
    backbilling_confirmed_until = models.DateField(
        _("back-billing confirmed up to"),
        null=True,
        blank=True,
        editable=False,
        validators=[bounds.WindowValidator("business")],
        help_text=_("Past periods starting up to this day are billed: a person confirmed them."),
    )
    backbilling_confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("back-billing confirmed by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        editable=False,
        related_name="+",
    )
    backbilling_confirmed_at = models.DateTimeField(
        _("back-billing confirmed at"),
        null=True,
        blank=True,
        editable=False,
        validators=[bounds.WindowValidator("past")],
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

    objects = ContractQuerySet.as_manager()

    class Meta:
        ordering = ["-start_date", "-id"]
        verbose_name = _("contract")
        verbose_name_plural = _("contracts")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(end_date__isnull=True)
                | models.Q(end_date__gte=models.F("start_date")),
                name="contract_end_after_start",
                violation_error_message=_("The end date cannot be before the start date."),
            ),
            models.CheckConstraint(
                condition=models.Q(value__gte=0), name="contract_value_not_negative"
            ),
            models.CheckConstraint(
                condition=models.Q(status__in=["draft", "active", "terminated", "expired"]),
                name="contract_status_valid",
            ),
            # A terminated contract always says when, by whom and why.
            models.CheckConstraint(
                condition=models.Q(~models.Q(status="terminated"), terminated_at__isnull=True)
                | (
                    models.Q(
                        status="terminated",
                        terminated_at__isnull=False,
                        terminated_by__isnull=False,
                    )
                    & ~models.Q(termination_reason="")
                ),
                name="contract_termination_is_complete",
                violation_error_message=_("Terminating a contract needs a reason."),
            ),
            bounds.window_check("start_date", bounds.BUSINESS, name="contract_start_in_window"),
            bounds.window_check("end_date", bounds.BUSINESS, name="contract_end_in_window"),
            bounds.window_check("signed_on", bounds.PAST, name="contract_signed_in_window"),
            models.CheckConstraint(
                condition=models.Q(backbilling_confirmed_until__isnull=True)
                | models.Q(
                    backbilling_confirmed_by__isnull=False, backbilling_confirmed_at__isnull=False
                ),
                name="contract_backbilling_confirmation_is_complete",
            ),
            bounds.window_check(
                "terminated_at",
                bounds.PAST,
                name="contract_terminated_in_window",
                datetime_field=True,
            ),
        ]
        indexes = [
            # Customer page: contracts panel.
            models.Index(fields=["customer", "-start_date"], name="contract_customer_idx"),
            # Contract list "ending within N days" and the expiry job.
            models.Index(fields=["status", "end_date"], name="contract_status_end_idx"),
        ]

    def __str__(self):
        return f"{self.number} · {self.title}"

    def get_absolute_url(self):
        return reverse("relationships:contract_detail", args=[self.pk])

    def clean(self):
        if self.start_date and self.end_date and self.end_date < self.start_date:
            raise ValidationError({"end_date": _("The end date cannot be before the start date.")})

    @property
    def is_recurring(self):
        return self.billing_period != self.BillingPeriod.ONE_OFF

    @property
    def is_current(self):
        return self.status in (self.Status.DRAFT, self.Status.ACTIVE)
