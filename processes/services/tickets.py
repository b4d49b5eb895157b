"""Support tickets: opened with the deadlines their priority's SLA sets, and first responses."""

from datetime import timedelta

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from customers.models import Customer

from ..models import ProcessDefinition, ProcessInstance, SlaPolicy, Ticket
from .activity import _touch
from .instances import instance_open


def sla_deadlines(*, definition: ProcessDefinition, priority, opened_at):
    """(response due, resolution due) for a ticket of this priority under this definition."""
    policy = SlaPolicy.objects.filter(definition=definition, priority=priority).first()
    if policy is None:
        return None, None
    return (
        opened_at + timedelta(hours=policy.response_hours),
        opened_at + timedelta(hours=policy.resolution_hours),
    )


def ticket_store_sla_due(*, ticket: Ticket):
    """Write the ticket's next deadline (Ticket.next_deadline) on its process as `sla_due_at`,
    what the service queue orders by; a closed ticket has none. Called by every write that
    sets a deadline or meets one: opening, the first response, the admin's edits (closing
    clears it in instance_move)."""
    instance = ticket.instance
    due = ticket.next_deadline() if instance.is_open else None
    ProcessInstance.objects.filter(pk=instance.pk).update(sla_due_at=due)
    instance.sla_due_at = due


@transaction.atomic
def ticket_open(
    *,
    definition: ProcessDefinition,
    customer: Customer,
    subject,
    description,
    priority,
    by,
    contact_person=None,
    asset=None,
    owner=None,
    at=None,
) -> Ticket:
    if definition.kind != ProcessDefinition.Kind.SUPPORT:
        raise ValidationError({"definition": _("Tickets are opened under a support process.")})
    at = at or timezone.now()
    instance = instance_open(
        definition=definition, customer=customer, title=subject, by=by, owner=owner, at=at
    )
    response_due, resolution_due = sla_deadlines(
        definition=definition, priority=priority, opened_at=at
    )
    ticket = Ticket(
        instance=instance,
        contact_person=contact_person,
        asset=asset,
        priority=priority,
        description=description,
        response_due_at=response_due,
        resolution_due_at=resolution_due,
    )
    ticket.full_clean()
    ticket.save()
    ticket_store_sla_due(ticket=ticket)
    return ticket


@transaction.atomic
def ticket_record_first_response(*, ticket: Ticket, by, at=None) -> Ticket:
    ticket = Ticket.objects.select_for_update().select_related("instance").get(pk=ticket.pk)
    if ticket.first_response_at:
        raise ValidationError(_("The first response is already on record."))
    if not ticket.instance.is_open:
        raise ValidationError(_("This ticket is closed."))
    ticket.first_response_at = at or timezone.now()
    ticket.first_response_by = by
    ticket.full_clean()
    ticket.save(update_fields=["first_response_at", "first_response_by"])
    ticket_store_sla_due(ticket=ticket)
    _touch(ticket.instance, at=ticket.first_response_at)
    return ticket
