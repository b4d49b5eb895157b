"""E-mail templates, one per name and language, written by staff with variables such as
{{ customer.name }} or {{ invoice.balance }} (mail.rendering says which each purpose offers)."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from core import bounds


class MailTemplate(models.Model):
    class Purpose(models.TextChoices):
        CUSTOMER = "customer", _("A customer or contact person")
        INVOICE = "invoice", _("An invoice")
        TICKET = "ticket", _("A ticket")
        COLLECTION = "collection", _("A collection case")
        DEAL = "deal", _("A deal")
        MAILING = "mailing", _("A mailing")

    name = models.CharField(_("name"), max_length=100)
    purpose = models.CharField(
        _("purpose"),
        max_length=20,
        choices=Purpose,
        default=Purpose.CUSTOMER,
        help_text=_("What it is written about: it decides the variables it can use."),
    )
    language = models.CharField(_("language"), max_length=10, choices=settings.LANGUAGES)
    subject = models.CharField(_("subject"), max_length=300)
    body = bounds.text_field(_("text"), limit=bounds.LONG_TEXT)
    is_active = models.BooleanField(_("active"), default=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        ordering = ["name", "language"]
        verbose_name = _("e-mail template")
        verbose_name_plural = _("e-mail templates")
        constraints = [
            models.UniqueConstraint(
                fields=["name", "language"],
                name="mail_template_one_per_language",
                violation_error_message=_("This template already exists in that language."),
            ),
        ]

    def __str__(self):
        return f"{self.name} ({self.language})"

    def clean(self):
        from ..rendering import validate_template

        validate_template(self, field="subject")
        validate_template(self, field="body")
