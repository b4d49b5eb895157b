"""Assets: equipment the customer uses."""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _

from core import bounds
from core.visibility import CustomerRecordQuerySet
from customers.models import Customer

from .checks import _same_customer_errors
from .contracts import Contract


class Asset(models.Model):
    """Equipment the customer uses."""

    class Status(models.TextChoices):
        IN_USE = "in_use", _("In use")
        UNDER_REPAIR = "under_repair", _("Under repair")
        RETURNED = "returned", _("Returned")
        RETIRED = "retired", _("Retired")

    customer = models.ForeignKey(
        Customer, verbose_name=_("customer"), on_delete=models.PROTECT, related_name="assets"
    )
    contract = models.ForeignKey(
        Contract,
        verbose_name=_("contract"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="assets",
    )
    name = models.CharField(_("name"), max_length=200)
    model = models.CharField(_("model"), max_length=100)
    serial_number = models.CharField(_("serial number"), max_length=100)
    installed_on = models.DateField(
        _("installed on"), null=True, blank=True, validators=[bounds.WindowValidator("business")]
    )
    location = models.CharField(_("location"), max_length=200, blank=True)
    status = models.CharField(_("status"), max_length=20, choices=Status, default=Status.IN_USE)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    objects = CustomerRecordQuerySet.as_manager()

    class Meta:
        ordering = ["-installed_on", "-id"]
        verbose_name = _("asset")
        verbose_name_plural = _("assets")
        constraints = [
            models.UniqueConstraint(
                fields=["model", "serial_number"],
                name="asset_serial_unique_per_model",
                violation_error_message=_("An asset of this model with this serial number exists."),
            ),
            models.CheckConstraint(
                condition=models.Q(status__in=["in_use", "under_repair", "returned", "retired"]),
                name="asset_status_valid",
            ),
            bounds.window_check("installed_on", bounds.BUSINESS, name="asset_installed_in_window"),
        ]
        indexes = [
            # Customer page: assets panel.
            models.Index(fields=["customer", "-installed_on"], name="asset_customer_idx"),
            # Search by serial number alone (service desk: "what is this device?").
            models.Index(fields=["serial_number"], name="asset_serial_idx"),
        ]

    def __str__(self):
        return f"{self.name} ({self.model} #{self.serial_number})"

    def clean(self):
        self.serial_number = (self.serial_number or "").strip()
        errors = _same_customer_errors(self, contract=self.contract)
        if errors:
            raise ValidationError(errors)
