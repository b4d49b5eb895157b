from datetime import date, timedelta

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from analytics import kpi_days


class Command(BaseCommand):
    help = gettext_lazy(
        "Recompute the process KPI dashboard's daily figures for a range of days; without a "
        "range, what the nightly job does: the last week and every day not computed yet."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--start", type=date.fromisoformat, help=gettext_lazy("First day, YYYY-MM-DD.")
        )
        parser.add_argument(
            "--end",
            type=date.fromisoformat,
            help=gettext_lazy("Last day, YYYY-MM-DD (default: yesterday)."),
        )

    def handle(self, *args, start=None, end=None, **options):
        yesterday = timezone.localdate() - timedelta(days=1)
        if start is None:
            if end is not None:
                raise CommandError(_("--end needs --start."))
            days = kpi_days.process_kpi_rollup_nightly(today=timezone.localdate())
        else:
            end = end or yesterday
            if max(start, end) > yesterday:
                raise CommandError(_("Only past days can be computed; today is measured live."))
            if end < start:
                raise CommandError(_("The last day is before the first."))
            days = kpi_days.process_kpi_rollup(first=start, last=end)
        self.stdout.write(_("Computed %(days)d days.") % {"days": days})
