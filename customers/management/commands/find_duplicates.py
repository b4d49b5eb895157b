from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

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
        self.stdout.write(
            _("%(scanned)s customers looked at, %(new)s new possible duplicates.") % result
        )
