"""Decision rules: a manager's conditions for starting a process, and their upkeep."""

from django.core.exceptions import ValidationError

from core.integrity import save_or_raise_validation
from customers.models import Customer

from ..models import DecisionRule, ProcessDefinition
from ..selectors import Breach, RuleBook


class DecisionRuleRefusal(ValidationError):
    """Starting the process breaks a decision rule that refuses it; the messages say which and
    why. A ValidationError, so forms show it above their fields like any other refusal."""

    def __init__(self, breaches):
        super().__init__([breach.message for breach in breaches], code="decision_rule")
        self.breaches = breaches


def decision_rules_check(
    *, definition: ProcessDefinition, customer: Customer, amount=None, currency=""
) -> list[Breach]:
    """The active rules of `definition` that starting it for `customer` would break, each with
    its reasons; empty when the start may go ahead."""
    return RuleBook(definition).breaches(customer=customer, amount=amount, currency=currency)


def _rule_save(rule: DecisionRule) -> DecisionRule:
    rule.full_clean()
    # A parallel save of the same name: the constraint holds, the user sees it beside the name.
    return save_or_raise_validation(rule, fields={"decision_rule_name_unique": "name"})


def decision_rule_create(*, definition: ProcessDefinition, data: dict, by) -> DecisionRule:
    return _rule_save(DecisionRule(definition=definition, created_by=by, **data))


def decision_rule_update(*, rule: DecisionRule, data: dict) -> DecisionRule:
    for name, value in data.items():
        setattr(rule, name, value)
    return _rule_save(rule)


def decision_rule_set_active(*, rule: DecisionRule, active: bool) -> DecisionRule:
    rule.active = active
    rule.full_clean()
    rule.save(update_fields=["active", "updated_at"])
    return rule
