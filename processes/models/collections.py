"""Collection cases: the collections details of an instance, chasing one overdue invoice."""

from django.db import models
from django.utils.translation import gettext_lazy as _

from core.money import ZERO, amount_field
from core.visibility import FinanceRecordQuerySet
from relationships.models import Invoice

from .instances import ProcessInstance


class CollectionCaseQuerySet(FinanceRecordQuerySet):
    customer_path = "instance__customer__"


class CollectionCase(models.Model):
    """The collections details of an instance: the overdue invoice it chases, opened once."""

    instance = models.OneToOneField(
        ProcessInstance,
        verbose_name=_("instance"),
        on_delete=models.CASCADE,
        primary_key=True,
        related_name="collection",
    )
    invoice = models.OneToOneField(
        Invoice,
        verbose_name=_("invoice"),
        on_delete=models.PROTECT,
        related_name="collection_case",
        help_text=_("One case per invoice, whether the job or a person opened it."),
    )
    balance_at_open = amount_field(_("balance when opened"))
    reminders_sent = models.PositiveSmallIntegerField(_("e-mails sent"), default=0)

    objects = CollectionCaseQuerySet.as_manager()

    class Meta:
        verbose_name = _("collection case")
        verbose_name_plural = _("collection cases")

    def __str__(self):
        return f"{self.invoice} · {self.instance}"

    @property
    def amount_recovered(self):
        """What the customer has paid since the case opened (the invoice's payments tell)."""
        return max(self.balance_at_open - self.invoice.balance, ZERO)
