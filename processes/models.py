"""One engine for every process kind: definitions with ordered stages, instances that move through
them with every move logged, the work and cost that goes into them, and what keeps them moving
(tasks, notifications, approvals)."""

from datetime import timedelta
from decimal import ROUND_HALF_UP, Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import number_format
from django.utils.functional import cached_property
from django.utils.translation import gettext_lazy as _

from core import bounds
from customers.models import ContactPerson, Customer, Segment
from relationships.models import Asset, Invoice
from relationships.money import ZERO, amount_field, currency_field

MAX_STAGES = 8  # Sales cycles of up to eight stages (DOMAIN.md); the database enforces it too.


class ProcessDefinition(models.Model):
    """A kind of work with customers: its stages, goal, cost model and KPI targets.

    Several definitions of one kind run side by side (standard and 24/7 support, enterprise and
    SMB sales); an instance always follows the definition it was opened under.
    """

    class Kind(models.TextChoices):
        SALES = "sales", _("Sales")
        ONBOARDING = "onboarding", _("Onboarding")
        SUPPORT = "support", _("Support")
        COLLECTIONS = "collections", _("Collections")
        RETENTION = "retention", _("Retention")
        CUSTOM = "custom", _("Custom")

    name = models.CharField(_("name"), max_length=100, unique=True)
    kind = models.CharField(_("kind"), max_length=20, choices=Kind)
    goal = bounds.text_field(
        _("goal"),
        blank=True,
        help_text=_("What the process is for."),
        limit=bounds.LONG_TEXT,
    )
    active = models.BooleanField(
        _("active"), default=True, help_text=_("Only active definitions can open new instances.")
    )
    hourly_rate = amount_field(
        _("hourly rate"),
        positive=False,
        default=ZERO,
        help_text=_("The cost of one hour of work logged on an instance."),
    )
    currency = currency_field(default="PLN")
    stall_days = models.PositiveSmallIntegerField(
        _("stalls after (days)"),
        null=True,
        blank=True,
        validators=[MinValueValidator(1)],
        help_text=_(
            "An open instance with no activity for this many days warns its owner. "
            "Empty: the site default."
        ),
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        ordering = ["kind", "name"]
        verbose_name = _("process definition")
        verbose_name_plural = _("process definitions")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(
                    kind__in=[
                        "sales",
                        "onboarding",
                        "support",
                        "collections",
                        "retention",
                        "custom",
                    ]
                ),
                name="process_definition_kind_valid",
            ),
            models.CheckConstraint(
                condition=models.Q(hourly_rate__gte=0), name="process_definition_rate_not_negative"
            ),
        ]
        indexes = [
            # Process overview and the "open a …" forms: active definitions of a kind.
            models.Index(fields=["kind", "active"], name="procdef_kind_active_idx"),
        ]

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return reverse("processes:board", args=[self.pk])

    @property
    def is_sales(self):
        return self.kind == self.Kind.SALES

    def first_stage(self):
        return self.stages.filter(outcome="").order_by("position").first()


class KpiTarget(models.Model):
    """A target a manager sets for a definition; analytics compares the measured value with it."""

    class Metric(models.TextChoices):
        WIN_RATE = "win_rate", _("Win rate (%)")
        RESOLUTION_RATE = "resolution_rate", _("Resolution rate (%)")
        AVG_CYCLE_DAYS = "avg_cycle_days", _("Average cycle time (days)")
        AVG_COST = "avg_cost", _("Average cost per instance")
        SLA_MET_RATE = "sla_met_rate", _("SLA met (%)")
        AMOUNT_RECOVERED = "amount_recovered", _("Amount recovered")

    class Period(models.TextChoices):
        MONTH = "month", _("Month")
        QUARTER = "quarter", _("Quarter")
        YEAR = "year", _("Year")

    definition = models.ForeignKey(
        ProcessDefinition,
        verbose_name=_("definition"),
        on_delete=models.CASCADE,
        related_name="kpi_targets",
    )
    metric = models.CharField(_("metric"), max_length=30, choices=Metric)
    target = models.DecimalField(
        _("target value"),
        max_digits=14,
        decimal_places=2,
        validators=[bounds.min_zero_validator(), bounds.max_amount_validator()],
    )
    period = models.CharField(_("period"), max_length=10, choices=Period, default=Period.MONTH)

    class Meta:
        ordering = ["definition", "metric"]
        verbose_name = _("KPI target")
        verbose_name_plural = _("KPI targets")
        constraints = [
            models.UniqueConstraint(
                fields=["definition", "metric", "period"],
                name="one_kpi_target_per_metric_and_period",
                violation_error_message=_("This definition already has a target for this KPI."),
            ),
        ]

    def __str__(self):
        return f"{self.definition} · {self.get_metric_display()} = {self.target}"


