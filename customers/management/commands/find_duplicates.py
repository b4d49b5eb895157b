from django.utils.translation import gettext_lazy, ngettext

from core.management.base import TranslatedCommand
from customers.duplicates import duplicates_scan, duplicates_scan_recent


class Command(TranslatedCommand):
    help = gettext_lazy(
        "Look for likely duplicate customers: those created or changed in the last two days "
        "(the nightly job), or every customer with --all."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--all",
            action="store_true",
            help=gettext_lazy("Every customer, e.g. after an import or on a first installation."),
        )

    def handle(self, *args, **options):
        result = duplicates_scan() if options["all"] else duplicates_scan_recent()
        # Two sentences, each with its own plural form.
        looked_at = ngettext(
            "%(scanned)s customer looked at.", "%(scanned)s customers looked at.", result["scanned"]
        ) % {"scanned": result["scanned"]}
        found = ngettext(
            "%(new)s new possible duplicate.", "%(new)s new possible duplicates.", result["new"]
        ) % {"new": result["new"]}
        self.stdout.write(f"{looked_at} {found}")
