"""Domain events: what happened in the CRM, told to whoever listens (webhooks, for now).

A service publishes an event inside its own transaction, once the write it is about is made:

    events.publish(events.PAYMENT_RECEIVED, instance=payment, data={"payment_id": payment.pk, ...})

The lower apps publish and never import who listens; a higher app (integrations) registers a
receiver in its AppConfig.ready(). Receivers run at once, in the publisher's transaction, so
what they write (a webhook delivery) exists exactly when the event's write does: a rolled-back
payment was never received. They must not do slow work there (no HTTP): they queue it with
core.outbox, which publishes after the commit.

`data` is the event's payload: small, JSON-safe and stable (ids, numbers, amounts as strings,
ISO dates and times). `key`, when given, names the occurrence, so an event a job may notice on
every run (a ticket's breached SLA) is told once: receivers keep one delivery per key.
"""

import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

from django.utils import timezone

CUSTOMER_CREATED = "customer.created"
RELATIONSHIP_ENDED = "relationship.ended"
INVOICE_OVERDUE = "invoice.overdue"
PAYMENT_RECEIVED = "payment.received"
INVOICE_WRITTEN_OFF = "invoice.written_off"
PROCESS_STAGE_CHANGED = "process.stage_changed"
TICKET_SLA_BREACHED = "ticket.sla_breached"
APPROVAL_DECIDED = "approval.decided"

EVENTS = (
    CUSTOMER_CREATED,
    RELATIONSHIP_ENDED,
    INVOICE_OVERDUE,
    PAYMENT_RECEIVED,
    INVOICE_WRITTEN_OFF,
    PROCESS_STAGE_CHANGED,
    TICKET_SLA_BREACHED,
    APPROVAL_DECIDED,
)


@dataclass(frozen=True)
class Event:
    name: str
    data: dict
    instance: object = None
    key: str = field(default_factory=lambda: uuid.uuid4().hex)
    occurred_at: datetime = field(default_factory=timezone.now)


_receivers: list[Callable[[Event], None]] = []


def receiver(function: Callable[[Event], None]) -> Callable[[Event], None]:
    """Register `function(event)` to hear every published event (from an AppConfig.ready())."""
    if function not in _receivers:
        _receivers.append(function)
    return function


def publish(name: str, *, instance=None, data: dict, key: str = "") -> Event:
    """Tell the receivers that `name` happened. Call inside the transaction of the write."""
    if name not in EVENTS:
        raise ValueError(f"Unknown event {name!r}; declare it in core.events.EVENTS.")
    event = Event(name=name, data=data, instance=instance, **({"key": key} if key else {}))
    for function in _receivers:
        function(event)
    return event


def iso(moment) -> str | None:
    """A date or date-time as the payloads write it (ISO 8601; date-times in UTC)."""
    if moment is None:
        return None
    if isinstance(moment, datetime):
        return moment.astimezone(UTC).isoformat()
    return moment.isoformat()


def amount(value) -> str | None:
    """An amount as the payloads write it: a string, so no receiver reads it as a float."""
    return None if value is None else f"{value:.2f}"
