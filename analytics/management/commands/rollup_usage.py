from django.utils.translation import gettext_lazy

from analytics import usage
from analytics.management.base import DayRollupCommand


class Command(DayRollupCommand):
    help = gettext_lazy(
        "Recompute the usage report's daily figures for a range of days; without a range, what "
        "the nightly job does: the last week and every day not computed yet."
    )

    def nightly(self, today):
        return usage.usage_rollup_nightly(today=today)

    def rollup(self, first, last):
        return usage.usage_rollup(first=first, last=last)
