"""Retention campaigns: one retention instance per customer of a segment."""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core import bounds
from customers.models import Segment

from .definitions import ProcessDefinition


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
