"""What processes do when two customers are merged (customers.merging calls it).

A retention campaign reaches each customer once (a unique constraint): when both customers are
in the same campaign, the survivor's instance stays the campaign's and the merged customer's
instance moves as an ordinary process, the merge recording which.
"""

from customers.merging import Merge, MergeHook

from .models import ProcessInstance


def before(merge: Merge):
    campaigns = ProcessInstance.objects.filter(
        customer=merge.survivor, campaign__isnull=False
    ).values("campaign_id")
    twins = ProcessInstance.objects.filter(customer=merge.merged, campaign_id__in=campaigns)
    for instance in twins:
        merge.notes.append({"detached_from_campaign": instance.campaign_id, "process": instance.pk})
    twins.update(campaign=None)


hook = MergeHook(name="processes", before=before)
