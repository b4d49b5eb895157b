"""The contact log."""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from customers.models import Customer

from ..models import Interaction, Relationship
from .relationships import _touch_last_contact


@transaction.atomic
def interaction_log(
    *,
    customer: Customer,
    by,
    channel,
    direction,
    subject,
    notes="",
    outcome="",
    occurred_at=None,
    contact_person=None,
) -> Interaction:
    if contact_person is not None and contact_person.customer_id != customer.pk:
        raise ValidationError(
            {"contact_person": _("This person does not represent this customer.")}
        )
    interaction = Interaction(
        customer=customer,
        relationship=Relationship.objects.open().filter(customer=customer).first(),
        contact_person=contact_person,
        channel=channel,
        direction=direction,
        subject=subject,
        notes=notes,
        outcome=outcome,
        occurred_at=occurred_at or timezone.now(),
        created_by=by,
    )
    interaction.full_clean()
    interaction.save()
    _touch_last_contact(customer=customer, when=interaction.occurred_at)
    return interaction
