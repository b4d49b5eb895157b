"""The stall and SLA watch: owners are warned and managers told, each event once."""

from datetime import timedelta

from django.conf import settings
from django.utils import timezone

from core import events

from ..models import Notification, ProcessDefinition, ProcessInstance, Ticket
from .notifications import managers, notification_send

# Each warning is stored as what it is about (Notification.params): every reader, the recipient
# or anyone reading it later, gets it written in their own language (Notification.text).


def _about(instance, about, **extra):
    return {
        "about": about,
        **instance.title_data(),
        "customer": str(instance.customer),
        **extra,
    }


def _past_stage_sla(instance):
    return _about(instance, "stage_sla", stage=instance.stage.name)


def _stalled(instance, days):
    return _about(instance, "stall", days=days)


def _no_response(instance):
    return _about(instance, "response")


def _past_resolution(instance):
    return _about(instance, "resolution")


def _stamp(moment):
    return moment.strftime("%Y%m%dT%H%M%S.%f")


def _warn_and_escalate(
    *, instance, now, deadline, occurrence, warning, escalation, params, boss_list, seen
):
    """Warn the owner once the deadline has passed; tell the managers once it is long past.

    `seen` holds the (recipient, kind, instance, occurrence) keys already sent: a re-run skips
    them without even trying (the unique constraint still guards against a parallel run).
    """
    sent = 0
    owner = instance.owner
    if owner and owner.is_active and (owner.pk, warning, instance.pk, occurrence) not in seen:
        sent += notification_send(
            recipient=instance.owner,
            kind=warning,
            instance=instance,
            occurrence=occurrence,
            params=params,
        )
    if now >= deadline + timedelta(hours=settings.PROCESS_ESCALATION_HOURS):
        for boss in boss_list:
            if (boss.pk, escalation, instance.pk, occurrence) in seen:
                continue
            sent += notification_send(
                recipient=boss,
                kind=escalation,
                instance=instance,
                occurrence=occurrence,
                params={**params, "escalated": True},
            )
    return sent


def _publish_breach(ticket, *, breached, deadline, told):
    """ticket.sla_breached, when the watch first notices the breach (a warning already sent
    means it was told before; the event's key makes a repeat harmless anyway)."""
    kind = (
        Notification.Kind.RESPONSE_SLA_BREACH
        if breached == "response"
        else Notification.Kind.RESOLUTION_SLA_BREACH
    )
    if (ticket.pk, kind) in told:
        return
    instance = ticket.instance
    events.publish(
        events.TICKET_SLA_BREACHED,
        instance=ticket,
        key=f"ticket:{ticket.pk}:{breached}",
        data={
            "ticket_id": ticket.pk,
            "customer_id": instance.customer_id,
            "title": instance.title,
            "priority": ticket.priority,
            "breached": breached,
            "deadline": events.iso(deadline),
            "owner_id": instance.owner_id,
        },
    )


def processes_watch(*, now=None) -> int:
    """The stall and SLA watch: warn owners and escalate to managers, each event once.

    Safe to run any number of times: notifications are unique per recipient, kind, instance and
    occurrence (the stage entry, the last activity, the ticket), so a re-run sends nothing new.
    Returns the number of notifications sent.
    """
    now = now or timezone.now()
    K = Notification.Kind
    bosses = list(managers())
    sent = 0
    seen = set(
        Notification.objects.filter(
            instance__closed_at__isnull=True,
            kind__in=[
                K.STAGE_SLA_WARNING,
                K.STAGE_SLA_ESCALATION,
                K.STALL_WARNING,
                K.STALL_ESCALATION,
                K.RESPONSE_SLA_BREACH,
                K.RESOLUTION_SLA_BREACH,
            ],
        ).values_list("recipient_id", "kind", "instance_id", "occurrence")
    )
    base = ProcessInstance.objects.open().select_related("owner__crm_profile", "stage", "customer")

    # 1. Past the stage's SLA.
    for instance in base.filter(stage_due_at__lt=now).order_by("stage_due_at")[:1000]:
        sent += _warn_and_escalate(
            instance=instance,
            now=now,
            deadline=instance.stage_due_at,
            occurrence=f"stage:{_stamp(instance.stage_entered_at)}",
            warning=K.STAGE_SLA_WARNING,
            escalation=K.STAGE_SLA_ESCALATION,
            params=_past_stage_sla(instance),
            boss_list=bosses,
            seen=seen,
        )

    # 2. No activity for N days (per definition, else the site default).
    default_days = settings.PROCESS_STALL_DAYS
    by_days = {}
    for pk, days in ProcessDefinition.objects.values_list("pk", "stall_days"):
        by_days.setdefault(days or default_days, []).append(pk)
    for days, definition_ids in by_days.items():
        limit = now - timedelta(days=days)
        stalled = base.filter(definition_id__in=definition_ids, last_activity_at__lt=limit)
        for instance in stalled.order_by("last_activity_at")[:1000]:
            sent += _warn_and_escalate(
                instance=instance,
                now=now,
                deadline=instance.last_activity_at + timedelta(days=days),
                occurrence=f"activity:{_stamp(instance.last_activity_at)}",
                warning=K.STALL_WARNING,
                escalation=K.STALL_ESCALATION,
                params=_stalled(instance, days),
                boss_list=bosses,
                seen=seen,
            )

    # 3. Tickets past their response or resolution deadline.
    tickets = Ticket.objects.filter(instance__closed_at__isnull=True).select_related(
        "instance__owner__crm_profile", "instance__customer"
    )
    told = {(instance_id, kind) for _recipient, kind, instance_id, _occurrence in seen}
    late_response = tickets.filter(first_response_at__isnull=True, response_due_at__lt=now)
    for ticket in late_response.order_by("response_due_at")[:1000]:
        _publish_breach(ticket, breached="response", deadline=ticket.response_due_at, told=told)
        sent += _warn_and_escalate(
            instance=ticket.instance,
            now=now,
            deadline=ticket.response_due_at,
            occurrence="response",
            warning=K.RESPONSE_SLA_BREACH,
            escalation=K.STAGE_SLA_ESCALATION,
            params=_no_response(ticket.instance),
            boss_list=bosses,
            seen=seen,
        )
    late_resolution = tickets.filter(resolved_at__isnull=True, resolution_due_at__lt=now)
    for ticket in late_resolution.order_by("resolution_due_at")[:1000]:
        _publish_breach(ticket, breached="resolution", deadline=ticket.resolution_due_at, told=told)
        sent += _warn_and_escalate(
            instance=ticket.instance,
            now=now,
            deadline=ticket.resolution_due_at,
            occurrence="resolution",
            warning=K.RESOLUTION_SLA_BREACH,
            escalation=K.STAGE_SLA_ESCALATION,
            params=_past_resolution(ticket.instance),
            boss_list=bosses,
            seen=seen,
        )
    return sent
