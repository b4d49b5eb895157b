"""A person's rights: the export of everything we hold about them, and its erasure.

Who the person is: an individual customer (kind "person": the customer is the person, so every
record of the customer is about them) or one contact person (of a company: the records that
name that person). What each model holds and what erasure does to it is declared by its app in
core.personal_data; this module only walks the registry.
"""

import json
import zipfile
from functools import partial

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core import audit, personal_data
from core.audit.registry import get as audited_entry
from core.models import AuditEvent
from core.permissions import can
from core.uploads import safe_filename
from customers.models import ConsentEvent, ConsentState, ContactPerson, Customer
from customers.services import consent_record

from .models import Erasure
from .permissions import ERASE_PERSONAL_DATA

CHUNK = 500
FILE_CHUNK = 64 * 1024

NOT_A_PERSON_MESSAGE = _(
    "Only an individual customer is a person: erase or export the company's contact persons."
)


def _rows(source, *, customer, contact):
    # A duplicate merged into the person keeps its row (customers.merging): it is the same
    # person's data, so it is exported and erased with them.
    if contact is not None:
        merged = ContactPerson.objects.filter(merged_into=contact).values_list("pk", flat=True)
        return source.rows_of_contact([contact.pk, *merged])
    merged = Customer.objects.filter(merged_into=customer).values_list("pk", flat=True)
    return source.rows_of_customer([customer.pk, *merged])


def _subject_sources(*, customer, contact):
    """(source, queryset of the subject's rows) for every registered source that can have any."""
    for source in personal_data.sources():
        if (source.contact if contact is not None else source.customer) is None:
            continue
        yield source, _rows(source, customer=customer, contact=contact)


# --- Export -------------------------------------------------------------------------------------


def _record(instance):
    """A row as JSON: every stored column (a link as the linked record's id), by field name."""
    data = {}
    for field in instance._meta.concrete_fields:
        if isinstance(field, models.GeneratedField):
            continue
        value = getattr(instance, field.attname)
        if isinstance(field, models.FileField):
            value = value.name if value else ""
        data[field.attname if field.is_relation else field.name] = value
    return data


class _Sink:
    """A write-only stream that hands out what was written so far: ZipFile writes into it (it
    cannot seek, so ZipFile uses data descriptors) and the response streams the pieces."""

    def __init__(self):
        self._pieces = []
        self._position = 0

    def write(self, data):
        self._pieces.append(bytes(data))
        self._position += len(data)
        return len(data)

    def tell(self):
        return self._position

    def flush(self):
        pass

    def take(self):
        data = b"".join(self._pieces)
        self._pieces = []
        return data


def _json_array(handle, rows, sink):
    """Writes `rows` (dicts) as a JSON array, one row at a time, yielding the zip's bytes."""
    handle.write(b"[")
    for number, row in enumerate(rows):
        if number:
            handle.write(b",")
        handle.write(b"\n")
        handle.write(json.dumps(row, cls=DjangoJSONEncoder, ensure_ascii=False).encode())
        yield sink.take()
    handle.write(b"\n]\n")


def _audit_rows(source, queryset):
    """The audit's rows about the subject's records of `source` (its own history)."""
    if audited_entry(source.label) is None:
        return
    ids = list(queryset.values_list("pk", flat=True))
    for start in range(0, len(ids), CHUNK):
        events = AuditEvent.objects.filter(
            model=source.label, object_id__in=ids[start : start + CHUNK]
        ).order_by("at", "id")
        for event in events.iterator(chunk_size=CHUNK):
            yield {
                "at": event.at,
                "action": event.action,
                "model": event.model,
                "object_id": event.object_id,
                "by": event.username,
                "source": event.source,
                "changes": event.changes,
            }


def person_export(*, customer, contact=None, by):
    """The ZIP of everything held about the person, as an iterator of bytes: one JSON file per
    kind of record (about.json first, history.json with the audit's rows about them), and the
    files of their documents under documents/. Memory stays bounded: rows are read in chunks
    and written one at a time, files in 64 KB pieces, and each piece leaves as soon as it is
    compressed."""
    if contact is None and customer.kind != Customer.Kind.PERSON:
        raise ValidationError(NOT_A_PERSON_MESSAGE, code="not_a_person")
    # The compressor holds most rows back until it has a block: nothing to send for those.
    return (piece for piece in _zip_pieces(customer, contact, by) if piece)


