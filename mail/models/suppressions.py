"""Addresses no e-mail goes to any more: a hard bounce came back from them."""

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class SuppressedAddress(models.Model):
    class Reason(models.TextChoices):
        BOUNCE = "bounce", _("Bounced")
        COMPLAINT = "complaint", _("Marked as spam")

    address = models.EmailField(
        _("address"),
        max_length=254,
        unique=True,
        error_messages={"unique": _("This address is already on the suppression list.")},
    )
    reason = models.CharField(_("reason"), max_length=10, choices=Reason, default=Reason.BOUNCE)
    diagnostic = models.CharField(_("server's reason"), max_length=500, blank=True)
    bounces = models.PositiveIntegerField(_("bounces"), default=1)
    first_at = models.DateTimeField(_("first"), default=timezone.now)
    last_at = models.DateTimeField(_("last"), default=timezone.now)

    class Meta:
        ordering = ["-last_at"]
        verbose_name = _("suppressed address")
        verbose_name_plural = _("suppressed addresses")

    def __str__(self):
        return self.address
