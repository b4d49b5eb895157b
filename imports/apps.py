from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ImportsConfig(AppConfig):
    name = "imports"
    verbose_name = _("Imports")

    def ready(self):
        from core import personal_data

        from . import permissions  # noqa: F401  (declares the permissions)
        from .models import ImportRow

        # A row matched to a customer holds the file's text about them (names, e-mails, phones).
        personal_data.register(
            "import_rows",
            ImportRow,
            customer="match",
            erase={"cells": {}, "values": {}},
            order_by=("batch", "number"),
        )
