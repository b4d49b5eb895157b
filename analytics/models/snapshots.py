"""Report snapshots: what the value and segment reports add up, refreshed every night by
analytics.snapshots, and the grade changes read from the score history."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from core import bounds
from customers.models import Customer, Segment

from .scoring import CustomerScore


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
