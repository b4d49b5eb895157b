"""The daily digest e-mail: who wants it, and which digests went out (analytics.digest)."""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext

from core import bounds


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
        state = pgettext("digest", "on") if self.enabled else pgettext("digest", "off")
        return f"{self.user_id} · {state}"


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