def _zip_pieces(customer, contact, by):
    sink = _Sink()
    with zipfile.ZipFile(sink, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        about = {
            "subject": "contact_person" if contact is not None else "customer",
            "customer_id": customer.pk,
            "contact_person_id": contact.pk if contact is not None else None,
            "exported_at": timezone.now(),
            "exported_by": by.get_username(),
            "files": [],
        }
        sources = list(_subject_sources(customer=customer, contact=contact))
        about["files"] = [f"{source.name}.json" for source, _ in sources] + ["history.json"]
        with archive.open("about.json", "w") as handle:
            handle.write(json.dumps(about, cls=DjangoJSONEncoder, indent=2).encode())
        yield sink.take()
        for source, queryset in sources:
            with archive.open(f"{source.name}.json", "w") as handle:
                rows = (_record(row) for row in queryset.iterator(chunk_size=CHUNK))
                yield from _json_array(handle, rows, sink)
            yield sink.take()
        with archive.open("history.json", "w") as handle:
            history = (row for source, qs in sources for row in _audit_rows(source, qs))
            yield from _json_array(handle, history, sink)
        yield sink.take()
        for source, queryset in sources:
            if source.file_field is None:
                continue
            for row in queryset.iterator(chunk_size=CHUNK):
                stored = getattr(row, source.file_field)
                if not stored:
                    continue
                original = getattr(row, "original_name", "") or stored.name.rsplit("/", 1)[-1]
                name = f"{source.name}/{row.pk}-{safe_filename(original)}"
                try:
                    handle_in = stored.open("rb")
                except FileNotFoundError:
                    continue  # listed in the JSON; a file missing from storage cannot be sent
                with handle_in, archive.open(name, "w") as handle:
                    while piece := handle_in.read(FILE_CHUNK):
                        handle.write(piece)
                        yield sink.take()
                yield sink.take()
    yield sink.take()


# --- Erasure ------------------------------------------------------------------------------------


def _withdraw_consents(contact_ids):
    """Every consent still given by the erased persons is withdrawn (source "erasure"), so a
    mailing can never reach the record again; the history stays as evidence."""
    states = ConsentState.objects.filter(contact_id__in=contact_ids, given=True).select_related(
        "purpose", "contact"
    )
    for state in states:
        consent_record(
            contact=state.contact,
            purpose=state.purpose,
            given=False,
            source=ConsentEvent.Source.ERASURE,
        )


def _erase_source(source, queryset, counts):
    rows = source.erasable(queryset)
    if source.delete_on_erase:
        doomed = list(rows)
        for row in doomed:
            stored = getattr(row, source.file_field) if source.file_field else None
            if stored:
                # Only once the erasure is committed: a rollback must find the file in place.
                transaction.on_commit(partial(stored.storage.delete, stored.name))
        ids = [row.pk for row in doomed]
        source.model._default_manager.filter(pk__in=ids).delete()
        counts[source.name] = len(ids)
        return
    if not source.erase:
        return
    ids = list(rows.values_list("pk", flat=True))
    for start in range(0, len(ids), CHUNK):
        source.model._default_manager.filter(pk__in=ids[start : start + CHUNK]).update(
            **source.erase
        )
    text_fields = [name for name, value in source.erase.items() if isinstance(value, str)]
    audit.scrub(source.model, ids, text_fields)
    counts[source.name] = len(ids)


@transaction.atomic
def person_erase(*, customer, contact=None, reason, by) -> Erasure:
    """Anonymises the person (an individual customer as a whole, or one contact person) and
    scrubs their values from the audit, keeping the financial records (see core.personal_data
    and README "Personal data"). Atomic; idempotent: a person erased before is left as is and
    their earlier erasure returned. Refused unless `by` may erase (managers)."""
    if not can(by, ERASE_PERSONAL_DATA):
        raise PermissionDenied
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": _("Give the reason for the erasure.")}, code="required")
    if contact is None and customer.kind != Customer.Kind.PERSON:
        raise ValidationError(NOT_A_PERSON_MESSAGE, code="not_a_person")
    # Two managers erasing the same person at once: the second waits here, then finds the
    # first one's erasure.
    Customer.objects.select_for_update().filter(pk=customer.pk).first()
    earlier = Erasure.objects.filter(customer=customer, contact=contact).first()
    if earlier is not None:
        return earlier
    now = timezone.now()
    # Duplicates merged into the person (customers.merging) are the same person.
    merged_customers = list(
        Customer.objects.filter(merged_into=customer).values_list("pk", flat=True)
    )
    contact_ids = (
        [
            contact.pk,
            *ContactPerson.objects.filter(merged_into=contact).values_list("pk", flat=True),
        ]
        if contact is not None
        else list(
            ContactPerson.objects.filter(
                customer_id__in=[customer.pk, *merged_customers]
            ).values_list("pk", flat=True)
        )
    )
    _withdraw_consents(contact_ids)
    counts = {}
    # The anonymising writes are not audited (the audit would keep the values they remove);
    # the erasure is recorded instead, by the Erasure row below, without personal data.
    with audit.suspended():
        for source, queryset in _subject_sources(customer=customer, contact=contact):
            _erase_source(source, queryset, counts)
        ContactPerson.objects.filter(pk__in=contact_ids).update(erased_at=now)
        if contact is None:
            Customer.objects.filter(pk__in=[customer.pk, *merged_customers]).update(erased_at=now)
    erasure = Erasure(
        customer=customer,
        contact=contact,
        reason=reason,
        erased_by=by,
        erased_at=now,
        counts=counts,
    )
    erasure.full_clean()
    with audit.audit_context(user=by):
        erasure.save()
    return erasure
