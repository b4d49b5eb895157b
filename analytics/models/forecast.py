"""The weekly snapshots of the weighted sales pipeline that forecast accuracy compares with
what was won (analytics.forecast)."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from core import bounds
from core.money import currency_field


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
