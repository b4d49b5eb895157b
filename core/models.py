"""The task outbox: background work written down in the same transaction as the write that
asks for it, so a broker that is away loses nothing (core.outbox publishes and drains it)."""

from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class OutboxMessageQuerySet(models.QuerySet):
    def pending(self):
        return self.filter(sent_at__isnull=True)


class OutboxMessage(models.Model):
    task = models.CharField(_("task"), max_length=200, help_text=_("The Celery task's name."))
    args = models.JSONField(_("positional arguments"), default=list, blank=True)
    kwargs = models.JSONField(_("keyword arguments"), default=dict, blank=True)
    dedupe_key = models.CharField(
        _("deduplication key"),
        max_length=200,
        blank=True,
        help_text=_("Work queued at most once while a message with this key is unsent."),
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    available_at = models.DateTimeField(
        _("next attempt at"),
        default=timezone.now,
        help_text=_("The drainer publishes the message from this moment on."),
    )
    attempts = models.PositiveIntegerField(_("failed attempts"), default=0)
    last_error = models.TextField(_("last error"), blank=True)
    sent_at = models.DateTimeField(
        _("sent at"), null=True, blank=True, help_text=_("When the broker accepted it.")
    )

    objects = OutboxMessageQuerySet.as_manager()

    class Meta:
        verbose_name = _("outbox message")
        verbose_name_plural = _("outbox messages")
        constraints = [
            # enqueue_once: two page views at the same moment queue one message, not two.
            models.UniqueConstraint(
                fields=["dedupe_key"],
                condition=Q(sent_at__isnull=True) & ~Q(dedupe_key=""),
                name="core_outbox_one_unsent_per_dedupe_key",
            ),
        ]
        indexes = [
            # The drainer: unsent messages, oldest first.
            models.Index(
                fields=["available_at", "id"],
                condition=Q(sent_at__isnull=True),
                name="core_outbox_unsent",
            ),
            # The drainer's pruning of sent messages, and enqueue_once's look-back.
            models.Index(fields=["sent_at"], name="core_outbox_sent"),
            models.Index(
                fields=["dedupe_key", "created_at"],
                condition=~Q(dedupe_key=""),
                name="core_outbox_dedupe",
            ),
        ]

    def __str__(self):
        return f"{self.task} #{self.pk}"
