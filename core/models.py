"""The task outbox: background work written down in the same transaction as the write that
asks for it, so a broker that is away loses nothing (core.outbox publishes and drains it)."""

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

# A saved view's name and its query string (a list's filters are a handful of short values).
VIEW_NAME_MAX_LENGTH = 100
VIEW_QUERY_MAX_LENGTH = 2000


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

    name = models.CharField(
        _("name"),
        max_length=100,
        unique=True,
        error_messages={"unique": _("A team with this name already exists.")},
    )
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


class SavedView(models.Model):
    """A list's filters saved under a name ("Overdue in Prague"): its owner's own, or shared
    with one of the owner's teams. Picking it opens the list with `query` as its query string.
    The lists that have views are registered in core.lists."""

    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("owner"),
        on_delete=models.CASCADE,
        related_name="+",
        db_index=False,  # core_saved_view_unique_name starts with it
    )
    list_key = models.CharField(
        _("list"), max_length=40, help_text=_("Which list: customers, processes, invoices…")
    )
    name = models.CharField(_("name"), max_length=VIEW_NAME_MAX_LENGTH)
    query = models.CharField(
        _("filters"),
        max_length=VIEW_QUERY_MAX_LENGTH,
        blank=True,
        help_text=_("The list's query string, without the page."),
    )
    team = models.ForeignKey(
        Team,
        verbose_name=_("shared with"),
        # A team that goes leaves its views to their owners.
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="saved_views",
        help_text=_("Empty: only its owner sees it."),
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    class Meta:
        verbose_name = _("saved view")
        verbose_name_plural = _("saved views")
        ordering = ["name", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["owner", "list_key", "name"],
                name="core_saved_view_unique_name",
                violation_error_message=_("You already have a view of this list with this name."),
            ),
            models.CheckConstraint(condition=~Q(name=""), name="core_saved_view_has_name"),
        ]
        indexes = [
            # The menu of a list: the views shared with the user's teams.
            models.Index(fields=["team", "list_key"], name="core_saved_view_team"),
        ]

    def __str__(self):
        return self.name