class DecisionRule(models.Model):
    """A manager's rule for starting an instance of a definition, e.g. "only for customers graded
    A or B" or "only above 5,000". Every condition set must hold; a start that breaks one is
    refused, or held until a manager approves it, as `on_break` says. Hand-started and
    job-started instances (retention campaigns, collections) obey the same rules."""

    class OnBreak(models.TextChoices):
        REFUSE = "refuse", _("Refuse to start")
        APPROVAL = "approval", _("Ask a manager")

    definition = models.ForeignKey(
        ProcessDefinition,
        verbose_name=_("process"),
        on_delete=models.CASCADE,
        related_name="decision_rules",
        db_index=False,  # decision_rule_active_idx starts with it
    )
    name = models.CharField(
        _("name"), max_length=100, help_text=_("Shown in the reason when a start is refused.")
    )
    active = models.BooleanField(
        _("active"), default=True, help_text=_("Only active rules are checked.")
    )
    min_grade = models.CharField(
        _("minimum grade"),
        max_length=1,
        choices=Customer.Grade,
        blank=True,
        help_text=_("The customer must have this grade or a better one (A is best)."),
    )
    min_ltv = models.DecimalField(
        _("minimum lifetime value"),
        max_digits=16,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(ZERO), bounds.max_amount_validator()],
        help_text=_(
            "In the process's currency; compared with the customer's lifetime value after "
            "conversion into its currency."
        ),
    )
    max_cost_to_value_percent = models.DecimalField(
        _("maximum cost to value (%)"),
        max_digits=7,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(Decimal("0.01")), bounds.digits_max_validator(7, 2)],
        help_text=_(
            "The expected cost of the process (the average of those closed in the last year) "
            "as a percentage of the customer's lifetime value may not exceed this."
        ),
    )
    min_amount = amount_field(
        _("minimum amount"),
        positive=False,
        null=True,
        blank=True,
        help_text=_(
            "In the process's currency: the process's amount (the deal value, the debt) must be "
            "at least this."
        ),
    )
    on_break = models.CharField(
        _("when broken"),
        max_length=10,
        choices=OnBreak,
        default=OnBreak.REFUSE,
        help_text=_("Refuse to start the process, or start it held until a manager approves."),
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        on_delete=models.PROTECT,
        related_name="+",
        editable=False,
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        ordering = ["definition", "name", "id"]
        verbose_name = _("decision rule")
        verbose_name_plural = _("decision rules")
        constraints = [
            models.UniqueConstraint(
                fields=["definition", "name"],
                name="decision_rule_name_unique",
                violation_error_message=_("Another rule of this process has this name."),
            ),
            models.CheckConstraint(
                condition=~models.Q(min_grade="")
                | models.Q(min_ltv__isnull=False)
                | models.Q(max_cost_to_value_percent__isnull=False)
                | models.Q(min_amount__isnull=False),
                name="decision_rule_has_a_condition",
                violation_error_message=_("Set at least one condition."),
            ),
            models.CheckConstraint(
                condition=models.Q(min_grade__in=["", "A", "B", "C", "D"]),
                name="decision_rule_grade_valid",
            ),
            models.CheckConstraint(
                condition=models.Q(min_ltv__isnull=True) | models.Q(min_ltv__gte=0),
                name="decision_rule_ltv_not_negative",
            ),
            models.CheckConstraint(
                condition=models.Q(max_cost_to_value_percent__isnull=True)
                | models.Q(max_cost_to_value_percent__gt=0),
                name="decision_rule_ratio_positive",
            ),
            models.CheckConstraint(
                condition=models.Q(min_amount__isnull=True) | models.Q(min_amount__gte=0),
                name="decision_rule_amount_not_negative",
            ),
            models.CheckConstraint(
                condition=models.Q(on_break__in=["refuse", "approval"]),
                name="decision_rule_on_break_valid",
            ),
        ]
        indexes = [
            # Opening an instance (by hand or by a job): the active rules of its definition.
            models.Index(fields=["definition", "active"], name="decision_rule_active_idx"),
        ]

    def __str__(self):
        return self.name

    def grade_passes(self, grade):
        """A grade at least as good as the minimum ("B" lets A and B through)."""
        return bool(grade) and grade <= self.min_grade

    def conditions_display(self):
        """The rule's conditions in words, for the rules page."""
        currency = self.definition.currency
        parts = []
        if self.min_grade:
            parts.append(_("grade %(grade)s or better") % {"grade": self.min_grade})
        if self.min_ltv is not None:
            parts.append(
                _("lifetime value at least %(value)s %(currency)s")
                % {"value": money_display(self.min_ltv), "currency": currency}
            )
        if self.max_cost_to_value_percent is not None:
            parts.append(
                _("cost at most %(percent)s%% of the lifetime value")
                % {"percent": number_format(self.max_cost_to_value_percent, 2)}
            )
        if self.min_amount is not None:
            parts.append(
                _("amount at least %(value)s %(currency)s")
                % {"value": money_display(self.min_amount), "currency": currency}
            )
        return parts


def money_display(value):
    """An amount as the pages show it: two decimals, grouped (1,234.50 in English)."""
    return number_format(value, 2, force_grouping=True)


class Stage(models.Model):
    """One step of a definition. A stage with an outcome is terminal: entering it closes the
    instance with that outcome."""

    class Outcome(models.TextChoices):
        WON = "won", _("Won")
        LOST = "lost", _("Lost")
        RESOLVED = "resolved", _("Resolved")
        CANCELLED = "cancelled", _("Cancelled")

    definition = models.ForeignKey(
        ProcessDefinition,
        verbose_name=_("definition"),
        on_delete=models.CASCADE,
        related_name="stages",
    )
    position = models.PositiveSmallIntegerField(
        _("position"),
        validators=[MinValueValidator(1), MaxValueValidator(MAX_STAGES)],
        help_text=_("1 to 8: the order of the stages on the board."),
    )
    name = models.CharField(_("name"), max_length=60)
    code = models.SlugField(
        _("code"),
        max_length=40,
        blank=True,
        help_text=_(
            "Optional machine name. Collections stages named reminder, demand or final_notice "
            "e-mail the customer when a case enters them."
        ),
    )
    sla_hours = models.PositiveIntegerField(
        _("SLA (hours)"),
        null=True,
        blank=True,
        validators=[MinValueValidator(1)],
        help_text=_("How long an instance may stay in this stage. Empty: no limit."),
    )
    win_probability = models.PositiveSmallIntegerField(
        _("win probability (%)"),
        null=True,
        blank=True,
        validators=[MaxValueValidator(100)],
        help_text=_("Sales stages: the chance that a deal here is won, for the forecast."),
    )
    outcome = models.CharField(
        _("terminal outcome"),
        max_length=20,
        choices=Outcome,
        blank=True,
        help_text=_("Empty for a working stage; set for a stage that closes the instance."),
    )
    fixed_cost = amount_field(
        _("fixed cost"),
        positive=False,
        default=ZERO,
        help_text=_("Added to an instance's cost each time it enters this stage."),
    )

    class Meta:
        ordering = ["definition", "position"]
        verbose_name = _("stage")
        verbose_name_plural = _("stages")
        constraints = [
            # With positions 1..8 unique per definition, a definition has at most eight stages.
            models.UniqueConstraint(
                fields=["definition", "position"],
                name="stage_position_unique",
                violation_error_message=_("Another stage of this definition has this position."),
            ),
            models.UniqueConstraint(
                fields=["definition", "name"],
                name="stage_name_unique",
                violation_error_message=_("Another stage of this definition has this name."),
            ),
            models.CheckConstraint(
                condition=models.Q(position__gte=1, position__lte=MAX_STAGES),
                name="stage_position_in_range",
                violation_error_message=_("A definition has at most eight stages."),
            ),
            models.CheckConstraint(
                condition=models.Q(win_probability__isnull=True)
                | models.Q(win_probability__lte=100),
                name="stage_win_probability_in_range",
            ),
            models.CheckConstraint(
                condition=models.Q(outcome__in=["", "won", "lost", "resolved", "cancelled"]),
                name="stage_outcome_valid",
            ),
            models.CheckConstraint(
                condition=models.Q(fixed_cost__gte=0), name="stage_fixed_cost_not_negative"
            ),
        ]

    def __str__(self):
        return self.name

    def clean(self):
        if (
            self.definition_id
            and not self.pk
            and Stage.objects.filter(definition_id=self.definition_id).count() >= MAX_STAGES
        ):
            raise ValidationError(
                _("A definition has at most %(max)s stages.") % {"max": MAX_STAGES}
            )

    @property
    def is_terminal(self):
        return bool(self.outcome)


class SlaPolicy(models.Model):
    """Support: the response and resolution times a ticket's priority sets, per definition."""

    class Priority(models.TextChoices):
        LOW = "low", _("Low")
        NORMAL = "normal", _("Normal")
        HIGH = "high", _("High")
        URGENT = "urgent", _("Urgent")

    definition = models.ForeignKey(
        ProcessDefinition,
        verbose_name=_("definition"),
        on_delete=models.CASCADE,
        related_name="sla_policies",
    )
    priority = models.CharField(_("priority"), max_length=10, choices=Priority)
    response_hours = models.PositiveIntegerField(
        _("response within (hours)"), validators=[MinValueValidator(1)]
    )
    resolution_hours = models.PositiveIntegerField(
        _("resolution within (hours)"), validators=[MinValueValidator(1)]
    )

    class Meta:
        ordering = ["definition", "priority"]
        verbose_name = _("SLA policy")
        verbose_name_plural = _("SLA policies")
        constraints = [
            models.UniqueConstraint(
                fields=["definition", "priority"],
                name="one_sla_per_definition_priority",
                violation_error_message=_("This definition already has an SLA for this priority."),
            ),
            models.CheckConstraint(
                condition=models.Q(resolution_hours__gte=models.F("response_hours")),
                name="sla_resolution_after_response",
                violation_error_message=_("Resolution cannot be due before the first response."),
            ),
        ]

    def __str__(self):
        return f"{self.definition} · {self.get_priority_display()}"

    def clean(self):
        if (
            self.response_hours
            and self.resolution_hours
            and self.resolution_hours < self.response_hours
        ):
            raise ValidationError(
                {"resolution_hours": _("Resolution cannot be due before the first response.")}
            )


class RetentionCampaign(models.Model):
    """A retention drive: one instance of a retention definition per customer of a segment."""

    name = models.CharField(_("name"), max_length=150)
    definition = models.ForeignKey(
        ProcessDefinition,
        verbose_name=_("definition"),
        on_delete=models.PROTECT,
        related_name="campaigns",
        limit_choices_to={"kind": "retention"},
    )
    segment = models.ForeignKey(
        Segment, verbose_name=_("segment"), on_delete=models.PROTECT, related_name="+"
    )
    contracts_ending_within_days = models.PositiveSmallIntegerField(
        _("only customers whose contract ends within (days)"),
        null=True,
        blank=True,
        help_text=_("Empty: every customer of the segment."),
    )
    started_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("started by"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    started_at = models.DateTimeField(
        _("started at"), default=timezone.now, validators=[bounds.WindowValidator("recorded")]
    )
    skipped_by_rules = models.PositiveIntegerField(
        _("skipped by decision rules"),
        default=0,
        editable=False,
        help_text=_("Customers of the segment a decision rule refused to start the process for."),
    )

    class Meta:
        ordering = ["-started_at", "-id"]
        verbose_name = _("retention campaign")
        verbose_name_plural = _("retention campaigns")
        constraints = [
            bounds.window_check(
                "started_at",
                bounds.RECORDED,
                name="campaign_started_in_window",
                datetime_field=True,
            ),
        ]

    def __str__(self):
        return self.name


class ProcessInstanceQuerySet(models.QuerySet):
    def open(self):
        return self.filter(closed_at__isnull=True)

    def closed(self):
        return self.filter(closed_at__isnull=False)

    def for_list(self):
        return self.select_related("definition", "stage", "customer", "owner", "ticket").with_hold()

    def with_hold(self):
        """Annotate `awaiting_start_approval`, so a list asks once, not once per row."""
        return self.annotate(
            awaiting_start_approval=models.Exists(
                Approval.objects.filter(
                    instance=models.OuterRef("pk"),
                    action=Approval.Action.START,
                    decision=Approval.Decision.PENDING,
                )
            )
        )

    def past_stage_sla(self, *, now):
        return self.open().filter(stage_due_at__lt=now)


class ProcessInstance(models.Model):
    """One run of a definition for one customer: a deal, a ticket, a collection case, …"""

    definition = models.ForeignKey(
        ProcessDefinition,
        verbose_name=_("definition"),
        on_delete=models.PROTECT,
        related_name="instances",
    )
    customer = models.ForeignKey(
        Customer,
        verbose_name=_("customer"),
        on_delete=models.PROTECT,
        related_name="process_instances",
    )
    title = models.CharField(_("title"), max_length=200)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("owner"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="owned_process_instances",
    )
    stage = models.ForeignKey(
        Stage, verbose_name=_("stage"), on_delete=models.PROTECT, related_name="instances"
    )
    amount = amount_field(
        _("amount"),
        positive=False,
        null=True,
        blank=True,
        help_text=_("The deal value, the debt collected, … where it applies."),
    )
    currency = currency_field(blank=True)
    discount_percent = models.DecimalField(
        _("discount (%)"),
        max_digits=5,
        decimal_places=2,
        default=ZERO,
        validators=[MinValueValidator(ZERO), MaxValueValidator(Decimal("100"))],
        help_text=_("Sales: the discount granted; above the threshold a manager approves it."),
    )
    expected_close_on = models.DateField(
        _("expected close"), null=True, blank=True, validators=[bounds.WindowValidator("business")]
    )
    outcome = models.CharField(
        _("outcome"), max_length=20, choices=Stage.Outcome, blank=True, editable=False
    )
    outcome_reason = bounds.text_field(
        _("outcome reason"),
        blank=True,
        editable=False,
        limit=bounds.SHORT_TEXT,
    )
    accrued_cost = amount_field(
        _("accrued cost"),
        positive=False,
        default=ZERO,
        editable=False,
        help_text=_("Work logged x hourly rate + fixed cost of each stage entered."),
    )
    campaign = models.ForeignKey(
        RetentionCampaign,
        verbose_name=_("campaign"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="instances",
    )
    opened_at = models.DateTimeField(
        _("opened at"), default=timezone.now, validators=[bounds.WindowValidator("recorded")]
    )
    opened_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("opened by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        db_index=False,  # instance_opener_idx starts with it
    )
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True, editable=False)
    stage_entered_at = models.DateTimeField(
        _("in stage since"), default=timezone.now, validators=[bounds.WindowValidator("recorded")]
    )
    stage_due_at = models.DateTimeField(
        _("stage due"),
        null=True,
        blank=True,
        editable=False,
        help_text=_("When the stage's SLA runs out; empty when the stage has none."),
    )
    last_activity_at = models.DateTimeField(
        _("last activity"), default=timezone.now, validators=[bounds.WindowValidator("recorded")]
    )

    objects = ProcessInstanceQuerySet.as_manager()

    class Meta:
        ordering = ["-opened_at", "-id"]
        verbose_name = _("process instance")
        verbose_name_plural = _("process instances")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(amount__isnull=True) | models.Q(amount__gte=0),
                name="instance_amount_not_negative",
            ),
            models.CheckConstraint(
                condition=models.Q(amount__isnull=True) | ~models.Q(currency=""),
                name="instance_amount_has_currency",
                violation_error_message=_("An amount needs its currency."),
            ),
            models.CheckConstraint(
                condition=models.Q(discount_percent__gte=0, discount_percent__lte=100),
                name="instance_discount_in_range",
            ),
            models.CheckConstraint(
                condition=models.Q(accrued_cost__gte=0), name="instance_cost_not_negative"
            ),
            # Closed means an outcome and a reason; open means neither.
            models.CheckConstraint(
                condition=models.Q(closed_at__isnull=True, outcome="")
                | (models.Q(closed_at__isnull=False) & ~models.Q(outcome="")),
                name="instance_closed_has_outcome",
            ),
            # A retention campaign reaches each customer once.
            models.UniqueConstraint(
                fields=["campaign", "customer"],
                condition=models.Q(campaign__isnull=False),
                name="one_instance_per_campaign_customer",
            ),
            bounds.window_check(
                "expected_close_on", bounds.BUSINESS, name="instance_expected_close_in_window"
            ),
            bounds.window_check(
                "opened_at", bounds.RECORDED, name="instance_opened_in_window", datetime_field=True
            ),
            bounds.window_check(
                "stage_entered_at",
                bounds.RECORDED,
                name="instance_stage_entered_in_window",
                datetime_field=True,
            ),
            bounds.window_check(
                "last_activity_at",
                bounds.RECORDED,
                name="instance_last_activity_in_window",
                datetime_field=True,
            ),
        ]
        indexes = [
            # Board: the open cards of a definition, by stage.
            models.Index(fields=["definition", "closed_at", "stage"], name="instance_board_idx"),
            # Board: each column's most recently active open cards, read in index order so the
            # per-stage row numbering needs no sort; its counts; and, from the included columns,
            # the per-minute sum of all open cards' amounts (processes.selectors).
            models.Index(
                fields=["definition", "stage", "-last_activity_at", "-id"],
                condition=models.Q(closed_at__isnull=True),
                include=["currency", "amount"],
                name="instance_board_cards_idx",
            ),
            # Customer page: open processes and tickets of the customer.
            models.Index(fields=["customer", "closed_at"], name="instance_customer_idx"),
            # Process KPI dashboard: instances started per definition and period (and per week).
            # Closed per period reads instance_board_idx (definition, closed_at, …).
            models.Index(fields=["definition", "opened_at"], name="instance_kpi_opened_idx"),
            # Instance list filtered by owner.
            models.Index(fields=["owner", "closed_at"], name="instance_owner_idx"),
            # SLA watch: open instances past their stage deadline.
            models.Index(
                fields=["stage_due_at"],
                condition=models.Q(closed_at__isnull=True),
                name="instance_open_stage_due_idx",
            ),
            # Stall watch: open instances without recent activity.
            models.Index(
                fields=["last_activity_at"],
                condition=models.Q(closed_at__isnull=True),
                name="instance_open_activity_idx",
            ),
            # Sales forecast (analytics.forecast.open_pipeline): the open pipeline per close
            # month, owner and currency, read from this index alone (no row of the table).
            models.Index(
                fields=[
                    "definition",
                    "owner",
                    "currency",
                    "expected_close_on",
                    "stage",
                    "amount",
                    "discount_percent",
                ],
                condition=models.Q(closed_at__isnull=True, amount__isnull=False),
                name="instance_open_pipeline_idx",
            ),
            # Forecast accuracy (analytics.forecast.forecast_accuracy): the amounts won per
            # close month, owner and currency, read from this index alone.
            models.Index(
                fields=[
                    "definition",
                    "closed_at",
                    "owner",
                    "currency",
                    "amount",
                    "discount_percent",
                ],
                condition=models.Q(outcome=Stage.Outcome.WON, amount__isnull=False),
                name="instance_won_amount_idx",
            ),
            # Usage report (analytics.usage): processes opened per user and period.
            models.Index(fields=["opened_by", "opened_at"], name="instance_opener_idx"),
            # Usage report (analytics.usage): today's processes counted live, and the nightly
            # rollup's ranges of days.
            models.Index(fields=["opened_at"], name="instance_opened_idx"),
        ]

    def __str__(self):
        return self.title

    def get_absolute_url(self):
        return reverse("processes:instance_detail", args=[self.pk])

    def clean(self):
        errors = {}
        if self.stage_id and self.definition_id and self.stage.definition_id != self.definition_id:
            errors["stage"] = _("This stage belongs to another process.")
        if self.amount is not None and not self.currency:
            errors["currency"] = _("An amount needs its currency.")
        if errors:
            raise ValidationError(errors)

    @property
    def is_open(self):
        return self.closed_at is None

    @cached_property
    def awaiting_start_approval(self):
        """Started despite a decision rule and held until a manager approves: it cannot move.

        Lists annotate it (ProcessInstanceQuerySet.with_hold); a page that has loaded the
        instance's approvals sets it from them.
        """
        if self.pk is None or not self.is_open:
            return False
        return self.approvals.filter(
            action=Approval.Action.START, decision=Approval.Decision.PENDING
        ).exists()

    def stage_sla_breached(self, now=None):
        now = now or timezone.now()
        return self.is_open and self.stage_due_at is not None and self.stage_due_at < now

    @property
    def net_amount(self):
        if self.amount is None:
            return None
        factor = (Decimal(100) - self.discount_percent) / Decimal(100)
        return (self.amount * factor).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)

    @property
    def weighted_amount(self):
        """The forecast contribution: net amount x the stage's win probability."""
        if self.amount is None or self.stage.win_probability is None:
            return None
        value = self.net_amount * self.stage.win_probability / Decimal(100)
        return value.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


