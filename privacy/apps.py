from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PrivacyConfig(AppConfig):
    name = "privacy"
    verbose_name = _("Personal data")

    def ready(self):
        from core import audit, personal_data

        from . import customer_page  # noqa: F401  (registers the page's section)
        from .models import Erasure

        # The erasure itself is in the audit (who, when, whose record, why); its reason is the
        # manager's own words and names no personal data by the form's instruction.
        audit.register(Erasure)
        personal_data.declare_impersonal(Erasure)
