"""The process KPI dashboard's stored figures: the stage stays measured from the log of moves,
and the nightly per-day rollup (analytics.process_kpis)."""

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core import bounds
from core.money import currency_field


class StageStay(models.Model):
    """One stay of an instance in a working stage, from entering it to the move that ended it.

    Derived from the transition log (analytics.process_kpis.stays, run by a frequent job and
    caught up when the KPI dashboard opens), so the dashboard reads durations instead of pairing
    every move with the one before it on each view.
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
    by the nightly rollup (analytics.process_kpis.rollup) so the KPI dashboard adds up days
    instead of grouping the instance table live.

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
    and p90s of computed days come from these counts (analytics.process_kpis.kpi_days explains
    the buckets and their precision). Written by the nightly rollup with ProcessKpiDay."""

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
