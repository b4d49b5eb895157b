"""What relationships add to the customer page: status header, contact log, relationship history."""

from datetime import datetime, time

from django.utils import timezone

from customers import roles
from customers.customer_page import (
    TimelineEntry,
    register_history_source,
    register_section,
    register_timeline_source,
)

from .forms import InteractionForm, RelationshipStartForm
from .models import Interaction, Relationship


def _relationships(customer):
    # Cached per customer object: header, side panel and timeline share one query.
    if not hasattr(customer, "_relationships_cache"):
        customer._relationships_cache = list(
            customer.relationships.select_related("ended_by", "started_by")
        )
    return customer._relationships_cache


def header_context(request, customer):
    relationships = _relationships(customer)
    current = relationships[0] if relationships else None
    last_contact = (
        customer.interactions.select_related("created_by", "contact_person")
        .order_by("-occurred_at", "-id")
        .first()
    )
    return {
        "relationship": current,
        "last_contact": last_contact,
        "start_form": RelationshipStartForm(),
        "returning": len(relationships) > 1,
    }


def log_context(request, customer):
    if not roles.has_role(request.user, roles.LOG_INTERACTIONS):
        return {"form": None}
    return {"form": InteractionForm(customer=customer)}


def history_context(request, customer):
    return {"relationships": _relationships(customer)}


def interaction_entries(customer, *, limit):
    interactions = (
        Interaction.objects.filter(customer=customer)
        .select_related("created_by", "contact_person")
        .order_by("-occurred_at", "-id")[:limit]
    )
    for interaction in interactions:
        yield TimelineEntry(
            interaction.occurred_at,
            "interaction",
            "relationships/_timeline_interaction.html",
            interaction,
        )


def relationship_entries(customer, *, limit):
    events = []
    for relationship in _relationships(customer):
        if relationship.ended_at:
            events.append(
                TimelineEntry(
                    relationship.ended_at,
                    "relationship_ended",
                    "relationships/_timeline_relationship.html",
                    relationship,
                )
            )
        started = timezone.make_aware(datetime.combine(relationship.started_on, time.min))
        events.append(
            TimelineEntry(
                started,
                "relationship_started",
                "relationships/_timeline_relationship.html",
                relationship,
            )
        )
    events.sort(reverse=True)
    return events[:limit]


register_section(
    slot="header", order=10, template="relationships/_header.html", context=header_context
)
register_section(
    slot="main", order=10, template="relationships/_log_interaction.html", context=log_context
)
register_section(
    slot="side",
    order=20,
    template="relationships/_relationships_panel.html",
    context=history_context,
)
register_timeline_source(interaction_entries)
register_timeline_source(relationship_entries)
register_history_source(lambda customer: Relationship.history.filter(customer_id=customer.pk))
