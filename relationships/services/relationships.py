"""The relationship lifecycle: start, activate, end; the customer's copy of its state."""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from core import events
from core.integrity import save_or_raise_validation
from customers.models import Customer

from ..models import Relationship


def _sync_customer_status(*, customer: Customer, relationship: Relationship):
    """Write the current relationship's state down onto the customer, where lists filter on it."""
    Customer.objects.filter(pk=customer.pk).update(
        status=relationship.status, relationship_kind=relationship.kind
    )
    customer.status = relationship.status
    customer.relationship_kind = relationship.kind


def _touch_last_contact(*, customer: Customer, when):
    # Only moves forward: logging an older call must not hide a newer one.
    Customer.objects.filter(pk=customer.pk).filter(
        Q(last_contact_at__isnull=True) | Q(last_contact_at__lt=when)
    ).update(last_contact_at=when)
    if customer.last_contact_at is None or customer.last_contact_at < when:
        customer.last_contact_at = when


@transaction.atomic
def relationship_activate(*, relationship: Relationship, by) -> Relationship:
    """A prospect becomes an active customer relationship (e.g. the first deal is signed)."""
    relationship = Relationship.objects.select_for_update().get(pk=relationship.pk)
    if relationship.status != Relationship.Status.PROSPECT:
        raise ValidationError(_("Only a prospect relationship can be made active."))
    relationship.status = Relationship.Status.ACTIVE
    relationship.full_clean()
    relationship.save()
    _sync_customer_status(customer=relationship.customer, relationship=relationship)
    return relationship


@transaction.atomic
def relationship_end(*, relationship: Relationship, reason, note="", by) -> Relationship:
    """End a relationship consciously: a person, a reason, a time. Nothing else ever ends one."""
    if not reason:
        raise ValidationError({"end_reason": _("Say why the relationship ends.")})
    if reason not in Relationship.EndReason.values:
        raise ValidationError({"end_reason": _("Choose one of the listed reasons.")})
    if reason == Relationship.EndReason.OTHER and not (note or "").strip():
        raise ValidationError({"end_note": _("Describe the reason when you choose “Other”.")})
    relationship = Relationship.objects.select_for_update().get(pk=relationship.pk)
    if not relationship.is_open:
        raise ValidationError(_("This relationship has already ended."))
    relationship.status = Relationship.Status.ENDED
    relationship.ended_at = timezone.now()
    relationship.ended_by = by
    relationship.end_reason = reason
    relationship.end_note = (note or "").strip()
    relationship.full_clean()
    relationship.save()
    _sync_customer_status(customer=relationship.customer, relationship=relationship)
    events.publish(
        events.RELATIONSHIP_ENDED,
        instance=relationship,
        key=f"relationship:{relationship.pk}:ended",
        data={
            "relationship_id": relationship.pk,
            "customer_id": relationship.customer_id,
            "kind": relationship.kind,
            "started_on": events.iso(relationship.started_on),
            "ended_at": events.iso(relationship.ended_at),
            "ended_by_id": relationship.ended_by_id,
            "end_reason": relationship.end_reason,
            "end_note": relationship.end_note,
        },
    )
    return relationship


@transaction.atomic
def relationship_start(*, customer: Customer, kind=Relationship.Kind.LASTING, by) -> Relationship:
    """A returning customer starts a new relationship; everything earlier stays on the customer."""
    # Lock the customer row so two clicks cannot race; the partial unique index is the backstop.
    Customer.objects.select_for_update().filter(pk=customer.pk).first()
    if Relationship.objects.open().filter(customer=customer).exists():
        raise ValidationError(_("This customer already has an open relationship."))
    relationship = Relationship(customer=customer, kind=kind, started_by=by)
    relationship.full_clean()
    save_or_raise_validation(relationship)
    _sync_customer_status(customer=customer, relationship=relationship)
    return relationship
