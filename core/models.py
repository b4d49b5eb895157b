"""The task outbox: background work written down in the same transaction as the write that
asks for it, so a broker that is away loses nothing (core.outbox publishes and drains it)."""

from django.conf import settings
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


class Team(models.Model):
    """A group of staff who share their customers: with CRM_VISIBILITY = "team" a user sees the
    customers owned by anyone in one of their teams (core.visibility decides)."""

    name = models.CharField(_("name"), max_length=100, unique=True)
    members = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("members"),
        related_name="crm_teams",
        blank=True,
    )

    class Meta:
        verbose_name = _("team")
        verbose_name_plural = _("teams")
        ordering = ["name"]

    def __str__(self):
        return self.name


class UserProfile(models.Model):
    """What the CRM keeps about a staff member beyond Django's user: their interface language."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        on_delete=models.CASCADE,
        related_name="crm_profile",
    )
    language = models.CharField(
        _("language"),
        max_length=10,
        choices=settings.LANGUAGES,
        blank=True,
        help_text=_("The interface and e-mails in this language; empty: the browser's."),
    )

    class Meta:
        verbose_name = _("user profile")
        verbose_name_plural = _("user profiles")

    def __str__(self):
        return str(self.user)


class KnownLoginAddress(models.Model):
    """An address a user completed a log-in from. The per-username soft limit on failed log-ins
    (core.login_limits) never delays attempts from one, so a stranger hammering a username does
    not slow its owner at their usual desk. At most a few per user, the most recent."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        on_delete=models.CASCADE,
        related_name="+",
    )
    ip_address = models.GenericIPAddressField(_("address"))
    last_login_at = models.DateTimeField(_("last log-in"))

    class Meta:
        verbose_name = _("known log-in address")
        verbose_name_plural = _("known log-in addresses")
        constraints = [
            # Also the look-up of a login attempt: (user, address).
            models.UniqueConstraint(
                fields=["user", "ip_address"], name="core_known_login_address_unique"
            )
        ]

    def __str__(self):
        return f"{self.user} @ {self.ip_address}"
