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
from core.money import currency_field, validate_currency
from customers.models import Customer, Segment


def _percent(verbose_name, default, **kwargs):
    return models.DecimalField(
        verbose_name,
        max_digits=5,
        decimal_places=2,
        default=Decimal(default),
        validators=[MinValueValidator(Decimal(0)), MaxValueValidator(Decimal(100))],
        **kwargs,
    )


def _amount(verbose_name, default, **kwargs):
    return models.DecimalField(
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


class ReportView(models.Model):
    """One opening of a manager report; the usage report counts them per user and period."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        on_delete=models.CASCADE,
        related_name="+",
        db_index=False,  # report_view_user_idx starts with it
    )
    report = models.CharField(_("report"), max_length=50)
    viewed_at = models.DateTimeField(
        _("viewed at"), default=timezone.now, validators=[bounds.WindowValidator("recorded")]
    )

    class Meta:
        ordering = ["-viewed_at", "-id"]
        verbose_name = _("report view")
        verbose_name_plural = _("report views")
        indexes = [
            # Usage report: views per period, and per user and period.
            models.Index(fields=["viewed_at"], name="report_view_time_idx"),
            models.Index(fields=["user", "viewed_at"], name="report_view_user_idx"),
        ]

    def __str__(self):
        return f"{self.report} · {self.viewed_at:%Y-%m-%d %H:%M}"


class UserActivity(models.Model):
    """A day on which a user used the CRM: one row per user and day, written by the first
    request of the day (analytics.middleware) or by the login. The usage report counts them."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        on_delete=models.CASCADE,
        related_name="+",
        db_index=False,  # user_activity_once_per_day starts with it
    )
    day = models.DateField(_("day"), validators=[bounds.WindowValidator("recorded")])

    class Meta:
        ordering = ["-day", "user_id"]
        verbose_name = _("user activity")
        verbose_name_plural = _("user activity")
        constraints = [
            # The activity middleware inserts blindly (ON CONFLICT DO NOTHING): a second tab, a
            # second browser or a new session the same day cannot count a user twice.
            models.UniqueConstraint(fields=["user", "day"], name="user_activity_once_per_day"),
        ]
        indexes = [
            # Usage report and its drop warning: active users per day and week of a period,
            # counted from the index alone.
            models.Index(fields=["day", "user"], name="user_activity_day_idx"),
        ]

    def __str__(self):
        return f"{self.user_id} · {self.day:%Y-%m-%d}"


class UsageDay(models.Model):
    """Records added by one user on one local day (TIME_ZONE), counted once by the nightly
    rollup (analytics.usage.usage_rollup) so the usage report does not group the big tables live.

    Every computed day has exactly one row without a user: the records nobody made (a scheduled
    job, an import), zeros when there were none. A day without that row has not been computed,
    and the report counts it live."""

    day = models.DateField(_("day"), validators=[bounds.WindowValidator("recorded")])
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
        db_index=False,  # usage_day_user_idx starts with it
    )
    customers = models.PositiveIntegerField(_("customers added"), default=0)
    interactions = models.PositiveIntegerField(_("interactions logged"), default=0)
    processes = models.PositiveIntegerField(_("processes opened"), default=0)
    reports = models.PositiveIntegerField(_("reports viewed"), default=0)
    computed_at = models.DateTimeField(
        _("computed at"), default=timezone.now, validators=[bounds.WindowValidator("recorded")]
    )

    class Meta:
        ordering = ["-day", "user_id"]
        verbose_name = _("usage day")
        verbose_name_plural = _("usage days")
        constraints = [
            # Usage report: the figures of a period, per day, from this index alone.
            models.UniqueConstraint(fields=["day", "user"], name="usage_day_once_per_user"),
            # The marker of a computed day (NULLs are distinct in the constraint above).
            models.UniqueConstraint(
                fields=["day"], condition=models.Q(user__isnull=True), name="usage_day_computed"
            ),
        ]
        indexes = [
            # Usage report narrowed to one user.
            models.Index(fields=["user", "day"], name="usage_day_user_idx"),
        ]

    def __str__(self):
        return f"{self.user_id or '-'} · {self.day:%Y-%m-%d}"