class StageTransition(models.Model):
    """Every move of an instance, its opening included (from_stage empty). KPIs read this log."""

    instance = models.ForeignKey(
        ProcessInstance,
        verbose_name=_("instance"),
        on_delete=models.CASCADE,
        related_name="transitions",
    )
    from_stage = models.ForeignKey(
        Stage,
        verbose_name=_("from"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    to_stage = models.ForeignKey(
        Stage, verbose_name=_("to"), on_delete=models.PROTECT, related_name="+"
    )
    at = models.DateTimeField(
        _("at"), default=timezone.now, validators=[bounds.WindowValidator("recorded")]
    )
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        help_text=_("Empty when a scheduled job made the move."),
    )
    note = bounds.text_field(
        _("note"),
        blank=True,
        limit=bounds.SHORT_TEXT,
    )

    class Meta:
        ordering = ["-at", "-id"]
        verbose_name = _("stage transition")
        verbose_name_plural = _("stage transitions")
        constraints = [
            bounds.window_check(
                "at", bounds.RECORDED, name="transition_at_in_window", datetime_field=True
            ),
        ]
        indexes = [
            # Instance page history and the customer page timeline (joined through the instance).
            models.Index(fields=["instance", "-at"], name="transition_instance_idx"),
            # KPIs: entries into a stage per period (win rate, cycle time).
            models.Index(fields=["to_stage", "at"], name="transition_kpi_idx"),
        ]

    def __str__(self):
        return f"{self.instance}: {self.from_stage or '—'} → {self.to_stage}"

    @property
    def is_opening(self):
        return self.from_stage_id is None


class WorkLog(models.Model):
    """Time spent on an instance; its cost is fixed at the rate in force when it was logged."""

    instance = models.ForeignKey(
        ProcessInstance, verbose_name=_("instance"), on_delete=models.CASCADE, related_name="work"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("by"), on_delete=models.PROTECT, related_name="+"
    )
    minutes = models.PositiveIntegerField(
        _("minutes"), validators=[MinValueValidator(1), MaxValueValidator(24 * 60)]
    )
    note = models.CharField(_("note"), max_length=200, blank=True)
    cost = amount_field(_("cost"), positive=False, editable=False)
    logged_at = models.DateTimeField(
        _("logged at"), default=timezone.now, validators=[bounds.WindowValidator("recorded")]
    )

    class Meta:
        ordering = ["-logged_at", "-id"]
        verbose_name = _("work log")
        verbose_name_plural = _("work logs")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(minutes__gte=1, minutes__lte=24 * 60),
                name="worklog_minutes_in_range",
            ),
            bounds.window_check(
                "logged_at", bounds.RECORDED, name="worklog_logged_in_window", datetime_field=True
            ),
        ]
        indexes = [
            # Instance page: the work panel.
            models.Index(fields=["instance", "-logged_at"], name="worklog_instance_idx"),
        ]

    def __str__(self):
        return f"{self.user} · {self.minutes} min"


