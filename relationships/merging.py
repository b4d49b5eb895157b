"""What relationships do when two customers are merged (customers.merging calls it).

One open relationship per customer: when both customers have one, the user chooses which stays
open, and the other is ended by `relationship_end` with the reason "merged" — never silently (the
merge is refused with an error beside the question until it is answered). Afterwards the
survivor's denormalised status, relationship kind and last contact are written again from what
it now holds.
"""

from django import forms
from django.core.exceptions import ValidationError
from django.utils import formats
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from customers.merging import Merge, MergeHook
from customers.models import Customer

from .models import Relationship
from .services.relationships import relationship_end

KEEP_RELATIONSHIP = "keep_relationship"
CHOOSE = gettext_lazy("Both customers have an open relationship: choose the one that stays open.")


def _open_relationships(*customers):
    return list(
        Relationship.objects.open()
        .filter(customer__in=[c.pk for c in customers])
        .select_related("customer")
        .order_by("customer_id")
    )


def _label(relationship):
    return _("%(customer)s: %(status)s since %(started)s (%(kind)s)") % {
        "customer": relationship.customer,
        "status": relationship.get_status_display(),
        "started": formats.date_format(relationship.started_on, "SHORT_DATE_FORMAT"),
        "kind": relationship.get_kind_display(),
    }


def questions(survivor, merged):
    open_ones = _open_relationships(survivor, merged)
    if len(open_ones) < 2:
        return {}
    return {
        KEEP_RELATIONSHIP: forms.TypedChoiceField(
            label=gettext_lazy("Which relationship stays open?"),
            help_text=gettext_lazy(
                "Both customers have an open relationship; a customer has one at a time. "
                "The other one ends with the reason “Merged into another customer”."
            ),
            choices=[(r.pk, _label(r)) for r in open_ones],
            coerce=int,
            widget=forms.RadioSelect,
            error_messages={"required": CHOOSE},
        )
    }


def before(merge: Merge):
    open_ones = _open_relationships(merge.survivor, merge.merged)
    if len(open_ones) < 2:
        return
    keep = merge.options.get(KEEP_RELATIONSHIP)
    if keep not in {r.pk for r in open_ones}:
        raise ValidationError({KEEP_RELATIONSHIP: CHOOSE})
    for relationship in open_ones:
        if relationship.pk != keep:
            relationship_end(
                relationship=relationship,
                reason=Relationship.EndReason.MERGED,
                note=_("Merged: #%(merged)s into #%(survivor)s.")
                % {"merged": merge.merged.pk, "survivor": merge.survivor.pk},
                by=merge.by,
            )
            merge.notes.append(
                {
                    "ended_relationship": relationship.pk,
                    "kept_relationship": keep,
                }
            )


def after(merge: Merge):
    """The survivor's copy of its relationship state and last contact, from what it now holds."""
    survivor = merge.survivor
    current = Relationship.objects.open().filter(customer=survivor).first() or (
        Relationship.objects.filter(customer=survivor).order_by("-ended_at", "-id").first()
    )
    contacts = [c for c in (survivor.last_contact_at, merge.merged.last_contact_at) if c]
    last = max(contacts) if contacts else None
    update = {"last_contact_at": last}
    if current is not None:
        update.update(status=current.status, relationship_kind=current.kind)
    Customer.objects.filter(pk=survivor.pk).update(**update)
    for name, value in update.items():
        setattr(survivor, name, value)


hook = MergeHook(name="relationships", fields=questions, before=before, after=after)
