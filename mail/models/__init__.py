"""E-mail in the workflow: messages written from the CRM and filed from connected mailboxes."""

from .mailboxes import Mailbox
from .mailings import Mailing, MailingRecipient
from .messages import EmailMessage
from .suppressions import SuppressedAddress
from .templates import MailTemplate

__all__ = ["EmailMessage", "MailTemplate", "Mailbox", "SuppressedAddress"]
__all__ += ["Mailing", "MailingRecipient"]