class Ticket(models.Model):
    """The support details of an instance of a support definition."""

    Priority = SlaPolicy.Priority

    instance = models.OneToOneField(
        ProcessInstance,
        verbose_name=_("instance"),
        on_delete=models.CASCADE,
        primary_key=True,
        related_name="ticket",
    )
    contact_person = models.ForeignKey(
        ContactPerson,
        verbose_name=_("contact person"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="tickets",
    )
    asset = models.ForeignKey(
        Asset,
        verbose_name=_("asset"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="tickets",
    )
    priority = models.CharField(
        _("priority"), max_length=10, choices=Priority, default=Priority.NORMAL
    )
    description = bounds.text_field(
        _("description"),
        limit=bounds.LONG_TEXT,
    )
    response_due_at = models.DateTimeField(
        _("response due"), null=True, blank=True, validators=[bounds.WindowValidator("recorded")]
    )
    resolution_due_at = models.DateTimeField(
        _("resolution due"), null=True, blank=True, validators=[bounds.WindowValidator("recorded")]
    )
    first_response_at = models.DateTimeField(
        _("first response"), null=True, blank=True, validators=[bounds.WindowValidator("recorded")]
    )
    first_response_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("first response by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    resolved_at = models.DateTimeField(
        _("resolved at"), null=True, blank=True, validators=[bounds.WindowValidator("recorded")]
    )

    class Meta:
        verbose_name = _("ticket")
        verbose_name_plural = _("tickets")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(priority__in=["low", "normal", "high", "urgent"]),
                name="ticket_priority_valid",
            ),
            models.CheckConstraint(
                condition=models.Q(first_response_at__isnull=True)
                | models.Q(first_response_by__isnull=False),
                name="ticket_response_has_who",
            ),
            bounds.window_check(
                "response_due_at",
                bounds.RECORDED,
                name="ticket_response_due_in_window",
                datetime_field=True,
            ),
            bounds.window_check(
                "resolution_due_at",
                bounds.RECORDED,
                name="ticket_resolution_due_in_window",
                datetime_field=True,
            ),
            bounds.window_check(
                "first_response_at",
                bounds.RECORDED,
                name="ticket_first_response_in_window",
                datetime_field=True,
            ),
            bounds.window_check(
                "resolved_at",
                bounds.RECORDED,
                name="ticket_resolved_in_window",
                datetime_field=True,
            ),
        ]
        indexes = [
            # SLA watch: tickets still waiting for a first response.
            models.Index(
                fields=["response_due_at"],
                condition=models.Q(first_response_at__isnull=True),
                name="ticket_awaiting_response_idx",
            ),
            # SLA watch: tickets not yet resolved.
            models.Index(
                fields=["resolution_due_at"],
                condition=models.Q(resolved_at__isnull=True),
                name="ticket_unresolved_idx",
            ),
        ]

    def __str__(self):
        return str(self.instance)

    def clean(self):
        errors = {}
        customer_id = self.instance.customer_id if self.instance_id else None
        if self.contact_person and self.contact_person.customer_id != customer_id:
            errors["contact_person"] = _("This person represents another customer.")
        if self.asset and self.asset.customer_id != customer_id:
            errors["asset"] = _("This asset belongs to another customer.")
        if errors:
            raise ValidationError(errors)

    def response_breached(self, now=None):
        if self.response_due_at is None:
            return False
        return (self.first_response_at or now or timezone.now()) > self.response_due_at

    def resolution_breached(self, now=None):
        if self.resolution_due_at is None:
            return False
        return (self.resolved_at or now or timezone.now()) > self.resolution_due_at


