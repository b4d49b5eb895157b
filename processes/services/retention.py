"""Retention campaigns: one retention instance for each current customer of a segment."""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from customers.models import Customer
from relationships.models import Contract

from ..models import ProcessDefinition, RetentionCampaign
from ..selectors import RuleBook
from .decision_rules import DecisionRuleRefusal
from .instances import instance_open


def retention_candidates(*, segment, ending_within_days=None, today=None):
    customers = (
        Customer.objects.current().filter(segments=segment).exclude(status=Customer.Status.ENDED)
    )
    if ending_within_days is not None:
        ending = Contract.objects.ending_within(ending_within_days, today=today)
        customers = customers.filter(pk__in=ending.values("customer_id"))
    return customers.distinct().order_by("pk")


@transaction.atomic
def retention_campaign_start(
    *, name, definition: ProcessDefinition, segment, by, ending_within_days=None
) -> RetentionCampaign:
    """Start one retention instance for each (still current) customer of the segment whom `by`
    may work on (their own side's, or every one for a manager).

    Customers a decision rule refuses are skipped (counted in `skipped_by_rules`); those a rule
    holds get an instance that waits for a manager's approval.
    """
    if definition.kind != ProcessDefinition.Kind.RETENTION:
        raise ValidationError({"definition": _("Choose a retention process.")})
    campaign = RetentionCampaign(
        name=name,
        definition=definition,
        segment=segment,
        contracts_ending_within_days=ending_within_days,
        started_by=by,
    )
    campaign.full_clean()
    campaign.save()
    # The customers whose processes the starter may open: all for a manager, otherwise those of
    # the starter's side (core.visibility), so a campaign never opens work on another team's.
    customers = (
        retention_candidates(segment=segment, ending_within_days=ending_within_days)
        .editable_by(by)
        .select_related("owner", "value")  # the decision rules read the customer's value
    )
    book = RuleBook(definition)
    for customer in customers:
        try:
            instance_open(
                definition=definition,
                customer=customer,
                title=name,
                by=by,
                owner=customer.owner or by,
                campaign=campaign,
                rule_book=book,
            )
        except DecisionRuleRefusal:
            campaign.skipped_by_rules += 1
    if campaign.skipped_by_rules:
        campaign.save(update_fields=["skipped_by_rules"])
    return campaign
