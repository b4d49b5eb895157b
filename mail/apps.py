from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MailConfig(AppConfig):
    name = "mail"
    verbose_name = _("E-mail")

    def ready(self):
        from core import personal_data
        from core.personal_data import ERASED

        from .models import EmailMessage

        # E-mails are personal data: a person's export includes them, erasure blanks them (the
        # Message-ID stays, so a mailbox sync does not file the message again).
        personal_data.register(
            "email_messages",
            EmailMessage,
            customer="customer",
            contact="contact_person",
            erase={
                "subject": ERASED,
                "body_text": "",
                "from_name": "",
                "from_address": "erased@erased.invalid",
                "to_addresses": [],
                "cc_addresses": [],
            },
        )
