from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MailConfig(AppConfig):
    name = "mail"
    verbose_name = _("E-mail")

    def ready(self):
        from core import personal_data
        from core.personal_data import ERASED

        from . import customer_page  # noqa: F401  (registers the customer page's e-mail section)
        from .models import EmailMessage

        # E-mails are personal data: exported with the person and, on erasure, emptied of what
        # they say and who they went to (the row stays, so its Message-ID still dedupes a sync).
        if not any(source.name == "email_messages" for source in personal_data.sources()):
            personal_data.register(
                "email_messages",
                EmailMessage,
                customer="customer",
                contact="contact_person",
                erase={
                    "subject": ERASED,
                    "body_text": "",
                    "from_name": "",
                    "to_addresses": [],
                    "cc_addresses": [],
                    "references": "",
                },
                order_by=("occurred_at", "pk"),
            )
