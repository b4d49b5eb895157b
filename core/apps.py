from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CoreConfig(AppConfig):
    name = "core"
    verbose_name = _("Core")

    def ready(self):
        from . import fastpath  # noqa: F401  (registers its system check, core.E001)
        from .db import loaders  # noqa: F401  (registers the connection_created receiver)