class DigestSubscription(models.Model):
    """A user's choice about the daily digest e-mail. Created when the user first changes it:
    a user without a row gets the digest."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        on_delete=models.CASCADE,
        related_name="digest_subscription",
    )
    enabled = models.BooleanField(
        _("send me the daily digest"),
        default=True,
        help_text=_(
            "One e-mail each morning: your customers whose value changed, your overdue tasks "
            "and your processes and tickets close to or past a deadline."
        ),
    )
    changed_at = models.DateTimeField(_("changed at"), auto_now=True)

    class Meta:
        verbose_name = _("digest subscription")
        verbose_name_plural = _("digest subscriptions")

    def __str__(self):
        return f"{self.user_id} · {'on' if self.enabled else 'off'}"


class DigestLog(models.Model):
    """One daily digest sent to one user. The row is inserted before the e-mail goes out, so
    the unique (user, day) makes a second run, or a second worker, send nothing."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        on_delete=models.CASCADE,
        related_name="digest_logs",
        db_index=False,  # digest_once_per_user_and_day starts with it
    )
    day = models.DateField(_("day"), validators=[bounds.WindowValidator("recorded")])
    sent_at = models.DateTimeField(
        _("sent at"),
        default=timezone.now,
        help_text=_("The moment the digest describes; the next one reports changes after it."),
        validators=[bounds.WindowValidator("recorded")],
    )
    items = models.PositiveIntegerField(_("items"), default=0)

    class Meta:
        ordering = ["-day", "-id"]
        verbose_name = _("digest sent")
        verbose_name_plural = _("digests sent")
        constraints = [
            # Sending's idempotency; its index also finds a user's last digest (newest day).
            models.UniqueConstraint(fields=["user", "day"], name="digest_once_per_user_and_day"),
        ]

    def __str__(self):
        return f"{self.user_id} · {self.day:%Y-%m-%d}"


class DataQualityTemplateQuerySet(models.QuerySet):
    def current(self):
        """The one template, created with the defaults the first time anyone asks for it."""
        template, _ = self.get_or_create(pk=1)
        return template


class DataQualityTemplate(models.Model):
    """What a complete customer record holds, as managers define it: each checked item is one
    check of the completeness score (analytics.quality). There is one row, created lazily."""

    require_email = models.BooleanField(_("e-mail"), default=True)
    require_phone = models.BooleanField(_("phone"), default=True)
    require_street = models.BooleanField(_("street"), default=True)
    require_postal_code = models.BooleanField(_("postal code"), default=True)
    require_city = models.BooleanField(_("city"), default=True)
    require_country = models.BooleanField(_("country"), default=True)
    require_tax_id = models.BooleanField(
        _("tax id (organisations)"),
        default=True,
        help_text=_("Only organisations need one; people pass this check."),
    )
    require_owner = models.BooleanField(_("owner"), default=True)
    require_segment = models.BooleanField(_("at least one segment"), default=True)
    require_contact = models.BooleanField(_("at least one active contact person"), default=True)
    require_primary_contact = models.BooleanField(_("a primary contact person"), default=True)
    require_contact_email = models.BooleanField(_("a contact person with an e-mail"), default=True)
    require_marketing_consent = models.BooleanField(
        _("marketing consent recorded"),
        default=False,
        help_text=_("At least one contact person's marketing consent, with its date."),
    )
    target = models.PositiveSmallIntegerField(
        _("target completeness (%)"),
        default=80,
        validators=[MinValueValidator(1), MaxValueValidator(100)],
        help_text=_("Records below it are counted as records to fix."),
    )
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)
    computed_at = models.DateTimeField(
        _("scores computed at"),
        null=True,
        blank=True,
        editable=False,
        help_text=_("When the completeness job last finished."),
    )
    last_customer_id = models.BigIntegerField(
        _("last customer checked"),
        default=0,
        editable=False,
        help_text=_("Customers with a higher id were created after the job: not checked yet."),
    )
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("updated by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        editable=False,
    )

    objects = DataQualityTemplateQuerySet.as_manager()

    class Meta:
        verbose_name = _("data quality template")
        verbose_name_plural = _("data quality templates")
        constraints = [
            # One template: the completeness scores always mean the same thing.
            models.CheckConstraint(condition=models.Q(pk=1), name="one_data_quality_template"),
            models.CheckConstraint(
                condition=models.Q(target__gte=1, target__lte=100),
                name="data_quality_target_in_range",
            ),
        ]

    def __str__(self):
        return str(_("Data quality template"))


