"""Documents: files kept with a customer."""

import uuid

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core import bounds
from core.uploads import storage_filename
from core.visibility import CustomerRecordQuerySet
from customers.models import Customer

from .assets import Asset
from .checks import _same_customer_errors
from .contracts import Contract
from .invoices import Invoice


def document_upload_to(instance, filename):
    # A random folder per file: names never collide and paths cannot be guessed. The name on
    # disk is a plain ASCII one; people see and download the original name.
    return f"documents/{timezone.now():%Y/%m}/{uuid.uuid4().hex}/{storage_filename(filename)}"


class Document(models.Model):
    """A file kept with a customer; downloaded only through a view that checks access."""

    customer = models.ForeignKey(
        Customer, verbose_name=_("customer"), on_delete=models.PROTECT, related_name="documents"
    )
    contract = models.ForeignKey(
        Contract,
        verbose_name=_("contract"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="documents",
    )
    invoice = models.ForeignKey(
        Invoice,
        verbose_name=_("invoice"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="documents",
    )
    asset = models.ForeignKey(
        Asset,
        verbose_name=_("asset"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="documents",
    )
    title = models.CharField(_("title"), max_length=200)
    file = models.FileField(_("file"), upload_to=document_upload_to, max_length=300)
    original_name = models.CharField(_("file name"), max_length=255, editable=False)
    content_type = models.CharField(_("content type"), max_length=100, editable=False)
    size = models.PositiveBigIntegerField(_("size (bytes)"), editable=False)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("uploaded by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    uploaded_at = models.DateTimeField(
        _("uploaded at"), default=timezone.now, validators=[bounds.WindowValidator("past")]
    )

    objects = CustomerRecordQuerySet.as_manager()

    class Meta:
        ordering = ["-uploaded_at", "-id"]
        verbose_name = _("document")
        verbose_name_plural = _("documents")
        constraints = [
            bounds.window_check(
                "uploaded_at", bounds.PAST, name="document_uploaded_in_window", datetime_field=True
            ),
        ]
        indexes = [
            # Customer page: documents panel and timeline.
            models.Index(fields=["customer", "-uploaded_at"], name="document_customer_idx"),
        ]

    def __str__(self):
        return self.title

    def get_absolute_url(self):
        return reverse("relationships:document_download", args=[self.pk])

    def clean(self):
        errors = _same_customer_errors(
            self, contract=self.contract, invoice=self.invoice, asset=self.asset
        )
        if errors:
            raise ValidationError(errors)
