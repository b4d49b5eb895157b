from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MailConfig(AppConfig):
    name = "mail"
    verbose_name = _("E-mail")

    def ready(self):
        from core import personal_data
        from core.personal_data import ERASED

        from . import (
            customer_page,  # noqa: F401  (registers the customer page's e-mail section)
            hooks,
        )
        from .models import EmailMessage, Mailing, MailingRecipient
        from .services.mailings import mailing_recipient_bounced

        # A bounce the mailbox sync finds marks the mailing recipient it came back for.
        hooks.on_bounce(mailing_recipient_bounced)
        # Who received which mailing, at which address: exported with the person; erasure
        # blanks the address and the error (the server's reply may quote it).
        personal_data.register(
            "mailing_recipients",
            MailingRecipient,
            customer="customer",
            contact="contact",
            erase={"address": "", "error": ""},
        )
        personal_data.declare_impersonal(Mailing)
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