class CustomerQuality(models.Model):
    """A customer's completeness against the data quality template, written by the nightly
    job (analytics.quality) so that reports aggregate stored numbers instead of checking
    every record live."""

    customer = models.OneToOneField(
        Customer,
        verbose_name=_("customer"),
        on_delete=models.CASCADE,
        primary_key=True,
        related_name="quality",
    )
    score = models.PositiveSmallIntegerField(
        _("completeness (%)"), help_text=_("Share of the template's checks the record passes.")
    )
    failed_checks = models.PositiveIntegerField(
        _("failed checks"),
        default=0,
        help_text=_("A bit per failed check; analytics.quality.CHECKS names the bits."),
    )
    computed_at = models.DateTimeField(
        _("computed at"), validators=[bounds.WindowValidator("recorded")]
    )

    class Meta:
        verbose_name = _("customer data quality")
        verbose_name_plural = _("customer data quality")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(score__gte=0, score__lte=100),
                name="customer_quality_score_in_range",
            ),
        ]
        indexes = [
            # Data quality report: the records to fix, lowest score first.
            models.Index(fields=["score", "customer"], name="customer_quality_score_idx"),
        ]

    def __str__(self):
        return f"{self.customer_id} · {self.score}%"


class QualitySummary(models.Model):
    """The completeness figures of one owner's customers (owner None: nobody's), written by the
    completeness job with the scores, so the report adds up a row per owner instead of
    aggregating every customer's score on every view."""

    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("owner"),
        on_delete=models.CASCADE,
        null=True,
        related_name="+",
    )
    checked = models.PositiveIntegerField(_("records checked"))
    score_sum = models.BigIntegerField(_("sum of the scores"))
    complete = models.PositiveIntegerField(_("complete records"))
    below_target = models.PositiveIntegerField(_("records below the target"))
    failing = models.JSONField(_("records failing each check"), default=dict)

    class Meta:
        verbose_name = _("data quality summary")
        verbose_name_plural = _("data quality summaries")

    def __str__(self):
        return f"{self.owner_id}: {self.checked}"


class ReportRefresh(models.Model):
    """One refresh of the report snapshots (analytics.snapshots): when it ran, and how far into
    the score history the grade changes have been recorded."""

    started_at = models.DateTimeField(
        _("started at"), validators=[bounds.WindowValidator("recorded")]
    )
    finished_at = models.DateTimeField(
        _("finished at"), validators=[bounds.WindowValidator("recorded")]
    )
    last_score_id = models.BigIntegerField(
        _("last score read"), default=0, help_text=_("Grade changes are recorded up to it.")
    )

    class Meta:
        ordering = ["-finished_at", "-id"]
        verbose_name = _("report refresh")
        verbose_name_plural = _("report refreshes")

    def __str__(self):
        return f"{self.finished_at:%Y-%m-%d %H:%M}"


class ReportScope(models.TextChoices):
    """What the segment of a snapshot row means: one segment, customers without any segment, or
    all customers (so that per-owner totals count a customer in several segments once)."""

    SEGMENT = "segment", _("Segment")
    NONE = "none", _("No segment")
    ALL = "all", _("All customers")


def _scope_constraint(name):
    # A segment row names its segment; the other scopes never do.
    return models.CheckConstraint(
        condition=models.Q(scope="segment", segment__isnull=False)
        | models.Q(scope__in=["none", "all"], segment__isnull=True),
        name=name,
    )


