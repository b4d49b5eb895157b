from django.core.management.base import CommandError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from core.management.base import TranslatedCommand
from core.selectors import out_of_bounds_rows


class Command(TranslatedCommand):
    help = gettext_lazy(
        "List the stored rows whose dates, texts or amounts lie outside the accepted bounds "
        "(core.bounds), per model and field with the primary key and the value as stored. "
        "Exits with status 1 when it finds any, so it can be scripted."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--limit",
            type=int,
            default=100,
            help=_("Rows listed per model field at most (default 100)."),
        )

    def handle(self, *args, limit, **options):
        if limit < 1:
            raise CommandError(_("--limit must be at least 1."))
        rows = out_of_bounds_rows(limit_per_column=limit)
        label = None
        for row in rows:
            if row.label != label:
                label = row.label
                self.stdout.write(f"{label} ({row.rule}):")
            self.stdout.write("  " + _("pk=%(pk)s  %(value)s") % {"pk": row.pk, "value": row.value})
        if rows:
            raise CommandError(
                _("%(count)s stored values lie outside the accepted bounds.")
                % {"count": len(rows)},
                returncode=1,
            )
        self.stdout.write(_("Every stored value lies within the accepted bounds."))
