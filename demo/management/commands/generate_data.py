import argparse
import time
from datetime import date

from django.core.management.base import CommandError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from analytics import scoring
from core.management.base import TranslatedCommand
from demo import datagen
from demo.management.base import require_generator


def _size(text):
    try:
        return datagen.parse_size(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(
            _("“%(value)s” is not a size such as 1000, 100k or 1M.") % {"value": text}
        ) from exc


class Command(TranslatedCommand):
    help = gettext_lazy(
        "Generate realistic customers with contacts, relationships and interactions. "
        "The same seed gives the same data."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--customers",
            type=_size,
            default=1000,
            help=gettext_lazy("How many customers to add, e.g. 1000, 100k or 1M (default 1000)."),
        )
        parser.add_argument(
            "--seed", type=int, default=1, help=gettext_lazy("Random seed (default 1).")
        )
        parser.add_argument(
            "--batch",
            type=_size,
            default=5000,
            help=gettext_lazy("Customers written per transaction (default 5000)."),
        )
        parser.add_argument(
            "--today",
            type=date.fromisoformat,
            default=None,
            help=gettext_lazy(
                "The day the history leads up to, YYYY-MM-DD (default today); fix it to "
                "reproduce the same data on another day."
            ),
        )
        parser.add_argument(
            "--no-scores",
            dest="scores",
            action="store_false",
            help=gettext_lazy("Do not run the scoring job over every customer afterwards."),
        )

    def handle(self, *args, customers, seed, batch, today, scores, **options):
        if seed < 0:
            raise CommandError(_("The seed must not be negative."))
        if batch < 1:
            raise CommandError(_("The batch size must be at least 1."))
        require_generator()
        started = time.perf_counter()
        totals = datagen.generate(
            customers=customers,
            seed=seed,
            batch_size=batch,
            today=today,
            progress=self._progress,
        )
        seconds = time.perf_counter() - started
        rows = sum(totals.values())
        if scores:
            scoring_started = time.perf_counter()
            run = scoring.score_all_customers(as_of=today)
            self.stdout.write(
                _("Scored %(scored)s customers in %(seconds).1f s.")
                % {
                    "scored": f"{run.scored:,}",
                    "seconds": time.perf_counter() - scoring_started,
                }
            )
        for label, count in totals.items():
            self.stdout.write(f"  {label:<34} {count:>12,}")
        self.stdout.write(
            self.style.SUCCESS(
                _("%(rows)s rows for %(customers)s customers in %(seconds).1f s.")
                % {"rows": f"{rows:,}", "customers": f"{customers:,}", "seconds": seconds}
            )
        )

    def _progress(self, progress):
        rate = progress.rows / progress.seconds if progress.seconds else 0
        self.stdout.write(
            _(
                "Batch %(batch)d/%(batches)d: %(customers)s customers, %(rows)s rows, "
                "%(rate)s rows/s"
            )
            % {
                "batch": progress.batch,
                "batches": progress.batches,
                "customers": f"{progress.customers:,}",
                "rows": f"{progress.rows:,}",
                "rate": f"{rate:,.0f}",
            }
        )