class CustomerStateSnapshot(models.Model):
    """Customers' current state per segment and owner, as the last refresh found it: counts by
    status and grade, LTV and reliability sums, open processes and overdue balances. Reports sum
    these few rows instead of grouping every customer on every page view."""

    scope = models.CharField(_("scope"), max_length=10, choices=ReportScope)
    segment = models.ForeignKey(
        Segment, verbose_name=_("segment"), on_delete=models.CASCADE, null=True, related_name="+"
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("owner"),
        on_delete=models.CASCADE,
        null=True,
        related_name="+",
    )
    customers = models.PositiveIntegerField(default=0)
    prospect = models.PositiveIntegerField(default=0)
    active = models.PositiveIntegerField(default=0)
    ended = models.PositiveIntegerField(default=0)
    grade_a = models.PositiveIntegerField(default=0)
    grade_b = models.PositiveIntegerField(default=0)
    grade_c = models.PositiveIntegerField(default=0)
    grade_d = models.PositiveIntegerField(default=0)
    ungraded = models.PositiveIntegerField(default=0)
    ltv_currency = models.CharField(max_length=3, blank=True)
    ltv_sum = models.DecimalField(
        max_digits=20, decimal_places=2, default=0, validators=[bounds.digits_max_validator(20, 2)]
    )
    ltv_count = models.PositiveIntegerField(default=0, help_text=_("Scored customers."))
    reliability_sum = models.DecimalField(
        max_digits=14, decimal_places=2, default=0, validators=[bounds.digits_max_validator(14, 2)]
    )
    reliability_count = models.PositiveIntegerField(default=0)
    open_processes = models.PositiveIntegerField(default=0)
    overdue = models.JSONField(default=dict, help_text=_("{currency: outstanding overdue}"))

    class Meta:
        verbose_name = _("customer state snapshot")
        verbose_name_plural = _("customer state snapshots")
        constraints = [_scope_constraint("state_snapshot_scope_valid")]
        indexes = [
            # Value and segment reports: per segment, or per owner over all customers.
            models.Index(fields=["scope", "segment", "owner"], name="state_snapshot_idx"),
        ]

    def __str__(self):
        return f"{self.scope} {self.segment_id} {self.owner_id}"


class DailyActivity(models.Model):
    """One figure of one day per segment and owner: interactions, payments received (per
    currency), relationships started and ended (per end reason). Rows exist only where the
    figure is not zero, so a year of a segment is a few thousand rows to add up."""

    class Measure(models.TextChoices):
        CONTACTS = "contacts", _("Contacts")
        REVENUE = "revenue", _("Revenue")
        STARTED = "started", _("Relationships started")
        ENDED = "ended", _("Relationships ended")

    day = models.DateField(_("day"), validators=[bounds.WindowValidator("recorded")])
    measure = models.CharField(_("measure"), max_length=10, choices=Measure)
    scope = models.CharField(_("scope"), max_length=10, choices=ReportScope)
    segment = models.ForeignKey(
        Segment, verbose_name=_("segment"), on_delete=models.CASCADE, null=True, related_name="+"
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("owner"),
        on_delete=models.CASCADE,
        null=True,
        related_name="+",
        db_index=False,  # reports filter by owner only together with a day range
    )
    key = models.CharField(
        _("currency or reason"),
        max_length=30,
        blank=True,
        help_text=_("Revenue: currency; ended: reason."),
    )
    value = models.DecimalField(
        _("value"), max_digits=20, decimal_places=2, validators=[bounds.digits_max_validator(20, 2)]
    )

    class Meta:
        verbose_name = _("daily activity")
        verbose_name_plural = _("daily activity")
        constraints = [_scope_constraint("daily_activity_scope_valid")]
        indexes = [
            # Segment report (contacts, revenue) and value report (started, ended) of a period.
            models.Index(fields=["measure", "scope", "day"], name="daily_activity_idx"),
        ]

    def __str__(self):
        return f"{self.day} {self.measure} {self.value}"


