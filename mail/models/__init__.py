"""E-mail in the workflow: messages written from the CRM and filed from connected mailboxes."""

from .mailboxes import Mailbox
from .messages import EmailMessage

__all__ = ["EmailMessage", "Mailbox"]
