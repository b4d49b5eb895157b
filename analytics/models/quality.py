"""Data quality: the managers' template of a complete record, each customer's completeness
against it and the per-owner summary (analytics.quality computes them)."""

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from core import bounds
from customers.models import Customer


class DataQualityTemplateQuerySet(models.QuerySet):
    def current(self):
        """The one template, created with the defaults the first time anyone asks for it."""
        template, _ = self.get_or_create(pk=1)
        return template


class DataQualityTemplate(models.Model):
    """What a complete customer record holds, as managers define it: each checked item is one
    check of the completeness score (analytics.quality). There is one row, created lazily."""

    require_email = models.BooleanField(_("e-mail"), default=True)
    require_phone = models.BooleanField(_("phone"), default=True)
    require_street = models.BooleanField(_("street"), default=True)
    require_postal_code = models.BooleanField(_("postal code"), default=True)
    require_city = models.BooleanField(_("city"), default=True)
    require_country = models.BooleanField(_("country"), default=True)
    require_tax_id = models.BooleanField(
        _("tax id (organisations)"),
        default=True,
        help_text=_("Only organisations need one; people pass this check."),
    )
    require_owner = models.BooleanField(_("owner"), default=True)
    require_segment = models.BooleanField(_("at least one segment"), default=True)
    require_contact = models.BooleanField(_("at least one active contact person"), default=True)
    require_primary_contact = models.BooleanField(_("a primary contact person"), default=True)
    require_contact_email = models.BooleanField(_("a contact person with an e-mail"), default=True)
    require_marketing_consent = models.BooleanField(
        _("marketing consent recorded"),
        default=False,
        help_text=_("At least one contact person's marketing consent, with its date."),
    )
    target = models.PositiveSmallIntegerField(
        _("target completeness (%)"),
        default=80,
        validators=[MinValueValidator(1), MaxValueValidator(100)],
        help_text=_("Records below it are counted as records to fix."),
    )
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)
    computed_at = models.DateTimeField(
        _("scores computed at"),
        null=True,
        blank=True,
        editable=False,
        help_text=_("When the completeness job last finished."),
    )
    last_customer_id = models.BigIntegerField(
        _("last customer checked"),
        default=0,
        editable=False,
        help_text=_("Customers with a higher id were created after the job: not checked yet."),
    )
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("updated by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        editable=False,
    )

    objects = DataQualityTemplateQuerySet.as_manager()

    class Meta:
        verbose_name = _("data quality template")
        verbose_name_plural = _("data quality templates")
        constraints = [
            # One template: the completeness scores always mean the same thing.
            models.CheckConstraint(condition=models.Q(pk=1), name="one_data_quality_template"),
            models.CheckConstraint(
                condition=models.Q(target__gte=1, target__lte=100),
                name="data_quality_target_in_range",
            ),
        ]

    def __str__(self):
        return str(_("Data quality template"))


class CustomerQuality(models.Model):
    """A customer's completeness against the data quality template, written by the nightly
    job (analytics.quality) so that reports aggregate stored numbers instead of checking
    every record live."""

    customer = models.OneToOneField(
        Customer,
        verbose_name=_("customer"),
        on_delete=models.CASCADE,
        primary_key=True,
        related_name="quality",
    )
    score = models.PositiveSmallIntegerField(
        _("completeness (%)"), help_text=_("Share of the template's checks the record passes.")
    )
    failed_checks = models.PositiveIntegerField(
        _("failed checks"),
        default=0,
        help_text=_("A bit per failed check; analytics.quality.CHECKS names the bits."),
    )
    computed_at = models.DateTimeField(
        _("computed at"), validators=[bounds.WindowValidator("recorded")]
    )

    class Meta:
        verbose_name = _("customer data quality")
        verbose_name_plural = _("customer data quality")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(score__gte=0, score__lte=100),
                name="customer_quality_score_in_range",
            ),
        ]
        indexes = [
            # Data quality report: the records to fix, lowest score first.
            models.Index(fields=["score", "customer"], name="customer_quality_score_idx"),
        ]

    def __str__(self):
        return f"{self.customer_id} · {self.score}%"


class QualitySummary(models.Model):
    """The completeness figures of one owner's customers (owner None: nobody's), written by the
    completeness job with the scores, so the report adds up a row per owner instead of
    aggregating every customer's score on every view."""

    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("owner"),
        on_delete=models.CASCADE,
        null=True,
        related_name="+",
    )
    checked = models.PositiveIntegerField(_("records checked"))
    score_sum = models.BigIntegerField(_("sum of the scores"))
    complete = models.PositiveIntegerField(_("complete records"))
    below_target = models.PositiveIntegerField(_("records below the target"))
    failing = models.JSONField(_("records failing each check"), default=dict)

    class Meta:
        verbose_name = _("data quality summary")
        verbose_name_plural = _("data quality summaries")

    def __str__(self):
        return f"{self.owner_id}: {self.checked}"
