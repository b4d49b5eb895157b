"""What the mail app adds to the customer page: the customer's e-mails, both directions,
threaded, with their status, and a way to write one; on the timeline, a failed e-mail with
its error and a "Send again" button (the e-mail's own interaction carries its status).

One query fetches the newest e-mails for the section and the timeline, none when the user may
not see them.
"""

from core import visibility
from core.memo import per_object
from core.pages import TimelineEntry
from core.permissions import can
from customers.customer_page import register_section, register_timeline_source
from customers.selectors import customer_contacts

from .models import EmailMessage
from .permissions import SEND_EMAIL

PANEL_ROWS = 20


@per_object
def _newest(customer):
    return list(
        EmailMessage.objects.filter(customer=customer)
        .select_related("sent_by", "contact_person")
        .order_by("-occurred_at", "-id")[: PANEL_ROWS + 1]
    )


def threads(messages):
    """The messages grouped by thread, the thread with the newest message first; each thread
    oldest first, as it was written."""
    grouped = {}
    for message in messages:
        grouped.setdefault(message.thread_id, []).append(message)
    return [list(reversed(thread)) for thread in grouped.values()]


def emails_context(request, customer):
    messages = _newest(customer)
    can_write = can(request.user, SEND_EMAIL) and visibility.can_edit_owner(
        request.user, customer.owner_id
    )
    return {
        "threads": threads(messages[:PANEL_ROWS]),
        "more": len(messages) > PANEL_ROWS,
        "can_write": can_write and not customer.erased_at,
        # "Write to …" per contact person: the page has fetched them already.
        "contacts": [
            c for c in customer_contacts(customer) if c.is_active and c.email and not c.erased_at
        ]
        if can_write
        else [],
    }


def failed_email_entries(customer, *, limit):
    failed = [m for m in _newest(customer) if m.status == EmailMessage.Status.FAILED]
    return [
        TimelineEntry(m.occurred_at, "email_failed", "mail/_timeline_email_failed.html", m)
        for m in failed[:limit]
    ]


register_section(
    slot="main", order=15, template="mail/_customer_emails.html", context=emails_context
)
register_timeline_source(failed_email_entries)
