from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ProcessesConfig(AppConfig):
    name = "processes"
    verbose_name = _("Processes")

    def ready(self):
        from . import customer_page  # noqa: F401  (registers the section and the timeline)
