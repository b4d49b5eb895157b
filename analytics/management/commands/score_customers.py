import time

from django.conf import settings
from django.core.management.base import CommandError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from analytics import scoring
from core.management.base import TranslatedCommand
from customers.models import Customer


class Command(TranslatedCommand):
    help = gettext_lazy(
        "Rescore every customer now (the nightly job), with a progress bar; or one customer."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--customer", type=int, help=gettext_lazy("Rescore only this customer (by id).")
        )
        parser.add_argument(
            "--batch-size",
            type=int,
            default=scoring.BATCH_SIZE,
            help=gettext_lazy("Customers per batch (default %(default)s)."),
        )
        parser.add_argument(
            "--workers",
            type=int,
            default=settings.SCORING_WORKERS,
            help=gettext_lazy(
                "Batches scored at once on PostgreSQL, each on its own connection "
                "(default %(default)s, SCORING_WORKERS)."
            ),
        )

    def handle(self, *args, customer=None, batch_size, workers, **options):
        if customer is not None:
            if not Customer.objects.filter(pk=customer).exists():
                raise CommandError(_("There is no customer %(id)s.") % {"id": customer})
            changed = scoring.score_customer(customer)
            self.stdout.write(_("Score changed.") if changed else _("Score unchanged."))
            return
        if batch_size < 1:
            raise CommandError(_("The batch size must be at least 1."))
        if workers < 1:
            raise CommandError(_("There must be at least one worker."))
        started = time.monotonic()
        try:
            run = scoring.score_all_customers(
                batch_size=batch_size, workers=workers, progress=self._progress
            )
        except scoring.AlreadyRunning as error:
            raise CommandError(_("Another scoring run is in progress; try again later.")) from error
        self.stdout.write("")  # ends the progress bar's line
        self.stdout.write(
            _("Scored %(scored)d customers, %(changed)d changed, in %(seconds).1f s.")
            % {
                "scored": run.scored,
                "changed": run.changed,
                "seconds": time.monotonic() - started,
            }
        )

    def _progress(self, run):
        width = 30
        done = run.scored / run.total if run.total else 1
        filled = min(width, int(width * done))
        bar = "#" * filled + "-" * (width - filled)
        self.stdout.write(
            f"\r[{bar}] {min(100, round(100 * done)):3d}%  {run.scored}/{run.total}",
            ending="",
        )
        self.stdout.flush()
