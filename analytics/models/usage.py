"""System usage: the reports opened, the days each user was active, and the nightly per-day
counts of records added (analytics.usage reads them)."""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core import bounds


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