class CollectionCase(models.Model):
    """The collections details of an instance: the overdue invoice it chases, opened once."""

    instance = models.OneToOneField(
        ProcessInstance,
        verbose_name=_("instance"),
        on_delete=models.CASCADE,
        primary_key=True,
        related_name="collection",
    )
    invoice = models.OneToOneField(
        Invoice,
        verbose_name=_("invoice"),
        on_delete=models.PROTECT,
        related_name="collection_case",
        help_text=_("One case per invoice, whether the job or a person opened it."),
    )
    balance_at_open = amount_field(_("balance when opened"))
    reminders_sent = models.PositiveSmallIntegerField(_("e-mails sent"), default=0)

    class Meta:
        verbose_name = _("collection case")
        verbose_name_plural = _("collection cases")

    def __str__(self):
        return f"{self.invoice} · {self.instance}"

    @property
    def amount_recovered(self):
        """What the customer has paid since the case opened (the invoice's payments tell)."""
        return max(self.balance_at_open - self.invoice.balance, ZERO)


class TaskQuerySet(models.QuerySet):
    def open(self):
        return self.filter(done_at__isnull=True)


class Task(models.Model):
    """A to-do for someone, on a customer and optionally on one of its processes."""

    customer = models.ForeignKey(
        Customer, verbose_name=_("customer"), on_delete=models.PROTECT, related_name="tasks"
    )
    instance = models.ForeignKey(
        ProcessInstance,
        verbose_name=_("process"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="tasks",
    )
    title = models.CharField(_("title"), max_length=200)
    notes = bounds.text_field(
        _("notes"),
        blank=True,
        limit=bounds.LONG_TEXT,
    )
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("assigned to"),
        on_delete=models.PROTECT,
        related_name="process_tasks",
    )
    due_on = models.DateField(_("due on"), validators=[bounds.WindowValidator("business")])
    done_at = models.DateTimeField(_("done at"), null=True, blank=True, editable=False)
    done_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("done by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        editable=False,
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    created_at = models.DateTimeField(
        _("created at"), default=timezone.now, validators=[bounds.WindowValidator("recorded")]
    )

    objects = TaskQuerySet.as_manager()

    class Meta:
        ordering = ["due_on", "id"]
        verbose_name = _("task")
        verbose_name_plural = _("tasks")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(done_at__isnull=True, done_by__isnull=True)
                | models.Q(done_at__isnull=False, done_by__isnull=False),
                name="task_done_has_when_and_who",
            ),
            bounds.window_check("due_on", bounds.BUSINESS, name="task_due_in_window"),
            bounds.window_check(
                "created_at", bounds.RECORDED, name="task_created_in_window", datetime_field=True
            ),
        ]
        indexes = [
            # "My tasks": open tasks of a user by due date.
            models.Index(fields=["assignee", "done_at", "due_on"], name="task_assignee_idx"),
            # Customer page: open tasks of the customer.
            models.Index(fields=["customer", "done_at", "due_on"], name="task_customer_idx"),
        ]

    def __str__(self):
        return self.title

    def clean(self):
        if self.instance_id and self.customer_id and self.instance.customer_id != self.customer_id:
            raise ValidationError({"instance": _("This process belongs to another customer.")})

    @property
    def is_done(self):
        return self.done_at is not None

    @property
    def is_overdue(self):
        return not self.is_done and self.due_on < timezone.localdate()


