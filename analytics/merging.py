"""What analytics does when two customers are merged (customers.merging calls it).

One current score per customer: the merged customer's scores move to the survivor as history,
the survivor's current score stays current, and the survivor is rescored after the merge
commits (its figures now include the merged customer's invoices, payments and contacts). The
merged customer's data-quality row is dropped: the nightly job computes the survivor's anew.
"""

from core import outbox
from customers.merging import Merge, MergeHook

from . import tasks
from .models import CustomerQuality, CustomerScore


def before(merge: Merge):
    CustomerScore.objects.filter(customer=merge.merged, is_current=True).update(is_current=False)
    CustomerQuality.objects.filter(customer=merge.merged).delete()


def after(merge: Merge):
    outbox.enqueue(tasks.rescore_customer, merge.survivor.pk)


hook = MergeHook(name="analytics", handles=(CustomerQuality,), before=before, after=after)
