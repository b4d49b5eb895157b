from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core import bounds


class Erasure(models.Model):
    """A person's data erased: whose record, by whom, when and why. The record itself keeps only
    an "erased" marker (Customer/ContactPerson.erased_at); this row says what happened."""

    customer = models.ForeignKey(
        "customers.Customer",
        verbose_name=_("customer"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    contact = models.ForeignKey(
        "customers.ContactPerson",
        verbose_name=_("contact person"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        help_text=_("Empty when the individual customer was erased as a whole."),
    )
    reason = bounds.text_field(_("reason"), limit=bounds.SHORT_TEXT)
    erased_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("erased by"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    erased_at = models.DateTimeField(
        _("erased at"), default=timezone.now, validators=[bounds.WindowValidator("past")]
    )
    counts = models.JSONField(
        _("records changed"),
        default=dict,
        blank=True,
        help_text=_("Per kind of record, how many rows the erasure anonymised or deleted."),
    )

    class Meta:
        ordering = ["-erased_at", "-id"]
        verbose_name = _("erasure")
        verbose_name_plural = _("erasures")
        constraints = [
            # Idempotent by construction: one erasure per person (a contact person), and one
            # for an individual customer as a whole.
            models.UniqueConstraint(
                fields=["contact"],
                condition=models.Q(contact__isnull=False),
                name="privacy_one_erasure_per_contact",
            ),
            models.UniqueConstraint(
                fields=["customer"],
                condition=models.Q(contact__isnull=True),
                name="privacy_one_erasure_per_customer",
            ),
            models.CheckConstraint(
                condition=~models.Q(reason=""), name="privacy_erasure_has_reason"
            ),
            bounds.window_check(
                "erased_at", bounds.PAST, name="privacy_erasure_in_window", datetime_field=True
            ),
        ]

    def __str__(self):
        return f"{self.erased_at:%Y-%m-%d} · {self.customer_id}/{self.contact_id or '-'}"
