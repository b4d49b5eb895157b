from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from analytics import forecast
from core.management.base import TranslatedCommand


class Command(TranslatedCommand):
    help = gettext_lazy(
        "Write down today's weighted sales pipeline (the weekly job), for forecast accuracy."
    )

    def handle(self, *args, **options):
        written = forecast.forecast_snapshot_take()
        if written:
            self.stdout.write(_("Forecast snapshot: %(rows)d rows written.") % {"rows": written})
        else:
            self.stdout.write(_("Today's forecast snapshot already exists (or nothing is open)."))
