"""Process definitions: the kinds of work with customers, their ordered stages and the KPI
targets managers set for them."""

from datetime import timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.urls import reverse
from django.utils import formats, timezone
from django.utils.translation import gettext_lazy as _

from core import bounds
from core.money import ZERO, AmountField, amount_field, currency_field

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

    name = models.CharField(
        _("name"),
        max_length=100,
        unique=True,
        error_messages={"unique": _("A process definition with this name already exists.")},
    )
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
    version = models.PositiveIntegerField(
        _("version"),
        default=1,
        editable=False,
        help_text=_(
            "The number of the revision in force; every save in the definition editor adds one, "
            "and the editor's form carries it, so two managers cannot overwrite each other."
        ),
    )

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
            models.CheckConstraint(
                condition=models.Q(version__gte=1), name="process_definition_version_positive"
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

    # What each measure is counted in, and so the range of a target for it.
    PERCENT_METRICS = (Metric.WIN_RATE, Metric.RESOLUTION_RATE, Metric.SLA_MET_RATE)
    DAYS_METRICS = (Metric.AVG_CYCLE_DAYS,)
    MAX_PERCENT = 100
    # An average cycle of ten years: longer than any process this CRM runs.
    MAX_DAYS = 3650

    definition = models.ForeignKey(
        ProcessDefinition,
        verbose_name=_("definition"),
        on_delete=models.CASCADE,
        related_name="kpi_targets",
    )
    metric = models.CharField(_("metric"), max_length=30, choices=Metric)
    target = AmountField(
        _("target value"),
        max_digits=14,
        decimal_places=2,
        # The measure's own upper bound, in its words, is clean()'s; this one holds for all.
        validators=[bounds.min_zero_validator(), bounds.max_value_validator(bounds.MAX_AMOUNT)],
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
            # A percentage up to 100, days up to ten years, an amount up to bounds.MAX_AMOUNT.
            models.CheckConstraint(
                condition=models.Q(target__gte=0)
                & (
                    models.Q(
                        metric__in=["win_rate", "resolution_rate", "sla_met_rate"],
                        target__lte=100,
                    )
                    | models.Q(metric="avg_cycle_days", target__lte=3650)
                    | models.Q(
                        metric__in=["avg_cost", "amount_recovered"], target__lte=bounds.MAX_AMOUNT
                    )
                ),
                name="kpi_target_within_its_measures_range",
                violation_error_message=_("The target is outside the range of its KPI."),
            ),
        ]

    def __str__(self):
        return f"{self.definition} · {self.get_metric_display()} = {self.target}"

    @classmethod
    def metrics_for(cls, kind) -> list[str]:
        """The measures the KPI page shows for a process of `kind` (analytics.process_kpis):
        success is a resolved ticket in support (its resolution rate) and a won instance in every
        other kind (the win rate, and the amount won or recovered)."""
        if kind == ProcessDefinition.Kind.SUPPORT:
            excluded = {cls.Metric.WIN_RATE, cls.Metric.AMOUNT_RECOVERED}
        else:
            excluded = {cls.Metric.RESOLUTION_RATE}
        return [metric for metric in cls.Metric.values if metric not in excluded]

    def clean(self):
        super().clean()
        errors = {}
        try:
            kind = self.definition.kind
        except ProcessDefinition.DoesNotExist:
            kind = None  # a new definition's inline row: its kind is checked when saved
        if kind and self.metric and self.metric not in self.metrics_for(kind):
            errors["metric"] = _(
                "“%(metric)s” is not measured for a process of the kind “%(kind)s”."
            ) % {
                "metric": self.get_metric_display(),
                "kind": ProcessDefinition.Kind(kind).label,
            }
        # Only the measure's upper bound: a negative value, or one past every measure's
        # bound, is refused beside the field already (its validators).
        if self.target is not None and self.metric and self.target <= bounds.MAX_AMOUNT:
            if self.metric in self.PERCENT_METRICS and self.target > self.MAX_PERCENT:
                errors["target"] = _("Enter a percentage between 0 and 100.")
            elif self.metric in self.DAYS_METRICS and self.target > self.MAX_DAYS:
                errors["target"] = _("Enter a number of days between 0 and %(limit)s.") % {
                    "limit": formats.number_format(self.MAX_DAYS, force_grouping=True)
                }
        if errors:
            raise ValidationError(errors)


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
            # Deferrable (checked at the end of each statement, not row by row) so that the
            # editor reorders stages in one UPDATE on PostgreSQL. SQLite has no deferrable unique
            # constraints, and Django would then create none: migration 0013 adds the same rule
            # there as a plain unique index, and the editor parks the moved stages first
            # (processes.services.definitions._set_positions).
            models.UniqueConstraint(
                fields=["definition", "position"],
                name="stage_position_unique",
                deferrable=models.Deferrable.IMMEDIATE,
                violation_error_message=_("Another stage of this definition has this position."),
            ),
            # Deferrable for the same reason: the editor renames stages among themselves
            # (two names swapped) in one UPDATE; migration 0017 keeps a plain unique index on
            # SQLite, where the editor parks the renamed stages' names first.
            models.UniqueConstraint(
                fields=["definition", "name"],
                name="stage_name_unique",
                deferrable=models.Deferrable.IMMEDIATE,
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

    # At most MAX_STAGES per definition: the forms that edit a definition's stages together
    # (the definition editor's and the admin's) count what is kept after removals and additions,
    # and the database refuses a ninth position. A per-stage count here would refuse adding one
    # stage while removing another in the same save.

    @property
    def is_terminal(self):
        return bool(self.outcome)


def stage_deadline(stage: Stage, entered_at):
    return entered_at + timedelta(hours=stage.sla_hours) if stage.sla_hours else None


class ProcessDefinitionRevision(models.Model):
    """One saved version of a definition: its fields, stages and SLAs as saved, and what changed.

    Running instances keep what they already hold (their stage deadlines, accrued costs and
    tickets' SLA deadlines were copied when they applied); an instance records the revision
    number in force when it was opened (ProcessInstance.definition_revision).
    """

    definition = models.ForeignKey(
        ProcessDefinition,
        verbose_name=_("definition"),
        on_delete=models.CASCADE,
        related_name="revisions",
    )
    number = models.PositiveIntegerField(_("version"))
    snapshot = models.JSONField(_("snapshot"), default=dict, editable=False)
    summary = bounds.text_field(_("summary"), blank=True, limit=bounds.LONG_TEXT)
    comment = models.CharField(_("comment"), max_length=200, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("saved by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(_("saved at"), default=timezone.now, editable=False)

    class Meta:
        ordering = ["definition", "-number"]
        verbose_name = _("process definition revision")
        verbose_name_plural = _("process definition revisions")
        constraints = [
            models.UniqueConstraint(
                fields=["definition", "number"], name="one_definition_revision_per_number"
            ),
            models.CheckConstraint(
                condition=models.Q(number__gte=1), name="definition_revision_number_positive"
            ),
        ]

    def __str__(self):
        return _("%(definition)s, version %(number)s") % {
            "definition": self.definition,
            "number": self.number,
        }

    def get_absolute_url(self):
        return reverse("processes:definition_revision", args=[self.pk])
