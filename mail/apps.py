from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MailConfig(AppConfig):
    name = "mail"
    verbose_name = _("E-mail")

    def ready(self):
        from core import personal_data

        from . import hooks
        from .models import Mailing, MailingRecipient
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
