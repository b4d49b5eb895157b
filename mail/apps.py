from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MailConfig(AppConfig):
    name = "mail"
    verbose_name = _("E-mail")

    def ready(self):
        from . import customer_page  # noqa: F401  (registers the customer page's e-mail section)
