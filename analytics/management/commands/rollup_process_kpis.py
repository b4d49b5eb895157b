from django.utils.translation import gettext_lazy

from analytics import process_kpis
from analytics.management.base import DayRollupCommand


class Command(DayRollupCommand):
    help = gettext_lazy(
        "Recompute the process KPI dashboard's daily figures for a range of days; without a "
        "range, what the nightly job does: the last week and every day not computed yet."
    )

    def nightly(self, today):
        return process_kpis.process_kpi_rollup_nightly(today=today)

    def rollup(self, first, last):
        return process_kpis.process_kpi_rollup(first=first, last=last)
