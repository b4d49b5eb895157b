"""Customer value: the versioned parameters of the scoring formulas, the score snapshots they
produce, and the runs of the scoring job. The formulas themselves are in analytics.formulas."""

from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core import bounds
from core.money import AmountField, NumberField, currency_field, validate_currency
from customers.models import Customer


def _percent(verbose_name, default, **kwargs):
    return NumberField(
        verbose_name,
        max_digits=5,
        decimal_places=2,
        default=Decimal(default),
        validators=[MinValueValidator(Decimal(0)), MaxValueValidator(Decimal(100))],
        **kwargs,
    )


def _amount(verbose_name, default, **kwargs):
    return AmountField(
        verbose_name,
        max_digits=14,
        decimal_places=2,
        default=Decimal(default),
        validators=[MinValueValidator(Decimal(0)), bounds.max_amount_validator()],
        **kwargs,
    )


# Version 1's exchange rates (units of PLN per unit), as the first migration writes them.
INITIAL_RATES = {"CZK": "0.17", "EUR": "4.30", "GBP": "5.00", "USD": "4.00"}


class ScoringParametersQuerySet(models.QuerySet):
    def current(self):
        """The newest version. The first migration writes version 1; a database emptied since
        (a flushed test database) gets it again, so there always is a current version."""
        newest = self.order_by("-version").first()
        if newest is None:
            newest, _ = self.get_or_create(
                version=1,
                defaults={"exchange_rates": INITIAL_RATES, "note": "Initial parameters."},
            )
        return newest


class ScoringParameters(models.Model):
    """One version of the numbers the scoring formulas use. Never edited: a manager's change
    creates the next version, so every score names the exact parameters that produced it."""

    version = models.PositiveIntegerField(_("version"), unique=True, editable=False)
    base_currency = currency_field(default="PLN")
    exchange_rates = models.JSONField(
        _("exchange rates"),
        default=dict,
        blank=True,
        help_text=_(
            "Units of the base currency for one unit of each other currency, e.g. EUR: 4.30. "
            "Amounts in a currency without a rate are left out of the scores."
        ),
    )
    ltv_horizon_months = models.PositiveSmallIntegerField(
        _("LTV horizon (months)"),
        default=24,
        validators=[MinValueValidator(0), MaxValueValidator(240)],
        help_text=_("How many months of active recurring contracts count towards the LTV."),
    )
    annual_discount_rate = _percent(
        _("annual discount rate (%)"),
        "10",
        help_text=_("Future contract revenue is discounted at this yearly rate."),
    )
    late_tolerance_days = models.PositiveSmallIntegerField(
        _("lateness tolerance (days)"),
        default=60,
        validators=[MinValueValidator(1)],
        help_text=_(
            "A payment D days late earns (1 - D / this) of its amount; this late or later, nothing."
        ),
    )
    overdue_penalty = models.DecimalField(
        _("overdue penalty"),
        max_digits=4,
        decimal_places=2,
        default=Decimal("0.50"),
        validators=[MinValueValidator(Decimal(0)), MaxValueValidator(Decimal(5))],
        help_text=_(
            "Each unit still unpaid after its due date (or written off) takes this much away, "
            "so a debt weighs more than a very late payment."
        ),
    )
    grade_a_min_ltv = _amount(_("grade A: minimum LTV"), "50000")
    grade_a_min_reliability = _percent(_("grade A: minimum reliability"), "90")
    grade_b_min_ltv = _amount(_("grade B: minimum LTV"), "10000")
    grade_b_min_reliability = _percent(_("grade B: minimum reliability"), "75")
    grade_c_min_ltv = _amount(_("grade C: minimum LTV"), "1000")
    grade_c_min_reliability = _percent(_("grade C: minimum reliability"), "50")
    note = models.CharField(
        _("why this change"), max_length=300, blank=True, help_text=_("Shown in the history.")
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        editable=False,
    )

    objects = ScoringParametersQuerySet.as_manager()

    class Meta:
        ordering = ["-version"]
        verbose_name = _("scoring parameters")
        verbose_name_plural = _("scoring parameters")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(
                    grade_a_min_ltv__gte=models.F("grade_b_min_ltv"),
                    grade_b_min_ltv__gte=models.F("grade_c_min_ltv"),
                    grade_a_min_reliability__gte=models.F("grade_b_min_reliability"),
                    grade_b_min_reliability__gte=models.F("grade_c_min_reliability"),
                ),
                name="scoring_grades_ordered",
                violation_error_message=_(
                    "Each grade's thresholds must be at least those of the grade below it."
                ),
            ),
            models.CheckConstraint(
                condition=models.Q(late_tolerance_days__gte=1), name="scoring_tolerance_positive"
            ),
        ]

    def __str__(self):
        return _("Scoring parameters v%(version)s") % {"version": self.version}

    def clean(self):
        errors = {}
        rates = {}
        for code, rate in (self.exchange_rates or {}).items():
            code = str(code).strip().upper()
            try:
                validate_currency(code)
                value = Decimal(str(rate))
            except (ValidationError, ArithmeticError, ValueError):
                errors["exchange_rates"] = _("“%(code)s: %(rate)s” is not a currency and rate.") % {
                    "code": code,
                    "rate": rate,
                }
                break
            if value <= 0:
                errors["exchange_rates"] = _("The rate of %(code)s must be above zero.") % {
                    "code": code
                }
                break
            if not value.is_finite() or value > bounds.MAX_EXCHANGE_RATE:
                errors["exchange_rates"] = _("The rate of %(code)s cannot exceed %(max)s.") % {
                    "code": code,
                    "max": bounds.MAX_EXCHANGE_RATE,
                }
                break
            if code != self.base_currency:
                rates[code] = str(value)
        self.exchange_rates = dict(sorted(rates.items()))
        for grade, lower in (("a", "b"), ("b", "c")):
            for measure in ("ltv", "reliability"):
                high = getattr(self, f"grade_{grade}_min_{measure}")
                low = getattr(self, f"grade_{lower}_min_{measure}")
                if high is not None and low is not None and high < low:
                    errors[f"grade_{grade}_min_{measure}"] = _(
                        "Must be at least the threshold of grade %(lower)s."
                    ) % {"lower": lower.upper()}
        if errors:
            raise ValidationError(errors)

    def rates(self):
        """{currency: Decimal units of base per unit}, the base currency included at 1."""
        rates = {code: Decimal(rate) for code, rate in (self.exchange_rates or {}).items()}
        rates[self.base_currency] = Decimal(1)
        return rates


