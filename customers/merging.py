"""Merging a duplicate customer (or contact person) into its survivor, in one transaction.

Everything that points at the merged customer moves to the survivor. customers cannot import
the apps above it, so the move is generic: every relation to Customer that Django knows
(`Customer._meta.related_objects`) is moved by one UPDATE, and a model added later is covered
without touching this module. What a plain move would break (one open relationship per
customer, one current score per customer, the denormalised status and last contact on the
customer) is handled by the hooks the apps above register in their AppConfig.ready():

    register_merge_hook(MergeHook(handles=(Relationship,), fields=..., before=..., after=...))

The merged customer is never deleted: its row stays, with status "merged" and `merged_into`
naming the survivor (its pages redirect there), and a CustomerMerge records the merge.
"""

from collections.abc import Callable
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.utils.translation import gettext_lazy as _

from core import audit, visibility
from core.integrity import save_or_raise_validation
from core.permissions import can

from .models import ContactPerson, Customer, CustomerMerge, CustomerValue, DuplicateSuggestion
from .permissions import MERGE_CUSTOMERS

# The customer's own fields the user chooses between on the merge screen, in screen order.
MERGE_FIELDS = (
    "kind",
    "display_name",
    "legal_name",
    "tax_id",
    "email",
    "phone",
    "street",
    "postal_code",
    "city",
    "country",
    "owner",
    "source",
    "first_contact_on",
    "notes",
)
CONTACT_MERGE_FIELDS = ("first_name", "last_name", "title", "email", "phone", "language")


@dataclass
class Merge:
    """What a hook is handed: the two customers (locked), the user's answers to the hooks'
    questions (`options`), who merges, and where to write what moved and what was decided."""

    survivor: Customer
    merged: Customer
    options: dict
    by: object
    moved: dict = field(default_factory=dict)
    notes: list = field(default_factory=list)


@dataclass(frozen=True)
class MergeHook:
    """What an app does in a merge beyond the generic move.

    - `handles`: models it moves (or deliberately leaves) itself; the generic move skips them.
    - `fields(survivor, merged)`: form fields for the choices the user must make (a dict of
      name → django field), e.g. which of two open relationships stays open.
    - `before(merge)`: runs before the generic move; raises ValidationError naming its field
      when an answer is missing.
    - `after(merge)`: runs after it; keeps what is denormalised on the survivor in step.
    """

    name: str
    handles: tuple = ()
    fields: Callable | None = None
    before: Callable | None = None
    after: Callable | None = None


_hooks: dict[str, MergeHook] = {}


def register_merge_hook(hook: MergeHook):
    _hooks[hook.name] = hook  # by name: ready() may run twice in some test runners


def merge_hooks():
    return list(_hooks.values())


def merge_questions(survivor, merged):
    """The form fields of every hook's questions about this pair."""
    questions = {}
    for hook in merge_hooks():
        if hook.fields is not None:
            questions.update(hook.fields(survivor, merged))
    return questions


def may_merge(user, *customers):
    """The permission, and the owner's side of both customers (core.visibility)."""
    return can(user, MERGE_CUSTOMERS) and all(
        visibility.can_edit_owner(user, customer.owner_id) for customer in customers
    )


def _lock(model, *pks):
    """Both rows locked, in id order, so two merges of overlapping pairs cannot deadlock."""
    rows = {
        row.pk: row for row in model.objects.select_for_update().filter(pk__in=pks).order_by("pk")
    }
    if len(rows) != len(set(pks)):
        raise ValidationError(_("One of the records no longer exists."))
    return [rows[pk] for pk in pks]


def _snapshot(value):
    return value.pk if isinstance(value, models.Model) else value


def _choose_values(survivor, merged, values, names):
    """Sets the chosen values on the survivor; returns field → [survivor's, merged's, kept]."""
    record = {}
    for name in names:
        if name not in values:
            continue
        model_field = survivor._meta.get_field(name)
        attname = model_field.attname
        before, other, chosen = (
            getattr(survivor, attname),
            getattr(merged, attname),
            _snapshot(values[name]),
        )
        if before == other:
            continue
        if isinstance(values[name], models.Model):
            setattr(survivor, name, values[name])
        else:
            setattr(survivor, attname, chosen)
        record[name] = [before, other, chosen]
    return record


def _move_generic(merge: Merge, *, skip):
    """Moves every row of every model pointing at the merged customer (each relation one UPDATE),
    and the customer's own many-to-many rows (segments)."""
    survivor, merged = merge.survivor, merge.merged
    for relation in Customer._meta.related_objects:
        model = relation.related_model
        if model in skip:
            continue
        if relation.many_to_many:
            through = relation.through
            source = relation.field.m2m_reverse_field_name()
            target = relation.field.m2m_field_name()
            kept = through._base_manager.filter(**{source: survivor}).values(target)
            through._base_manager.filter(**{source: merged, f"{target}__in": kept}).delete()
            count = through._base_manager.filter(**{source: merged}).update(**{source: survivor})
        else:
            name = relation.field.name
            count = model._base_manager.filter(**{name: merged}).update(**{name: survivor})
        if count:
            merge.moved[model._meta.label_lower] = count
    for m2m in Customer._meta.many_to_many:
        theirs = list(getattr(merged, m2m.name).all())
        if theirs:
            getattr(survivor, m2m.name).add(*theirs)
            getattr(merged, m2m.name).clear()
            merge.moved[f"{m2m.related_model._meta.label_lower}"] = len(theirs)


