"""Decision rules: a manager's conditions for starting an instance of a definition."""

from decimal import Decimal

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.utils.formats import number_format
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from core import bounds
from core.money import ZERO, AmountField, NumberField, amount_field, currency_symbol, format_amount
from customers.models import Customer

from .definitions import ProcessDefinition


class DecisionRule(models.Model):
    """A manager's rule for starting an instance of a definition, e.g. "only for customers graded
    A or B" or "only above 5,000". Every condition set must hold; a start that breaks one is
    refused, or held until a manager approves it, as `on_break` says. Hand-started and
    job-started instances (retention campaigns, collections) obey the same rules."""

    class OnBreak(models.TextChoices):
        REFUSE = "refuse", _("Refuse to start")
        APPROVAL = "approval", _("Ask a manager")

    definition = models.ForeignKey(
        ProcessDefinition,
        verbose_name=_("process"),
        on_delete=models.CASCADE,
        related_name="decision_rules",
        db_index=False,  # decision_rule_active_idx starts with it
    )
    name = models.CharField(
        _("name"), max_length=100, help_text=_("Shown in the reason when a start is refused.")
    )
    active = models.BooleanField(
        _("active"), default=True, help_text=_("Only active rules are checked.")
    )
    min_grade = models.CharField(
        _("minimum grade"),
        max_length=1,
        choices=Customer.Grade,
        blank=True,
        help_text=_("The customer must have this grade or a better one (A is best)."),
    )
    min_ltv = AmountField(
        _("minimum lifetime value"),
        max_digits=16,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(ZERO), bounds.max_amount_validator()],
        help_text=_(
            "In the process's currency; compared with the customer's lifetime value after "
            "conversion into its currency."
        ),
    )
    max_cost_to_value_percent = NumberField(
        _("maximum cost to value (%)"),
        max_digits=7,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(Decimal("0.01")), bounds.digits_max_validator(7, 2)],
        help_text=_(
            "The expected cost of the process (the average of those closed in the last year) "
            "as a percentage of the customer's lifetime value may not exceed this."
        ),
    )
    min_amount = amount_field(
        _("minimum amount"),
        positive=False,
        null=True,
        blank=True,
        help_text=_(
            "In the process's currency: the process's amount (the deal value, the debt) must be "
            "at least this."
        ),
    )
    on_break = models.CharField(
        _("when broken"),
        max_length=10,
        choices=OnBreak,
        default=OnBreak.REFUSE,
        help_text=_("Refuse to start the process, or start it held until a manager approves."),
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        on_delete=models.PROTECT,
        related_name="+",
        editable=False,
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        ordering = ["definition", "name", "id"]
        verbose_name = _("decision rule")
        verbose_name_plural = _("decision rules")
        constraints = [
            models.UniqueConstraint(
                fields=["definition", "name"],
                name="decision_rule_name_unique",
                violation_error_message=_("Another rule of this process has this name."),
            ),
            models.CheckConstraint(
                condition=~models.Q(min_grade="")
                | models.Q(min_ltv__isnull=False)
                | models.Q(max_cost_to_value_percent__isnull=False)
                | models.Q(min_amount__isnull=False),
                name="decision_rule_has_a_condition",
                violation_error_message=_("Set at least one condition."),
            ),
            models.CheckConstraint(
                condition=models.Q(min_grade__in=["", "A", "B", "C", "D"]),
                name="decision_rule_grade_valid",
            ),
            models.CheckConstraint(
                condition=models.Q(min_ltv__isnull=True) | models.Q(min_ltv__gte=0),
                name="decision_rule_ltv_not_negative",
            ),
            models.CheckConstraint(
                condition=models.Q(max_cost_to_value_percent__isnull=True)
                | models.Q(max_cost_to_value_percent__gt=0),
                name="decision_rule_ratio_positive",
            ),
            models.CheckConstraint(
                condition=models.Q(min_amount__isnull=True) | models.Q(min_amount__gte=0),
                name="decision_rule_amount_not_negative",
            ),
            models.CheckConstraint(
                condition=models.Q(on_break__in=["refuse", "approval"]),
                name="decision_rule_on_break_valid",
            ),
        ]
        indexes = [
            # Opening an instance (by hand or by a job): the active rules of its definition.
            models.Index(fields=["definition", "active"], name="decision_rule_active_idx"),
        ]

    def __str__(self):
        return self.name

    def grade_passes(self, grade):
        """A grade at least as good as the minimum ("B" lets A and B through)."""
        return bool(grade) and grade <= self.min_grade

    def conditions_display(self):
        """The rule's conditions in words, for the rules page."""
        currency = self.definition.currency
        parts = []
        if self.min_grade:
            parts.append(_("grade %(grade)s or better") % {"grade": self.min_grade})
        if self.min_ltv is not None:
            parts.append(
                _("lifetime value at least %(value)s %(currency)s")
                % {"value": format_amount(self.min_ltv), "currency": currency_symbol(currency)}
            )
        if self.max_cost_to_value_percent is not None:
            parts.append(
                _("cost at most %(percent)s%% of the lifetime value")
                % {"percent": number_format(self.max_cost_to_value_percent, 2)}
            )
        if self.min_amount is not None:
            parts.append(
                _("amount at least %(value)s %(currency)s")
                % {"value": format_amount(self.min_amount), "currency": currency_symbol(currency)}
            )
        return parts


# --- Why a start breaks a rule, as data --------------------------------------------------------
# The rule book (processes.selectors.RuleBook) gives each reason as a code and its parameters
# (amounts as decimal strings, currencies as ISO codes); the approval that holds a process keeps
# them (Approval.reason_data), and every reader gets them written in their own language, with
# their own number format, by the functions below.


def _amount(value):
    return format_amount(Decimal(str(value)))


def breach_reason_text(reason: dict) -> str:
    """One reason (`{"code": …, …parameters}`) in the active language."""
    code = reason.get("code")
    if code == "not_scored":
        return gettext("the customer has not been scored yet")
    if code == "no_grade":
        return gettext("the customer has no grade")
    if code == "grade":
        return gettext(
            "the customer is graded %(grade)s, the rule asks for %(minimum)s or better"
        ) % {"grade": reason["grade"], "minimum": reason["minimum"]}
    if code == "no_rate":
        return gettext("no exchange rate links %(from)s and %(to)s") % {
            "from": reason.get("from") or "?",
            "to": reason.get("to") or "?",
        }
    if code == "ltv":
        return gettext(
            "the customer's lifetime value is %(value)s %(currency)s, the rule asks for at "
            "least %(minimum)s %(minimum_currency)s"
        ) % {
            "value": _amount(reason["value"]),
            "currency": currency_symbol(reason["currency"]),
            "minimum": _amount(reason["minimum"]),
            "minimum_currency": currency_symbol(reason["minimum_currency"]),
        }
    if code == "no_ltv":
        return gettext(
            "the customer's lifetime value is %(value)s %(currency)s, so the cost cannot be "
            "weighed against it"
        ) % {"value": _amount(reason["value"]), "currency": currency_symbol(reason["currency"])}
    if code == "ratio":
        return gettext(
            "the cost of %(cost)s %(currency)s is %(percent)s%% of the customer's lifetime "
            "value, the rule allows at most %(maximum)s%%"
        ) % {
            "cost": _amount(reason["cost"]),
            "currency": currency_symbol(reason["currency"]),
            "percent": _amount(reason["percent"]),
            "maximum": _amount(reason["maximum"]),
        }
    if code == "no_amount":
        return gettext("the process has no amount")
    if code == "amount":
        return gettext(
            "the amount is %(amount)s %(currency)s, the rule asks for at least %(minimum)s "
            "%(minimum_currency)s"
        ) % {
            "amount": _amount(reason["amount"]),
            "currency": currency_symbol(reason["currency"]),
            "minimum": _amount(reason["minimum"]),
            "minimum_currency": currency_symbol(reason["minimum_currency"]),
        }
    return str(reason.get("text", code))  # a code this version does not know: never a 500


def breach_text(rule_name: str, reasons: list) -> str:
    """A broken rule and its reasons, as one sentence in the active language."""
    return gettext("Rule “%(name)s”: %(reasons)s.") % {
        "name": rule_name,
        "reasons": "; ".join(breach_reason_text(reason) for reason in reasons),
    }
