from django.core.exceptions import ValidationError
from django.core.files import File
from django.core.management.base import CommandError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from core.management.base import TranslatedCommand
from relationships.models import Document
from relationships.services import document_file_check


class Command(TranslatedCommand):
    help = gettext_lazy(
        "List stored documents that today's upload checks would refuse (stored before uploads "
        "were sniffed: HTML, SVG or a program under an allowed name, or over the size limit), "
        "and those whose file is missing. Exits with status 1 if there are any."
    )

    def handle(self, *args, **options):
        found = 0
        for document in Document.objects.order_by("pk").iterator():
            problem = self.problem(document)
            if problem:
                found += 1
                self.stdout.write(
                    _(
                        "document #%(pk)s of customer #%(customer)s (%(name)r, uploaded "
                        "%(uploaded)s): %(problem)s"
                    )
                    % {
                        "pk": document.pk,
                        "customer": document.customer_id,
                        "name": document.original_name,
                        "uploaded": f"{document.uploaded_at:%Y-%m-%d}",
                        "problem": problem,
                    }
                )
        if found:
            raise CommandError(
                _("%(count)d stored documents fail the upload checks.") % {"count": found}
            )
        self.stdout.write(_("Every stored document passes the upload checks."))

    @staticmethod
    def problem(document):
        try:
            handle = document.file.open("rb")
        except (FileNotFoundError, ValueError):
            return _("the file is missing from storage")
        with handle:
            try:
                # The checks judge the name the user gave and the bytes that were kept.
                document_file_check(File(handle.file, name=document.original_name))
            except ValidationError as error:
                return " ".join(error.messages)
        return ""
