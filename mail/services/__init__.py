"""Writes of the mail app, one module per concept; every public name importable from
`mail.services`.

sending   email_send (queue an e-mail to contact persons), email_resend, email_deliver (one
          attempt, the Celery task's work), emails_requeue_stale (the sweeper's)
"""

from .sending import (
    Delivery,
    email_deliver,
    email_resend,
    email_send,
    emails_requeue_stale,
    retry_delay,
)

__all__ = [
    "Delivery",
    "email_deliver",
    "email_resend",
    "email_send",
    "emails_requeue_stale",
    "retry_delay",
]