class CustomerScoreQuerySet(models.QuerySet):
    def current(self):
        return self.filter(is_current=True)


class CustomerScore(models.Model):
    """A snapshot of a customer's value. A new one is written only when something in it changed,
    so the history is the customer's trend; the newest is marked current."""

    customer = models.ForeignKey(
        Customer,
        verbose_name=_("customer"),
        on_delete=models.CASCADE,
        related_name="scores",
        db_index=False,  # score_customer_idx starts with it
    )
    computed_at = models.DateTimeField(
        _("computed at"), validators=[bounds.WindowValidator("recorded")]
    )
    as_of = models.DateField(
        _("as of"),
        help_text=_("The day the figures describe."),
        validators=[bounds.WindowValidator("recorded")],
    )
    parameters = models.ForeignKey(
        ScoringParameters,
        verbose_name=_("formula version"),
        on_delete=models.PROTECT,
        related_name="scores",
    )
    currency = models.CharField(_("currency"), max_length=3)
    ltv = models.DecimalField(
        _("lifetime value"),
        max_digits=16,
        decimal_places=2,
        validators=[bounds.digits_max_validator(16, 2)],
    )
    net_revenue_12m = models.DecimalField(
        _("net revenue, last 12 months"),
        max_digits=16,
        decimal_places=2,
        validators=[bounds.digits_max_validator(16, 2)],
    )
    payment_reliability = models.DecimalField(
        _("payment reliability"),
        max_digits=5,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[bounds.min_zero_validator(), MaxValueValidator(Decimal(100))],
    )
    avg_days_late = models.DecimalField(
        _("average days late"),
        max_digits=7,
        decimal_places=1,
        null=True,
        blank=True,
        validators=[bounds.digits_max_validator(7, 1)],
    )
    overdue_amount = models.DecimalField(
        _("overdue"),
        max_digits=16,
        decimal_places=2,
        validators=[bounds.digits_max_validator(16, 2)],
    )
    days_since_last_contact = models.PositiveIntegerField(
        _("days since last contact"), null=True, blank=True
    )
    interactions_90d = models.PositiveIntegerField(_("interactions in the last 90 days"))
    open_tickets = models.PositiveIntegerField(_("open tickets"))
    grade = models.CharField(
        _("grade"),
        max_length=1,
        choices=Customer.Grade,
        null=True,
        blank=True,
        help_text=_("Empty while the customer has no billing history."),
    )
    is_current = models.BooleanField(_("current"), default=True)

    objects = CustomerScoreQuerySet.as_manager()

    class Meta:
        ordering = ["-computed_at", "-id"]
        verbose_name = _("customer score")
        verbose_name_plural = _("customer scores")
        constraints = [
            models.UniqueConstraint(
                fields=["customer"],
                condition=models.Q(is_current=True),
                name="one_current_score_per_customer",
            ),
            models.CheckConstraint(
                condition=models.Q(payment_reliability__isnull=True)
                | models.Q(payment_reliability__gte=0, payment_reliability__lte=100),
                name="score_reliability_in_range",
            ),
            models.CheckConstraint(
                condition=models.Q(overdue_amount__gte=0), name="score_overdue_not_negative"
            ),
            models.CheckConstraint(
                condition=models.Q(grade__isnull=True) | models.Q(grade__in=["A", "B", "C", "D"]),
                name="score_grade_valid",
            ),
        ]
        indexes = [
            # Customer page: the trend (a customer's newest scores).
            models.Index(fields=["customer", "-computed_at"], name="score_customer_idx"),
            # Movers report and grade distribution over time.
            models.Index(fields=["computed_at"], name="score_computed_idx"),
        ]

    def __str__(self):
        return f"{self.customer_id} · {self.grade or '—'} · {self.computed_at:%Y-%m-%d}"


