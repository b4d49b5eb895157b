import uuid
from datetime import date
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from core import bounds
from core.uploads import storage_filename
from customers.models import ContactPerson, Customer

from .money import ZERO, amount_field, currency_field


class RelationshipQuerySet(models.QuerySet):
    def open(self):
        return self.exclude(status=Relationship.Status.ENDED)


class Relationship(models.Model):
    """What we have with a customer, from the first contact until a person consciously ends it."""

    class Status(models.TextChoices):
        PROSPECT = "prospect", _("Prospect")
        ACTIVE = "active", _("Active")
        ENDED = "ended", _("Ended")

    class Kind(models.TextChoices):
        LASTING = "lasting", _("Lasting relationship")
        CASUAL = "casual", _("Casual contact")

    class EndReason(models.TextChoices):
        NOT_CREDITWORTHY = "not_creditworthy", _("Not creditworthy")
        MOVED_TO_COMPETITOR = "competitor", _("Moved to a competitor")
        COMPANY_CLOSED = "closed", _("Company closed")
        NO_LONGER_NEEDS = "no_need", _("No longer needs our offer")
        UNRESPONSIVE = "unresponsive", _("Never responded")
        OUR_DECISION = "our_decision", _("Our decision")
        OTHER = "other", _("Other")

    customer = models.ForeignKey(
        Customer, verbose_name=_("customer"), on_delete=models.PROTECT, related_name="relationships"
    )
    status = models.CharField(_("status"), max_length=20, choices=Status, default=Status.PROSPECT)
    kind = models.CharField(_("kind"), max_length=20, choices=Kind, default=Kind.LASTING)
    started_on = models.DateField(
        _("started on"), default=timezone.localdate, validators=[bounds.WindowValidator("past")]
    )
    started_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("started by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    ended_at = models.DateTimeField(
        _("ended at"), null=True, blank=True, validators=[bounds.WindowValidator("past")]
    )
    ended_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("ended by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    end_reason = models.CharField(_("end reason"), max_length=30, choices=EndReason, blank=True)
    end_note = bounds.text_field(
        _("end note"),
        blank=True,
        limit=bounds.SHORT_TEXT,
    )

    history = HistoricalRecords()
    objects = RelationshipQuerySet.as_manager()

    class Meta:
        ordering = ["-started_on", "-id"]
        verbose_name = _("relationship")
        verbose_name_plural = _("relationships")
        constraints = [
            models.UniqueConstraint(
                fields=["customer"],
                condition=~models.Q(status="ended"),
                name="one_open_relationship_per_customer",
                violation_error_message=_("This customer already has an open relationship."),
            ),
            # An ended relationship always says when, by whom and why; an open one says none of it.
            models.CheckConstraint(
                condition=(
                    models.Q(
                        status="ended",
                        ended_at__isnull=False,
                        ended_by__isnull=False,
                    )
                    & ~models.Q(end_reason="")
                )
                | models.Q(~models.Q(status="ended"), ended_at__isnull=True, end_reason=""),
                name="relationship_end_is_complete",
                violation_error_message=_(
                    "Ending a relationship needs a reason, a time and a person."
                ),
            ),
            models.CheckConstraint(
                condition=models.Q(status__in=["prospect", "active", "ended"]),
                name="relationship_status_valid",
            ),
            bounds.window_check("started_on", bounds.PAST, name="relationship_started_in_window"),
            bounds.window_check(
                "ended_at", bounds.PAST, name="relationship_ended_in_window", datetime_field=True
            ),
        ]

    def __str__(self):
        return f"{self.customer} · {self.get_status_display()} · {self.started_on}"

    @property
    def is_open(self):
        return self.status != self.Status.ENDED

    @property
    def age_days(self):
        end = timezone.localdate(self.ended_at) if self.ended_at else timezone.localdate()
        return (end - self.started_on).days


class Interaction(models.Model):
    """A contact with the customer: who talked to whom, when, how and about what."""

    class Channel(models.TextChoices):
        CALL = "call", _("Call")
        EMAIL = "email", _("E-mail")
        MEETING = "meeting", _("Meeting")
        MAILING = "mailing", _("Mailing")
        LETTER = "letter", _("Letter")
        CHAT = "chat", _("Chat")
        VISIT = "visit", _("Visit")
        WEB_FORM = "web_form", _("Web form")

    class Direction(models.TextChoices):
        INBOUND = "inbound", _("Inbound (they contacted us)")
        OUTBOUND = "outbound", _("Outbound (we contacted them)")

    customer = models.ForeignKey(
        Customer,
        verbose_name=_("customer"),
        on_delete=models.PROTECT,
        related_name="interactions",
        db_index=False,  # interaction_customer_idx starts with it
    )
    relationship = models.ForeignKey(
        Relationship,
        verbose_name=_("relationship"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="interactions",
    )
    contact_person = models.ForeignKey(
        ContactPerson,
        verbose_name=_("contact person"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="interactions",
    )
    channel = models.CharField(_("channel"), max_length=20, choices=Channel)
    direction = models.CharField(_("direction"), max_length=10, choices=Direction)
    subject = models.CharField(_("subject"), max_length=200)
    notes = bounds.text_field(
        _("notes"),
        blank=True,
        limit=bounds.LONG_TEXT,
    )
    outcome = models.CharField(_("outcome"), max_length=200, blank=True)
    occurred_at = models.DateTimeField(
        _("when"), default=timezone.now, validators=[bounds.WindowValidator("past")]
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="interactions",
        db_index=False,  # interaction_author_idx starts with it
    )
    created_at = models.DateTimeField(_("recorded at"), auto_now_add=True)

    class Meta:
        ordering = ["-occurred_at", "-id"]
        verbose_name = _("interaction")
        verbose_name_plural = _("interactions")
        constraints = [
            bounds.window_check(
                "occurred_at",
                bounds.PAST,
                name="interaction_occurred_in_window",
                datetime_field=True,
            ),
        ]
        indexes = [
            # Customer page: timeline and "last contact".
            models.Index(fields=["customer", "-occurred_at"], name="interaction_customer_idx"),
            # Usage reports: records added per user and period.
            models.Index(fields=["created_by", "created_at"], name="interaction_author_idx"),
            # Usage report (analytics.usage): today's interactions counted live, and the
            # nightly rollup's ranges of days.
            models.Index(fields=["created_at"], name="interaction_created_idx"),
        ]

    def __str__(self):
        return f"{self.get_channel_display()}: {self.subject}"


def _same_customer_errors(obj, **related):
    """Errors for related records (contract, invoice, asset) that belong to another customer."""
    errors = {}
    for field, other in related.items():
        if other is not None and obj.customer_id and other.customer_id != obj.customer_id:
            errors[field] = _("This belongs to another customer.")
    return errors


class ContractQuerySet(models.QuerySet):
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
    number = models.CharField(_("number"), max_length=50, unique=True)
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

    history = HistoricalRecords()
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


class InvoiceQuerySet(models.QuerySet):
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
    number = models.CharField(_("number"), max_length=60, unique=True)
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

    def save(self, *args, **kwargs):
        super().save(*args, **kwargs)
        loaded = getattr(self, "_loaded_customer_id", None)
        if loaded is not None and loaded != self.customer_id:
            # An invoice moved to another customer (admin) takes its payments with it.
            Payment.objects.filter(invoice=self).update(customer_id=self.customer_id)
        self._loaded_customer_id = self.customer_id

    def get_absolute_url(self):
        return reverse("relationships:invoice_detail", args=[self.pk])

    @classmethod
    def from_db(cls, db, field_names, values):
        invoice = super().from_db(db, field_names, values)
        invoice._loaded_customer_id = invoice.__dict__.get("customer_id")
        return invoice

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
    # The invoice's customer, copied on save (and moved with the invoice, see Invoice.save), so
    # the scoring job reads a batch of customers' payments as one range of an index instead of
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
        ]

    def __str__(self):
        return f"{self.amount} {self.currency} · {self.paid_on}"

    def save(self, *args, **kwargs):
        self.customer_id = self.invoice.customer_id
        update_fields = kwargs.get("update_fields")
        if update_fields is not None and "invoice" in update_fields:
            kwargs["update_fields"] = {*update_fields, "customer"}
        super().save(*args, **kwargs)


class PayoutQuerySet(models.QuerySet):
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
        return f"{self.get_kind_display()} {self.amount} {self.currency}"

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


class Asset(models.Model):
    """Equipment the customer uses."""

    class Status(models.TextChoices):
        IN_USE = "in_use", _("In use")
        UNDER_REPAIR = "under_repair", _("Under repair")
        RETURNED = "returned", _("Returned")
        RETIRED = "retired", _("Retired")

    customer = models.ForeignKey(
        Customer, verbose_name=_("customer"), on_delete=models.PROTECT, related_name="assets"
    )
    contract = models.ForeignKey(
        Contract,
        verbose_name=_("contract"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="assets",
    )
    name = models.CharField(_("name"), max_length=200)
    model = models.CharField(_("model"), max_length=100)
    serial_number = models.CharField(_("serial number"), max_length=100)
    installed_on = models.DateField(
        _("installed on"), null=True, blank=True, validators=[bounds.WindowValidator("business")]
    )
    location = models.CharField(_("location"), max_length=200, blank=True)
    status = models.CharField(_("status"), max_length=20, choices=Status, default=Status.IN_USE)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        ordering = ["-installed_on", "-id"]
        verbose_name = _("asset")
        verbose_name_plural = _("assets")
        constraints = [
            models.UniqueConstraint(
                fields=["model", "serial_number"],
                name="asset_serial_unique_per_model",
                violation_error_message=_("An asset of this model with this serial number exists."),
            ),
            models.CheckConstraint(
                condition=models.Q(status__in=["in_use", "under_repair", "returned", "retired"]),
                name="asset_status_valid",
            ),
            bounds.window_check("installed_on", bounds.BUSINESS, name="asset_installed_in_window"),
        ]
        indexes = [
            # Customer page: assets panel.
            models.Index(fields=["customer", "-installed_on"], name="asset_customer_idx"),
            # Search by serial number alone (service desk: "what is this device?").
            models.Index(fields=["serial_number"], name="asset_serial_idx"),
        ]

    def __str__(self):
        return f"{self.name} ({self.model} #{self.serial_number})"

    def clean(self):
        self.serial_number = (self.serial_number or "").strip()
        errors = _same_customer_errors(self, contract=self.contract)
        if errors:
            raise ValidationError(errors)


def document_upload_to(instance, filename):
    # A random folder per file: names never collide and paths cannot be guessed. The name on
    # disk is a plain ASCII one; people see and download the original name.
    return f"documents/{timezone.now():%Y/%m}/{uuid.uuid4().hex}/{storage_filename(filename)}"


class Document(models.Model):
    """A file kept with a customer; downloaded only through a view that checks access."""

    customer = models.ForeignKey(
        Customer, verbose_name=_("customer"), on_delete=models.PROTECT, related_name="documents"
    )
    contract = models.ForeignKey(
        Contract,
        verbose_name=_("contract"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="documents",
    )
    invoice = models.ForeignKey(
        Invoice,
        verbose_name=_("invoice"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="documents",
    )
    asset = models.ForeignKey(
        Asset,
        verbose_name=_("asset"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="documents",
    )
    title = models.CharField(_("title"), max_length=200)
    file = models.FileField(_("file"), upload_to=document_upload_to, max_length=300)
    original_name = models.CharField(_("file name"), max_length=255, editable=False)
    content_type = models.CharField(_("content type"), max_length=100, editable=False)
    size = models.PositiveBigIntegerField(_("size (bytes)"), editable=False)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("uploaded by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    uploaded_at = models.DateTimeField(
        _("uploaded at"), default=timezone.now, validators=[bounds.WindowValidator("past")]
    )

    class Meta:
        ordering = ["-uploaded_at", "-id"]
        verbose_name = _("document")
        verbose_name_plural = _("documents")
        constraints = [
            bounds.window_check(
                "uploaded_at", bounds.PAST, name="document_uploaded_in_window", datetime_field=True
            ),
        ]
        indexes = [
            # Customer page: documents panel and timeline.
            models.Index(fields=["customer", "-uploaded_at"], name="document_customer_idx"),
        ]

    def __str__(self):
        return self.title

    def get_absolute_url(self):
        return reverse("relationships:document_download", args=[self.pk])

    def clean(self):
        errors = _same_customer_errors(
            self, contract=self.contract, invoice=self.invoice, asset=self.asset
        )
        if errors:
            raise ValidationError(errors)