class Notification(models.Model):
    """An in-app message (mirrored by e-mail). `occurrence` names the event it is about, so the
    watch job can run any number of times and still warn once per event."""

    class Kind(models.TextChoices):
        STAGE_SLA_WARNING = "stage_sla_warning", _("Stage SLA exceeded")
        STAGE_SLA_ESCALATION = "stage_sla_escalation", _("Stage SLA escalated")
        STALL_WARNING = "stall_warning", _("No activity")
        STALL_ESCALATION = "stall_escalation", _("No activity, escalated")
        RESPONSE_SLA_BREACH = "response_sla_breach", _("Ticket response overdue")
        RESOLUTION_SLA_BREACH = "resolution_sla_breach", _("Ticket resolution overdue")
        APPROVAL_REQUESTED = "approval_requested", _("Approval requested")
        APPROVAL_DECIDED = "approval_decided", _("Approval decided")
        TASK_ASSIGNED = "task_assigned", _("Task assigned")

    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("recipient"),
        on_delete=models.CASCADE,
        related_name="process_notifications",
    )
    kind = models.CharField(_("kind"), max_length=30, choices=Kind)
    instance = models.ForeignKey(
        ProcessInstance,
        verbose_name=_("process"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="notifications",
    )
    occurrence = models.CharField(
        _("occurrence"),
        max_length=100,
        help_text=_("What the notification is about, e.g. the stage entry that ran late."),
    )
    message = models.CharField(_("message"), max_length=300)
    created_at = models.DateTimeField(
        _("created at"), default=timezone.now, validators=[bounds.WindowValidator("recorded")]
    )
    read_at = models.DateTimeField(
        _("read at"), null=True, blank=True, validators=[bounds.WindowValidator("recorded")]
    )
    emailed = models.BooleanField(_("e-mailed"), default=False)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        constraints = [
            # The watch job's idempotency: one notification per recipient and event, ever.
            models.UniqueConstraint(
                fields=["recipient", "kind", "instance", "occurrence"],
                name="notification_once_per_event",
            ),
            bounds.window_check(
                "created_at",
                bounds.RECORDED,
                name="notification_created_in_window",
                datetime_field=True,
            ),
            bounds.window_check(
                "read_at", bounds.RECORDED, name="notification_read_in_window", datetime_field=True
            ),
        ]
        indexes = [
            # Notifications page: a user's newest first, unread filter.
            models.Index(fields=["recipient", "-created_at"], name="notification_recipient_idx"),
        ]

    def __str__(self):
        return self.message


class Approval(models.Model):
    """A request for a manager's decision; the action it gates proceeds only once approved."""

    class Action(models.TextChoices):
        DISCOUNT = "discount", _("Discount above the threshold")
        WRITE_OFF = "write_off", _("Write off a collection case")
        START = "start", _("Start despite a decision rule")

    class Decision(models.TextChoices):
        PENDING = "pending", _("Pending")
        APPROVED = "approved", _("Approved")
        REJECTED = "rejected", _("Rejected")

    instance = models.ForeignKey(
        ProcessInstance,
        verbose_name=_("process"),
        on_delete=models.CASCADE,
        related_name="approvals",
    )
    action = models.CharField(_("what"), max_length=20, choices=Action)
    value = models.DecimalField(
        _("value"),
        max_digits=14,
        decimal_places=2,
        null=True,
        blank=True,
        help_text=_("E.g. the discount in percent that is asked for."),
        validators=[bounds.min_zero_validator(), bounds.max_amount_validator()],
    )
    reason = bounds.text_field(
        _("why"),
        blank=True,
        limit=bounds.SHORT_TEXT,
    )
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("requested by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        help_text=_("Empty when a scheduled job started the process a decision rule held."),
    )
    requested_at = models.DateTimeField(
        _("requested at"), default=timezone.now, validators=[bounds.WindowValidator("recorded")]
    )
    decision = models.CharField(
        _("decision"), max_length=10, choices=Decision, default=Decision.PENDING
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("decided by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    decided_at = models.DateTimeField(
        _("decided at"), null=True, blank=True, validators=[bounds.WindowValidator("recorded")]
    )
    comment = bounds.text_field(
        _("comment"),
        blank=True,
        limit=bounds.SHORT_TEXT,
    )

    class Meta:
        ordering = ["-requested_at", "-id"]
        verbose_name = _("approval")
        verbose_name_plural = _("approvals")
        constraints = [
            models.UniqueConstraint(
                fields=["instance", "action"],
                condition=models.Q(decision="pending"),
                name="one_pending_approval_per_action",
                violation_error_message=_("This is already waiting for a manager's decision."),
            ),
            models.CheckConstraint(
                condition=models.Q(decision__in=["pending", "approved", "rejected"]),
                name="approval_decision_valid",
            ),
            models.CheckConstraint(
                condition=models.Q(decision="pending", decided_at__isnull=True)
                | models.Q(
                    ~models.Q(decision="pending"),
                    decided_at__isnull=False,
                    decided_by__isnull=False,
                ),
                name="approval_decision_has_when_and_who",
            ),
            # Four eyes: nobody decides their own request.
            models.CheckConstraint(
                condition=models.Q(decided_by__isnull=True)
                | models.Q(requested_by__isnull=True)
                | ~models.Q(decided_by=models.F("requested_by")),
                name="approval_not_self_decided",
                violation_error_message=_("Nobody can decide their own request."),
            ),
            # Only a job's start held by a decision rule comes from nobody in particular.
            models.CheckConstraint(
                condition=models.Q(requested_by__isnull=False) | models.Q(action="start"),
                name="approval_has_requester",
            ),
            bounds.window_check(
                "requested_at",
                bounds.RECORDED,
                name="approval_requested_in_window",
                datetime_field=True,
            ),
            bounds.window_check(
                "decided_at",
                bounds.RECORDED,
                name="approval_decided_in_window",
                datetime_field=True,
            ),
        ]
        indexes = [
            # Approvals queue: pending requests, oldest first.
            models.Index(fields=["decision", "requested_at"], name="approval_queue_idx"),
        ]

    def __str__(self):
        return f"{self.get_action_display()} · {self.instance}"

    @property
    def is_pending(self):
        return self.decision == self.Decision.PENDING


def stage_deadline(stage: Stage, entered_at):
    return entered_at + timedelta(hours=stage.sla_hours) if stage.sla_hours else None