class ScoringRun(models.Model):
    """One run of the scoring job over every customer. A running run is the job's lock."""

    class Status(models.TextChoices):
        RUNNING = "running", _("Running")
        DONE = "done", _("Done")
        FAILED = "failed", _("Failed")

    status = models.CharField(_("status"), max_length=10, choices=Status, default=Status.RUNNING)
    parameters = models.ForeignKey(
        ScoringParameters,
        verbose_name=_("formula version"),
        on_delete=models.PROTECT,
        related_name="runs",
    )
    as_of = models.DateField(_("as of"), validators=[bounds.WindowValidator("recorded")])
    started_at = models.DateTimeField(
        _("started at"), default=timezone.now, validators=[bounds.WindowValidator("recorded")]
    )
    heartbeat_at = models.DateTimeField(
        _("last progress"),
        default=timezone.now,
        help_text=_("A running run without progress for an hour is taken for dead."),
        validators=[bounds.WindowValidator("recorded")],
    )
    finished_at = models.DateTimeField(
        _("finished at"), null=True, blank=True, validators=[bounds.WindowValidator("recorded")]
    )
    task_id = models.CharField(
        _("task id"),
        max_length=255,
        blank=True,
        editable=False,
        help_text=_("The Celery task that runs it; a redelivered task takes its own run over."),
    )
    total = models.PositiveIntegerField(_("customers to score"), default=0)
    scored = models.PositiveIntegerField(_("customers scored"), default=0)
    changed = models.PositiveIntegerField(_("scores changed"), default=0)
    error = bounds.text_field(
        _("error"),
        blank=True,
        limit=bounds.LONG_TEXT,
    )

    class Meta:
        ordering = ["-started_at", "-id"]
        verbose_name = _("scoring run")
        verbose_name_plural = _("scoring runs")
        constraints = [
            # The lock: two runs at once cannot both be running.
            models.UniqueConstraint(
                fields=["status"],
                condition=models.Q(status="running"),
                name="one_running_scoring_run",
            ),
            models.CheckConstraint(
                condition=models.Q(status__in=["running", "done", "failed"]),
                name="scoring_run_status_valid",
            ),
        ]

    def __str__(self):
        return f"{self.started_at:%Y-%m-%d %H:%M} · {self.get_status_display()}"

    @property
    def duration(self):
        end = self.finished_at or self.heartbeat_at
        return end - self.started_at if end else None

    @property
    def progress_percent(self):
        return round(100 * self.scored / self.total) if self.total else 100