class GradeChange(models.Model):
    """A customer's grade moving from one score snapshot to the next, recorded from the
    CustomerScore history by the report refresh (the movers report reads it)."""

    customer = models.ForeignKey(
        Customer,
        verbose_name=_("customer"),
        on_delete=models.CASCADE,
        related_name="+",
    )
    score = models.OneToOneField(
        CustomerScore, verbose_name=_("score"), on_delete=models.CASCADE, related_name="+"
    )
    previous_grade = models.CharField(_("previous grade"), max_length=1, blank=True)
    grade = models.CharField(
        _("new grade"), max_length=1, blank=True, help_text=_("Empty: not graded.")
    )
    changed_at = models.DateTimeField(
        _("changed at"), validators=[bounds.WindowValidator("recorded")]
    )

    class Meta:
        ordering = ["-changed_at", "-id"]
        verbose_name = _("grade change")
        verbose_name_plural = _("grade changes")
        indexes = [
            # Movers report: the period's changes, newest first.
            models.Index(fields=["-changed_at", "-id"], name="grade_change_time_idx"),
        ]

    def __str__(self):
        return f"{self.customer_id}: {self.previous_grade or '-'} → {self.grade or '-'}"


class ForecastSnapshot(models.Model):
    """The weighted sales pipeline as it stood on one day, per expected close month, owner,
    definition and currency. The weekly job writes them; forecast accuracy compares the latest
    one taken before a month began with what was won in that month."""

    snapshot_on = models.DateField(
        _("snapshot taken on"), validators=[bounds.WindowValidator("recorded")]
    )
    month = models.DateField(
        _("expected close month"),
        help_text=_("The first day of the month."),
        validators=[bounds.WindowValidator("business")],
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("owner"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    definition = models.ForeignKey(
        "processes.ProcessDefinition",
        verbose_name=_("definition"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    currency = currency_field()
    weighted_amount = models.DecimalField(
        _("weighted amount"),
        max_digits=16,
        decimal_places=2,
        help_text=_("Net amount x the stage's win probability, summed."),
        validators=[bounds.digits_max_validator(16, 2)],
    )
    amount = models.DecimalField(
        _("unweighted amount"),
        max_digits=16,
        decimal_places=2,
        help_text=_("Net amounts, summed."),
        validators=[bounds.digits_max_validator(16, 2)],
    )
    count = models.PositiveIntegerField(_("open opportunities"))

    class Meta:
        ordering = ["-snapshot_on", "month", "definition", "owner", "currency"]
        verbose_name = _("forecast snapshot")
        verbose_name_plural = _("forecast snapshots")
        constraints = [
            # The weekly job's idempotency: one row per day, month, owner, definition, currency.
            # Two partial constraints, because NULL owners never collide in a plain unique one.
            models.UniqueConstraint(
                fields=["snapshot_on", "month", "owner", "definition", "currency"],
                condition=models.Q(owner__isnull=False),
                name="forecast_snapshot_unique",
            ),
            models.UniqueConstraint(
                fields=["snapshot_on", "month", "definition", "currency"],
                condition=models.Q(owner__isnull=True),
                name="forecast_snapshot_unique_unowned",
            ),
            models.CheckConstraint(
                condition=models.Q(weighted_amount__gte=0, amount__gte=0),
                name="forecast_snapshot_amounts_not_negative",
            ),
        ]
        indexes = [
            # Forecast accuracy: the latest snapshot before a month, and its rows for that month.
            models.Index(fields=["month", "snapshot_on"], name="forecast_month_idx"),
            models.Index(fields=["snapshot_on"], name="forecast_snapshot_on_idx"),
        ]

    def __str__(self):
        return f"{self.snapshot_on} · {self.month:%Y-%m} · {self.currency} {self.weighted_amount}"


class StageStay(models.Model):
    """One stay of an instance in a working stage, from entering it to the move that ended it.

    Derived from the transition log (analytics.services.stage_stays_refresh, run by a frequent
    job and caught up when the KPI dashboard opens), so the dashboard reads durations instead of
    pairing every move with the one before it on each view.
    """

    transition = models.OneToOneField(
        "processes.StageTransition",
        verbose_name=_("move that ended the stay"),
        on_delete=models.CASCADE,
        primary_key=True,
        related_name="+",
    )
    instance = models.ForeignKey(
        "processes.ProcessInstance",
        verbose_name=_("instance"),
        on_delete=models.CASCADE,
        related_name="+",
    )
    definition = models.ForeignKey(
        "processes.ProcessDefinition",
        verbose_name=_("definition"),
        on_delete=models.CASCADE,
        related_name="+",
        db_index=False,  # stage_stay_kpi_idx starts with it
    )
    stage = models.ForeignKey(
        "processes.Stage", verbose_name=_("stage"), on_delete=models.CASCADE, related_name="+"
    )
    entered_at = models.DateTimeField(
        _("entered at"), null=True, blank=True, validators=[bounds.WindowValidator("recorded")]
    )
    left_at = models.DateTimeField(_("left at"), validators=[bounds.WindowValidator("recorded")])
    seconds = models.FloatField(
        _("seconds in the stage"),
        null=True,
        blank=True,
        help_text=_("Empty if the log lacks the entry."),
    )
    sla_met = models.BooleanField(
        _("within the stage's SLA"),
        null=True,
        blank=True,
        help_text=_("Empty when the stage had no SLA."),
    )

    class Meta:
        ordering = ["-left_at"]
        verbose_name = _("stage stay")
        verbose_name_plural = _("stage stays")
        indexes = [
            # Process KPI dashboard: the stays that ended in a period, per definition; the
            # measured columns are in the key so PostgreSQL answers from the index alone.
            models.Index(
                fields=["definition", "left_at", "stage", "seconds", "sla_met"],
                name="stage_stay_kpi_idx",
            ),
        ]

    def __str__(self):
        return f"{self.instance_id} · {self.stage_id} · {self.seconds}"


class ProcessKpiDay(models.Model):
    """One process definition's instances started and closed on one local day (TIME_ZONE), summed
    by the nightly rollup (analytics.kpi_days) so the KPI dashboard adds up days instead of
    grouping the instance table live.

    Every computed day has exactly one row without a definition (zeros): a day without it has
    not been computed, and the dashboard measures it live."""

    day = models.DateField(_("day"), validators=[bounds.WindowValidator("recorded")])
    definition = models.ForeignKey(
        "processes.ProcessDefinition",
        verbose_name=_("definition"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
    )
    started = models.PositiveIntegerField(_("started"), default=0)
    closed = models.PositiveIntegerField(_("closed"), default=0)
    succeeded = models.PositiveIntegerField(_("won or resolved"), default=0)
    cost_total = models.DecimalField(
        _("cost of the instances closed"),
        max_digits=18,
        decimal_places=2,
        default=Decimal(0),
        validators=[bounds.digits_max_validator(18, 2)],
    )
    cycle_seconds = models.FloatField(
        _("cycle time of the instances closed, in seconds"), default=0
    )
    cycle_buckets = models.JSONField(
        _("instances closed per cycle-time bucket"),
        default=list,
        help_text=_("Counts per bucket of analytics.process_kpis.CYCLE_BUCKETS."),
    )
    won = models.JSONField(
        _("net amount won per currency"), default=dict, help_text=_("{currency: amount}")
    )
    response_total = models.PositiveIntegerField(_("response deadlines"), default=0)
    response_met = models.PositiveIntegerField(_("response deadlines met"), default=0)
    resolution_total = models.PositiveIntegerField(_("resolution deadlines"), default=0)
    resolution_met = models.PositiveIntegerField(_("resolution deadlines met"), default=0)
    computed_at = models.DateTimeField(
        _("computed at"), default=timezone.now, validators=[bounds.WindowValidator("recorded")]
    )

    class Meta:
        ordering = ["-day", "definition_id"]
        verbose_name = _("process KPI day")
        verbose_name_plural = _("process KPI days")
        constraints = [
            # KPI dashboard: a period's days, per definition, from this index.
            models.UniqueConstraint(fields=["day", "definition"], name="kpi_day_once"),
            # The marker of a computed day (NULLs are distinct in the constraint above).
            models.UniqueConstraint(
                fields=["day"], condition=models.Q(definition__isnull=True), name="kpi_day_computed"
            ),
        ]

    def __str__(self):
        return f"{self.day:%Y-%m-%d} · {self.definition_id or '-'}"


class StageKpiDay(models.Model):
    """The measured stays (StageStay) in one stage that ended on one local day, summed by the
    nightly rollup with ProcessKpiDay (whose marker says the day is computed)."""

    day = models.DateField(_("day"), validators=[bounds.WindowValidator("recorded")])
    definition = models.ForeignKey(
        "processes.ProcessDefinition",
        verbose_name=_("definition"),
        on_delete=models.CASCADE,
        related_name="+",
    )
    stage = models.ForeignKey(
        "processes.Stage", verbose_name=_("stage"), on_delete=models.CASCADE, related_name="+"
    )
    stays = models.PositiveIntegerField(_("stays"), default=0)
    seconds = models.FloatField(_("seconds in the stage, summed"), default=0)
    sla_total = models.PositiveIntegerField(_("stays with an SLA"), default=0)
    sla_met = models.PositiveIntegerField(_("stays within the SLA"), default=0)

    class Meta:
        ordering = ["-day", "stage_id"]
        verbose_name = _("stage KPI day")
        verbose_name_plural = _("stage KPI days")
        constraints = [
            # KPI dashboard: a period's days, per stage, from this index.
            models.UniqueConstraint(fields=["day", "stage"], name="stage_kpi_day_once"),
        ]

    def __str__(self):
        return f"{self.day:%Y-%m-%d} · {self.stage_id}: {self.stays}"


class WonDay(models.Model):
    """The net amount of the deals won on one local day, per definition, owner and currency,
    summed by the nightly rollup with ProcessKpiDay (whose marker says the day is computed):
    forecast accuracy reads the months all of whose days are computed from here, since summing
    a year of won deals live, per owner and month, took 100 ms at a million customers."""

    day = models.DateField(_("day"), validators=[bounds.WindowValidator("recorded")])
    definition = models.ForeignKey(
        "processes.ProcessDefinition",
        verbose_name=_("definition"),
        on_delete=models.CASCADE,
        related_name="+",
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("owner"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    currency = currency_field()
    amount = models.DecimalField(
        _("net amount won"),
        max_digits=18,
        decimal_places=2,
        validators=[bounds.digits_max_validator(18, 2)],
    )
    deals = models.PositiveIntegerField(_("deals won"))

    class Meta:
        ordering = ["-day", "definition_id", "owner_id", "currency"]
        verbose_name = _("won day")
        verbose_name_plural = _("won days")
        indexes = [
            # Forecast accuracy: a period's days, for some definitions.
            models.Index(fields=["day", "definition"], name="won_day_idx"),
        ]

    def __str__(self):
        return f"{self.day:%Y-%m-%d} · {self.definition_id} · {self.currency} {self.amount}"


class DurationHistogram(models.Model):
    """How many cycle times (stage empty: instances closed) or stage stays (stays that ended) fell
    in one duration bucket on one local day, or in one whole month: the KPI dashboard's medians
    and p90s of computed days come from these counts (analytics.kpi_days explains the buckets
    and their precision). Written by the nightly rollup with ProcessKpiDay."""

    class Span(models.TextChoices):
        DAY = "day", _("day")
        MONTH = "month", _("month")

    span = models.CharField(_("span"), max_length=5, choices=Span, default=Span.DAY)
    day = models.DateField(
        _("day"),
        help_text=_("The day, or the first day of the month."),
        validators=[bounds.WindowValidator("recorded")],
    )
    definition = models.ForeignKey(
        "processes.ProcessDefinition",
        verbose_name=_("definition"),
        on_delete=models.CASCADE,
        related_name="+",
        db_index=False,  # duration_histogram_idx starts with it
    )
    stage = models.ForeignKey(
        "processes.Stage",
        verbose_name=_("stage"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
        help_text=_("Empty: the cycle times of the instances closed."),
    )
    bucket = models.SmallIntegerField(_("bucket"))
    count = models.PositiveIntegerField(_("count"))

    class Meta:
        ordering = ["span", "-day", "definition_id", "stage_id", "bucket"]
        verbose_name = _("duration histogram bucket")
        verbose_name_plural = _("duration histogram buckets")
        indexes = [
            # KPI dashboard: a period's months and days per definition, counts from the index.
            models.Index(
                fields=["definition", "span", "day", "stage", "bucket", "count"],
                name="duration_histogram_idx",
            ),
        ]

    def __str__(self):
        return f"{self.span} {self.day:%Y-%m-%d} · {self.stage_id or '-'} · {self.bucket}"