class UserProfile(models.Model):
    """What the CRM keeps about a staff member beyond Django's user: their interface language and
    how they hear of alerts."""

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

    class Alerts(models.TextChoices):
        AT_ONCE = "at_once", _("By e-mail at once, and in the daily digest")
        DIGEST = "digest", _("Only in the daily digest")

    alerts_by_email = models.CharField(
        _("alerts"),
        max_length=10,
        choices=Alerts,
        default=Alerts.AT_ONCE,
        help_text=_(
            "Stall warnings, SLA breaches, escalations and approvals requested: e-mailed when "
            "they happen, or only listed in the daily digest."
        ),
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


class AuditEvent(models.Model):
    """One line of the audit: a record created, changed or deleted, or a security event (a log-in,
    a lock-out, a refused page, an export). Written by core.audit: by database triggers on
    PostgreSQL, by model signals on SQLite; read by the audit list and every history page."""

    class Action(models.TextChoices):
        CREATE = "create", _("created")
        UPDATE = "update", _("changed")
        DELETE = "delete", _("deleted")
        LOGIN = "login", _("logged in")
        LOGIN_FAILED = "login_failed", _("log-in failed")
        LOCKED_OUT = "locked_out", _("locked out")
        DENIED = "denied", _("access refused")
        EXPORT = "export", _("exported")
        BULK = "bulk", _("bulk action")

    RECORD_ACTIONS = (Action.CREATE, Action.UPDATE, Action.DELETE)

    at = models.DateTimeField(_("when"), default=timezone.now)
    action = models.CharField(_("action"), max_length=20, choices=Action)
    model = models.CharField(
        _("kind of record"),
        max_length=100,
        blank=True,
        help_text=_("The model's label, e.g. customers.customer; empty for security events."),
    )
    object_id = models.BigIntegerField(_("record id"), null=True, blank=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        db_index=False,  # audit_user_at starts with it
    )
    username = models.CharField(
        _("user name"),
        max_length=150,
        blank=True,
        help_text=_("As typed at a log-in, or the user's name when the row was written."),
    )
    source = models.CharField(
        _("source"),
        max_length=300,
        blank=True,
        help_text=_("The request's path, or the task or command that made the change."),
    )
    client_address = models.GenericIPAddressField(_("client address"), null=True, blank=True)
    changes = models.JSONField(
        _("changes"),
        default=dict,
        blank=True,
        help_text=_("Column: [old value, new value]; the whole row for a creation or deletion."),
    )
    details = models.JSONField(
        _("details"),
        default=dict,
        blank=True,
        help_text=_("Security events: the permission refused, an export's filters and rows."),
    )

    class Meta:
        verbose_name = _("audit event")
        verbose_name_plural = _("audit events")
        ordering = ["-at", "-id"]
        indexes = [
            # The audit list: newest first, and each of its filters followed by the same order.
            models.Index(fields=["-at", "-id"], name="audit_at"),
            models.Index(fields=["user", "-at", "-id"], name="audit_user_at"),
            models.Index(fields=["action", "-at", "-id"], name="audit_action_at"),
            models.Index(fields=["model", "-at", "-id"], name="audit_model_at"),
            # One record's history (the customer's history page, the list filtered to a record).
            models.Index(fields=["model", "object_id", "-at", "-id"], name="audit_record_at"),
        ]

    def __str__(self):
        return f"{self.at:%Y-%m-%d %H:%M} · {self.get_action_display()} · {self.model}"


def export_upload_to(instance, filename):
    """Where a background export's file goes: under MEDIA_ROOT/exports/, which no URL serves
    (only the owner's download view sends it), in a folder of its own with a name no one can
    guess."""
    return f"exports/{timezone.now():%Y/%m}/{uuid.uuid4().hex}/{filename}"


class ExportJob(models.Model):
    """A list's export too big to write while the browser waits: its rows are written by a
    worker (core.export_jobs) to a file only its owner downloads, kept EXPORT_KEEP_HOURS."""

    class Status(models.TextChoices):
        QUEUED = "queued", _("queued")
        RUNNING = "running", _("being written")
        DONE = "done", _("ready")
        FAILED = "failed", _("failed")

    class Format(models.TextChoices):
        CSV = "csv", "CSV"
        XLSX = "xlsx", "XLSX"

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        on_delete=models.CASCADE,
        related_name="+",
        db_index=False,  # core_export_job_user starts with it
    )
    list_key = models.CharField(
        _("list"), max_length=40, help_text=_("Which list: customers, processes, invoices…")
    )
    format = models.CharField(_("format"), max_length=4, choices=Format)
    query = models.CharField(
        _("filters"),
        max_length=VIEW_QUERY_MAX_LENGTH,
        blank=True,
        help_text=_("The list's query string, without the page and the format."),
    )
    status = models.CharField(_("status"), max_length=10, choices=Status, default=Status.QUEUED)
    # The language of the page it was asked from: the file's headings and values are written
    # in it (core.i18n.work_language).
    language = models.CharField(_("language"), max_length=10, blank=True, editable=False)
    rows = models.PositiveIntegerField(_("rows"), null=True, blank=True)
    file = models.FileField(_("file"), upload_to=export_upload_to, max_length=300, blank=True)
    error = models.CharField(_("error"), max_length=500, blank=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    started_at = models.DateTimeField(_("started at"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)

    class Meta:
        verbose_name = _("export")
        verbose_name_plural = _("exports")
        ordering = ["-created_at", "-id"]
        constraints = [
            # A file is ready only when the whole of it is written: a job is done exactly when
            # it has its file, its row count and the moment it finished.
            models.CheckConstraint(
                condition=~Q(status="done")
                | (~Q(file="") & Q(rows__isnull=False) & Q(finished_at__isnull=False)),
                name="core_export_job_done_has_file",
            ),
            models.CheckConstraint(
                condition=~Q(status="failed") | ~Q(error=""),
                name="core_export_job_failed_has_error",
            ),
        ]
        indexes = [
            # "My exports": a user's newest first.
            models.Index(fields=["user", "-created_at"], name="core_export_job_user"),
            # The expiry job: the oldest first.
            models.Index(fields=["created_at"], name="core_export_job_created"),
        ]

    def __str__(self):
        return f"{self.list_key}.{self.format} #{self.pk}"

    @property
    def filename(self):
        return self.file.name.rsplit("/", 1)[-1] if self.file else ""
