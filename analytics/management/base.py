from datetime import date, timedelta

from django.core.management.base import CommandError
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from core.management.base import TranslatedCommand


class DayRollupCommand(TranslatedCommand):
    """Recompute a nightly per-day rollup for a range of past days, or, without a range, do
    what the nightly job does. Subclasses give `nightly(today)` and `rollup(first, last)`,
    each returning the number of days computed."""

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
        today = timezone.localdate()
        yesterday = today - timedelta(days=1)
        if start is None:
            if end is not None:
                raise CommandError(_("--end needs --start."))
            days = self.nightly(today)
        else:
            end = end or yesterday
            if max(start, end) > yesterday:
                raise CommandError(_("Only past days can be computed; today is counted live."))
            if end < start:
                raise CommandError(_("The last day is before the first."))
            days = self.rollup(start, end)
        self.stdout.write(
            ngettext("Computed %(days)d day.", "Computed %(days)d days.", days) % {"days": days}
        )

    def nightly(self, today):
        raise NotImplementedError

    def rollup(self, first, last):
        raise NotImplementedError
