"""Assets: equipment the customer uses."""

from django.conf import settings
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db import models
from django.db.models.functions import Lower
from django.utils.translation import gettext_lazy as _

from core import bounds
from core.visibility import CustomerRecordQuerySet
from customers.models import Customer

from .checks import _same_customer_errors
from .contracts import Contract

SERIAL_UNIQUE = "asset_serial_unique_per_model"
SERIAL_TAKEN = "serial_taken"


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
    # Installed is something that happened: not after today (a future date, such as a typed
    # 2030, would also head the customer's timeline).
    installed_on = models.DateField(
        _("installed on"), null=True, blank=True, validators=[bounds.WindowValidator("past")]
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
            # One device per model and serial number, whatever the case it was typed in
            # ("cnr123" is CNR123): both are free text. An expression constraint, so Django's
            # check reports it on top of the form; validate_constraints() below moves it
            # beside the serial number, and the services map a lost race the same way.
            models.UniqueConstraint(
                Lower("model"),
                Lower("serial_number"),
                name=SERIAL_UNIQUE,
                violation_error_code=SERIAL_TAKEN,
                violation_error_message=_(
                    "An asset of this model with this serial number already exists "
                    "(capital and small letters count as the same)."
                ),
            ),
            models.CheckConstraint(
                condition=models.Q(status__in=["in_use", "under_repair", "returned", "retired"]),
                name="asset_status_valid",
            ),
            bounds.window_check("installed_on", bounds.PAST, name="asset_installed_in_window"),
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

    def validate_constraints(self, exclude=None):
        """Django's check, with the taken serial number said beside the serial number (the
        field the user typed; the model is usually picked from the list)."""
        try:
            super().validate_constraints(exclude=exclude)
        except ValidationError as error:
            errors = error.update_error_dict({})
            on_top = errors.pop(NON_FIELD_ERRORS, [])
            taken = [e for e in on_top if getattr(e, "code", None) == SERIAL_TAKEN]
            if taken:
                errors.setdefault("serial_number", []).extend(taken)
            rest = [e for e in on_top if getattr(e, "code", None) != SERIAL_TAKEN]
            if rest:
                errors[NON_FIELD_ERRORS] = rest
            raise ValidationError(errors) from None
