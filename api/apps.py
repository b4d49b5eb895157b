from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ApiConfig(AppConfig):
    name = "api"
    verbose_name = _("API")

    def ready(self):
        from core import audit

        from . import schema  # noqa: F401 (registers the bearer token with drf-spectacular)
        from .models import ApiToken

        # Creating and revoking a token are in the audit with who, when and from where; the
        # secret's hash and the last-use stamp (written by every request) are not.
        audit.register(ApiToken, exclude=["secret_hash", "last_used_at"])