@transaction.atomic
def customer_merge(*, survivor, merged, values, by, options=None, versions=None) -> CustomerMerge:
    """Merge `merged` into `survivor`: the survivor takes `values` (field → value, from
    MERGE_FIELDS), every record of the merged customer moves to it, the hooks settle what must
    stay single, and the merged customer's row stays, marked merged into the survivor.

    `options` are the answers to the hooks' questions (`merge_questions`); `versions` maps each
    customer's pk to the `updated_at` the user saw: a customer changed since is refused, as is a
    customer already merged (a second merge of the same pair in another tab).
    """
    if survivor.pk == merged.pk:
        raise ValidationError(_("Choose two different customers."))
    # The value rows first: the scoring job locks those (not the customers) before it writes a
    # score, and a score's foreign key then waits for a customer this merge has locked; taken
    # in the same order by both, a merge and a scoring batch wait for each other, never deadlock.
    list(
        CustomerValue.objects.select_for_update()
        .filter(pk__in=(survivor.pk, merged.pk))
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    first, second = _lock(Customer, *sorted((survivor.pk, merged.pk)))
    survivor, merged = (first, second) if first.pk == survivor.pk else (second, first)
    if not may_merge(by, survivor, merged):
        raise ValidationError(_("You may merge only customers you may change, both of them."))
    for customer in (survivor, merged):
        if customer.status == Customer.Status.MERGED:
            raise ValidationError(
                _("%(customer)s has already been merged into another customer.")
                % {"customer": customer}
            )
        seen = (versions or {}).get(customer.pk)
        if seen is not None and seen != customer.updated_at:
            raise ValidationError(
                _(
                    "%(customer)s was changed by someone else while you were choosing; "
                    "review the values again."
                )
                % {"customer": customer}
            )
    merge = Merge(survivor=survivor, merged=merged, options=options or {}, by=by)
    chosen = _choose_values(survivor, merged, values, MERGE_FIELDS)
    with audit.audit_context(user=by):  # also outside a request (the shell, a job)
        # Each customer has exactly one value row (one per primary key): the merged customer
        # keeps its own, as it was, and the survivor's is rescored after the merge (analytics).
        handled = {ContactPerson, CustomerMerge, CustomerValue, DuplicateSuggestion, Customer}
        for hook in merge_hooks():
            handled.update(hook.handles)
            if hook.before is not None:
                hook.before(merge)
        _move_contacts(merge)
        _move_generic(merge, skip=handled)
        # A merged customer merged earlier into this one now leads to the new survivor.
        Customer.objects.filter(merged_into=merged).update(merged_into=survivor)
        DuplicateSuggestion.objects.filter(
            models.Q(first=merged) | models.Q(second=merged)
        ).delete()
        merged.status = Customer.Status.MERGED
        merged.merged_into = survivor
        merged.save(update_fields=["status", "merged_into", "updated_at"])
        survivor.full_clean()
        save_or_raise_validation(survivor)
        for hook in merge_hooks():
            if hook.after is not None:
                hook.after(merge)
        record = CustomerMerge(
            survivor=survivor,
            merged=merged,
            merged_by=by if getattr(by, "pk", None) else None,
            values=chosen,
            moved=merge.moved,
            notes=merge.notes,
        )
        record.full_clean()
        save_or_raise_validation(record)
    return record


def _move_contacts(merge: Merge):
    """The merged customer's contact persons join the survivor's; one primary contact per
    customer: the survivor's stays primary when both have one."""
    contacts = ContactPerson.objects.filter(customer=merge.merged)
    if ContactPerson.objects.filter(customer=merge.survivor, is_primary=True).exists():
        for contact in contacts.filter(is_primary=True):
            contact.is_primary = False
            contact.save(update_fields=["is_primary"])
    moved = 0
    for contact in contacts.order_by("pk"):  # one by one: the audit on SQLite sees save() only
        contact.customer = merge.survivor
        contact.save(update_fields=["customer"])
        moved += 1
    if moved:
        merge.moved[ContactPerson._meta.label_lower] = moved


@transaction.atomic
def contact_merge(*, survivor, merged, values, by) -> ContactPerson:
    """Merge contact person `merged` into `survivor` (of the same customer: merge the customers
    first): the survivor takes `values` (from CONTACT_MERGE_FIELDS), every record naming the
    merged person (interactions, tickets...) names the survivor, and the merged person stays,
    inactive, pointing at the survivor."""
    if survivor.pk == merged.pk:
        raise ValidationError(_("Choose two different contact persons."))
    first, second = _lock(ContactPerson, *sorted((survivor.pk, merged.pk)))
    survivor, merged = (first, second) if first.pk == survivor.pk else (second, first)
    if survivor.customer_id != merged.customer_id:
        raise ValidationError(_("Both contact persons must belong to the same customer."))
    if merged.merged_into_id or survivor.merged_into_id:
        raise ValidationError(_("One of these contact persons has already been merged."))
    _choose_values(survivor, merged, values, CONTACT_MERGE_FIELDS)
    with audit.audit_context(user=by):
        for relation in ContactPerson._meta.related_objects:
            if relation.related_model is ContactPerson or relation.many_to_many:
                continue
            name = relation.field.name
            relation.related_model._base_manager.filter(**{name: merged}).update(**{name: survivor})
        if merged.is_primary:
            merged.is_primary = False
            merged.save(update_fields=["is_primary"])
            survivor.is_primary = True
        if merged.marketing_consent and not survivor.marketing_consent:
            # Consent is the person's, given once: the merged record's is kept with its date.
            survivor.marketing_consent = True
            survivor.marketing_consent_at = merged.marketing_consent_at
        merged.is_active = False
        merged.merged_into = survivor
        merged.save(update_fields=["is_active", "merged_into"])
        survivor.full_clean()
        save_or_raise_validation(
            survivor, fields={"one_primary_contact_per_customer": "is_primary"}
        )
    return survivor
