"""An import: the uploaded file, how its columns map to fields, each row's preview and outcome."""

from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from customers.models import Customer


class MappingTemplate(models.Model):
    """A named column mapping, reused for the next file from the same source."""

    kind = models.CharField(_("kind"), max_length=30)
    name = models.CharField(_("name"), max_length=100)
    mapping = models.JSONField(
        _("mapping"), default=dict, help_text=_("Folded header text → field name.")
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        ordering = ["kind", "name"]
        verbose_name = _("mapping template")
        verbose_name_plural = _("mapping templates")
        constraints = [
            models.UniqueConstraint(
                fields=["kind", "name"],
                name="import_template_name_unique",
                violation_error_message=_("A template with this name already exists."),
            ),
        ]

    def __str__(self):
        return self.name


class ImportBatch(models.Model):
    """One uploaded file and everything imported from it; undone as a whole."""

    class Status(models.TextChoices):
        UPLOADED = "uploaded", _("Waiting for the column mapping")
        PREPARING = "preparing", _("Reading the file")
        PREVIEW = "preview", _("Ready for review")
        QUEUED = "queued", _("Queued")
        RUNNING = "running", _("Importing")
        DONE = "done", _("Imported")
        FAILED = "failed", _("Failed")
        UNDONE = "undone", _("Undone")

    kind = models.CharField(_("kind"), max_length=30)
    file = models.FileField(_("file"), upload_to="imports/%Y/%m/")
    original_name = models.CharField(_("file name"), max_length=255)
    file_format = models.CharField(_("format"), max_length=10)
    encoding = models.CharField(_("encoding"), max_length=20, blank=True)
    delimiter = models.CharField(_("delimiter"), max_length=2, blank=True)
    header_row = models.PositiveIntegerField(
        _("header row"), default=1, help_text=_("The number of the row holding the column names.")
    )
    headers = models.JSONField(_("column names"), default=list, blank=True)
    mapping = models.JSONField(
        _("mapping"), default=dict, blank=True, help_text=_("Column number → field name.")
    )
    default_country = models.CharField(
        _("default country"),
        max_length=2,
        help_text=_("Country whose phone and tax id rules apply to rows without a country."),
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("owner of new customers"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    status = models.CharField(_("status"), max_length=20, choices=Status, default=Status.UPLOADED)
    # The language of the page it was uploaded from: the worker writes the preview's and the
    # run's messages in it (core.i18n.work_language).
    language = models.CharField(_("language"), max_length=10, blank=True, editable=False)
    error = models.TextField(_("error"), blank=True)
    total_rows = models.PositiveIntegerField(_("rows"), default=0)
    created_count = models.PositiveIntegerField(_("created"), default=0)
    updated_count = models.PositiveIntegerField(_("updated"), default=0)
    skipped_count = models.PositiveIntegerField(_("skipped"), default=0)
    rejected_count = models.PositiveIntegerField(_("rejected"), default=0)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("imported by"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    created_at = models.DateTimeField(_("uploaded at"), auto_now_add=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)
    undone_at = models.DateTimeField(_("undone at"), null=True, blank=True)
    undone_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("undone by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("import")
        verbose_name_plural = _("imports")
        indexes = [
            # The import list: a user's own imports, newest first.
            models.Index(fields=["created_by", "-created_at"], name="import_batch_author_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(
                    status__in=[
                        "uploaded",
                        "preparing",
                        "preview",
                        "queued",
                        "running",
                        "done",
                        "failed",
                        "undone",
                    ]
                ),
                name="import_batch_status_valid",
            ),
            models.CheckConstraint(
                condition=models.Q(header_row__gte=1), name="import_batch_header_row_positive"
            ),
        ]

    def __str__(self):
        return f"{self.original_name} ({self.created_at:%Y-%m-%d %H:%M})"

    def get_absolute_url(self):
        return reverse("imports:detail", args=[self.pk])

    @property
    def audit_source(self):
        return f"import #{self.pk}: {self.original_name}"[:300]

    @property
    def is_working(self):
        return self.status in {self.Status.PREPARING, self.Status.QUEUED, self.Status.RUNNING}


class ImportRow(models.Model):
    """One row of the file: its mapped cells, the errors beside them, its duplicate match, what
    the user chose to do with it and what the run did."""

    class Action(models.TextChoices):
        CREATE = "create", _("Create")
        UPDATE = "update", _("Update the match")
        SKIP = "skip", _("Skip")

    class Outcome(models.TextChoices):
        PENDING = "", _("Not run yet")
        CREATED = "created", _("Created")
        UPDATED = "updated", _("Updated")
        SKIPPED = "skipped", _("Skipped")
        REJECTED = "rejected", _("Rejected")

    batch = models.ForeignKey(
        ImportBatch, verbose_name=_("import"), on_delete=models.CASCADE, related_name="rows"
    )
    number = models.PositiveIntegerField(_("row"), help_text=_("The row's number in the file."))
    cells = models.JSONField(_("cells"), default=dict, help_text=_("Field name → the file's text."))
    values = models.JSONField(
        _("values"),
        default=dict,
        blank=True,
        help_text=_("The cells read and checked for the preview; the run writes these."),
    )
    errors = models.JSONField(_("errors"), default=dict, blank=True)
    group_key = models.CharField(
        _("customer key"),
        max_length=200,
        blank=True,
        help_text=_("Rows repeating a customer's key add contact persons to the first such row."),
    )
    parent = models.ForeignKey(
        "self",
        verbose_name=_("first row of the customer"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
    )
    match = models.ForeignKey(
        Customer,
        verbose_name=_("duplicate of"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )

    class MatchReason(models.TextChoices):
        TAX_ID = "tax_id", _("same tax id")
        EMAIL = "email", _("same e-mail")
        PHONE = "phone", _("same phone")

    match_reason = models.CharField(_("matched on"), max_length=10, choices=MatchReason, blank=True)
    action = models.CharField(_("action"), max_length=10, choices=Action, default=Action.CREATE)
    outcome = models.CharField(
        _("outcome"), max_length=10, choices=Outcome, default=Outcome.PENDING, blank=True
    )
    message = models.CharField(_("reason"), max_length=500, blank=True)
    record_id = models.BigIntegerField(_("record"), null=True, blank=True)
    related_ids = models.JSONField(_("records added with it"), default=list, blank=True)
    previous = models.JSONField(
        _("values before the update"), default=dict, blank=True, help_text=_("For the undo.")
    )

    class Meta:
        ordering = ["batch", "number"]
        verbose_name = _("import row")
        verbose_name_plural = _("import rows")
        constraints = [
            models.UniqueConstraint(fields=["batch", "number"], name="import_row_number_unique"),
            models.CheckConstraint(
                condition=models.Q(action__in=["create", "update", "skip"]),
                name="import_row_action_valid",
            ),
        ]
        indexes = [
            # Repeated customer keys: the first row with a key, found while reading the file.
            models.Index(fields=["batch", "group_key", "number"], name="import_row_key_idx"),
            # The result page's counts and the rejected rows' download; the undo's record lists.
            models.Index(fields=["batch", "outcome", "number"], name="import_row_outcome_idx"),
        ]

    def __str__(self):
        return f"{self.batch_id}:{self.number}"
