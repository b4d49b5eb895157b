"""An import's steps: upload, mapping, preview rows, the per-row choices, the run, the undo.

The run is one transaction: every chunk of rows is written with bulk inserts inside it, and the
batch is marked done in it too, so a crash, an exception or a worker killed mid-run leaves the
database as it was (the task is delivered again and starts over). Progress is published through
the cache, which other connections can read while the transaction is open; with the cache away
the progress bar only shows that the import is running.
"""

import csv
import io
import json
import logging

from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.db.models import Count, Max, ProtectedError, Q
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from core import bulk, visibility
from core.audit import audit_context
from core.bounds import LONG_TEXT
from core.exports import spreadsheet_safe
from core.i18n import page_language, work_language
from core.integrity import save_or_raise_validation
from core.outbox import enqueue
from core.permissions import can
from core.uploads import content_types, safe_filename, text_problem

from . import kinds, reading
from .models import ImportBatch, ImportRow, MappingTemplate

logger = logging.getLogger(__name__)

XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
PROGRESS_TIMEOUT = 24 * 3600


def progress_key(batch_id):
    return f"imports:progress:{batch_id}"


def _progress(batch, done, total=None):
    cache.set(progress_key(batch.pk), {"done": done, "total": total}, PROGRESS_TIMEOUT)


def progress(batch):
    """{"done": rows, "total": rows or None}, or None when the cache has nothing (or is away)."""
    return cache.get(progress_key(batch.pk))


# Upload ------------------------------------------------------------------------------------


def _check_file(uploaded):
    if getattr(uploaded, "oversized", False) or uploaded.size > settings.IMPORT_MAX_SIZE:
        raise ValidationError(
            {
                "file": _("The file is larger than %(limit)s MB. Split it into smaller files.")
                % {"limit": settings.IMPORT_MAX_SIZE // (1024 * 1024)}
            }
        )
    name = uploaded.name.lower()
    if name.endswith(".xlsx"):
        if XLSX_TYPE not in content_types(uploaded):
            raise ValidationError({"file": _("This file is not an Excel workbook (.xlsx).")})
        return
    if not name.endswith((".csv", ".txt", ".tsv")):
        raise ValidationError({"file": _("Upload a CSV file (.csv) or an Excel workbook (.xlsx).")})
    if text_problem(uploaded) in ("binary", "markup"):
        raise ValidationError({"file": _("This file is not a CSV file (it is not plain text).")})


@transaction.atomic
def batch_upload(*, uploaded, kind, by, default_country, owner=None) -> ImportBatch:
    """A new import from an uploaded file: checked by its size and bytes, its layout (encoding,
    delimiter, header row) found and a first mapping guessed from its headers."""
    import_kind = kinds.get(kind)
    if import_kind is None or not can(by, import_kind.permission):
        raise ValidationError({"kind": _("You may not import this kind of records.")})
    _check_file(uploaded)
    if owner is not None and not visibility.can_edit_owner(by, owner.pk):
        raise ValidationError({"owner": _("You may not assign customers to this person.")})
    layout = reading.detect(uploaded, uploaded.name)
    batch = ImportBatch(
        kind=kind,
        original_name=safe_filename(uploaded.name),
        file_format=layout.format,
        encoding=layout.encoding,
        delimiter=layout.delimiter,
        default_country=default_country,
        owner=owner,
        created_by=by,
        language=page_language(),
    )
    _read_header(batch, uploaded, layout, header_row=None)
    uploaded.seek(0)
    batch.file.save(batch.original_name, uploaded, save=False)
    batch.full_clean()
    batch.save()
    return batch


def _layout(batch):
    return reading.Layout(batch.file_format, batch.encoding, batch.delimiter)


def _read_header(batch, file, layout, *, header_row):
    import_kind = kinds.get(batch.kind)
    try:
        if header_row is None:
            batch.header_row, headers = reading.find_header(file, layout, import_kind.known_headers)
        else:
            batch.header_row, headers = header_row, reading.header_at(file, layout, header_row)
    except (csv.Error, UnicodeError, ValueError, OSError, KeyError) as error:
        # openpyxl and csv say what is wrong in English only; the user gets our sentence.
        logger.info("Import %s: unreadable file: %s", batch.pk, error)
        raise ValidationError(
            {"file": _("The file cannot be read: %(error)s") % {"error": error}}
        ) from error
    batch.headers = [str(h)[:200] for h in headers]
    batch.mapping = import_kind.guess_mapping(batch.headers)


@transaction.atomic
def batch_layout(*, batch, encoding, delimiter, header_row, by) -> ImportBatch:
    """Read the file again with the user's encoding, delimiter or header row."""
    _require_status(batch, ImportBatch.Status.UPLOADED, ImportBatch.Status.PREVIEW)
    if batch.file_format == reading.CSV:
        batch.encoding = encoding or batch.encoding
        batch.delimiter = delimiter or batch.delimiter
    with batch.file.open("rb") as file:
        _read_header(batch, file, _layout(batch), header_row=header_row)
    batch.status = ImportBatch.Status.UPLOADED
    batch.save()
    return batch


@transaction.atomic
def batch_map(*, batch, mapping, template_name="", by) -> ImportBatch:
    """Save the column mapping (and, named, as a template) and read every row for the preview
    (in the background: `batch_prepare`)."""
    _require_status(batch, ImportBatch.Status.UPLOADED, ImportBatch.Status.PREVIEW)
    import_kind = kinds.get(batch.kind)
    mapping = {str(column): name for column, name in mapping.items() if name}
    names = list(mapping.values())
    twice = {name for name in names if names.count(name) > 1}
    if twice:
        raise ValidationError(
            _("Each field can take one column only: %(fields)s.")
            % {"fields": ", ".join(str(import_kind.field(n).label) for n in sorted(twice))}
        )
    missing = import_kind.missing_required(mapping)
    if missing:
        raise ValidationError(
            _("Map a column to each required field: %(fields)s.")
            % {"fields": ", ".join(str(f.label) for f in missing)}
        )
    batch.mapping = mapping
    if template_name:
        template_save(batch=batch, name=template_name, by=by)
    batch.status = ImportBatch.Status.PREPARING
    batch.error = ""
    batch.save()
    enqueue("imports.tasks.prepare_import", batch.pk)  # by name: tasks imports this module
    return batch


def template_save(*, batch, name, by) -> MappingTemplate:
    """The mapping by header text, so the next file's columns may come in another order."""
    from .parsing import fold

    template = MappingTemplate.objects.filter(kind=batch.kind, name=name).first()
    if template is None:
        template = MappingTemplate(kind=batch.kind, name=name, created_by=by)
    template.mapping = {
        fold(batch.headers[int(column)]): field
        for column, field in batch.mapping.items()
        if int(column) < len(batch.headers)
    }
    template.full_clean()
    save_or_raise_validation(template, fields={"import_template_name_unique": "template_name"})
    return template


def template_apply(*, batch, template) -> ImportBatch:
    batch.mapping = kinds.get(batch.kind).guess_mapping(batch.headers, template)
    batch.save(update_fields=["mapping"])
    return batch


def _require_status(batch, *statuses):
    if batch.status not in statuses:
        raise ValidationError(
            _("This import is %(status)s; it cannot do that now.")
            % {"status": batch.get_status_display().lower()}
        )


# Preview -----------------------------------------------------------------------------------


def batch_prepare(*, batch_id):
    """Read every row of the file into ImportRows, each with its errors and duplicate match,
    in chunks; one transaction, so a second run (a redelivered task) starts clean. The errors
    are stored as text, so they are written in the importing user's language: a worker has no
    request to take one from."""
    with transaction.atomic():
        batch = ImportBatch.objects.select_for_update().filter(pk=batch_id).first()
        if batch is None or batch.status != ImportBatch.Status.PREPARING:
            return  # done already, or the user changed the mapping: another task follows
        with translation.override(work_language(batch.language, batch.created_by)):
            try:
                _prepare_rows(batch)
            except ValidationError as error:
                transaction.set_rollback(True)
                failure = " ".join(error.messages)
            else:
                batch.status = ImportBatch.Status.PREVIEW
                batch.save()
                return
    ImportBatch.objects.filter(pk=batch_id).update(
        status=ImportBatch.Status.UPLOADED, error=failure
    )


def _prepare_rows(batch):
    import_kind = kinds.get(batch.kind)
    batch.rows.all().delete()
    columns = {int(column): name for column, name in batch.mapping.items()}
    chunk, count = [], 0
    with batch.file.open("rb") as file:
        try:
            for number, cells in reading.rows(file, _layout(batch)):
                if number <= batch.header_row or reading.is_blank(cells):
                    continue
                count += 1
                if count > settings.IMPORT_MAX_ROWS:
                    raise ValidationError(
                        _("The file has more than %(limit)s rows; split it into smaller files.")
                        % {"limit": settings.IMPORT_MAX_ROWS}
                    )
                chunk.append(
                    (
                        number,
                        {
                            name: str(cells[index])[: LONG_TEXT + 1]
                            for index, name in columns.items()
                            if index < len(cells) and str(cells[index]).strip()
                        },
                    )
                )
                if len(chunk) >= kinds.CHUNK_SIZE:
                    _prepare_chunk(batch, import_kind, chunk)
                    _progress(batch, count)
                    chunk = []
        except (csv.Error, UnicodeError, OSError, KeyError) as error:
            raise ValidationError(
                _("The file cannot be read after row %(count)s: %(error)s")
                % {"count": count, "error": error}
            ) from error
    if chunk:
        _prepare_chunk(batch, import_kind, chunk)
    batch.total_rows = count
    _progress(batch, count, count)


def _prepare_chunk(batch, import_kind, chunk):
    cleaned = [import_kind.clean(cells, batch=batch) for _number, cells in chunk]
    # What the run would refuse that a row alone does not tell (an unknown invoice, an
    # overpayment counting the file's earlier rows): shown now, not found at the run.
    import_kind.check(cleaned, batch=batch)
    rows = [
        ImportRow(
            batch=batch,
            number=number,
            cells=cells,
            values=import_kind.dump(clean.values) if not clean.errors else {},
            errors=clean.errors,
            group_key=import_kind.group_key(clean),
        )
        for (number, cells), clean in zip(chunk, cleaned, strict=True)
    ]
    # Rows repeating a customer key belong to the first row with it, in this chunk or before.
    keys = {row.group_key for row in rows if row.group_key}
    firsts = _first_rows(batch, keys)
    leading, following = [], []
    seen = set()
    for row, clean in zip(rows, cleaned, strict=True):
        if row.group_key and (row.group_key in firsts or row.group_key in seen):
            following.append(row)
        else:
            seen.add(row.group_key)
            leading.append((row, clean))
    if leading and import_kind.matches_customers:
        import_kind.match([r for r, _c in leading], [c for _r, c in leading], batch=batch)
    for row, _clean in leading:
        if row.errors:
            row.action = ImportRow.Action.SKIP
    _insert_rows([row for row, _clean in leading])
    for row, _clean in leading:
        if row.group_key:
            firsts.setdefault(row.group_key, row.pk)
    for row in following:
        row.parent_id = firsts[row.group_key]
    _insert_rows(following)


def _first_rows(batch, keys):
    """The first row (the one without a parent) of each of these customer keys among the rows
    read so far: key → row id. On PostgreSQL one index lookup per key (import_row_key_idx, the
    lowest row number with the key, which is the first row). Asked as `group_key IN (…) AND
    parent IS NULL`, PostgreSQL, whose statistics do not know the rows this very transaction
    wrote, read every row of the batch so far through the batch's index for each chunk: the
    preview grew with the square of the file's rows."""
    if not keys:
        return {}
    if connection.vendor != "postgresql":
        return dict(
            batch.rows.filter(group_key__in=keys, parent=None).values_list("group_key", "pk")
        )
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT k.key, r.id FROM unnest(%s::text[]) AS k(key) CROSS JOIN LATERAL ("
            f"SELECT id, parent_id FROM {ImportRow._meta.db_table} "
            "WHERE batch_id = %s AND group_key = k.key ORDER BY number LIMIT 1) AS r "
            "WHERE r.parent_id IS NULL",
            [list(keys), batch.pk],
        )
        return dict(cursor.fetchall())


def _insert_rows(rows):
    """New ImportRows, their ids set: one COPY per chunk on PostgreSQL (`core.bulk`), whose
    rows psycopg formats in C. bulk_create sent each column as one array, and psycopg escaped
    the JSON of the cells, values and errors element by element in Python to write them; an
    `INSERT … VALUES` with ten placeholders per row then cost psycopg a parse of the statement
    for its placeholders, as long as all of the chunk's values."""
    names = [f.attname for f in ImportRow._meta.concrete_fields if not f.primary_key]
    ids = bulk.insert(ImportRow, ({name: getattr(row, name) for name in names} for row in rows))
    for row, pk in zip(rows, ids, strict=True):
        row.pk = pk
        row._state.adding = False


@transaction.atomic
def rows_choose(*, batch, actions, by) -> int:
    """The user's choice per row (create, update the match, skip): `actions` maps row ids of
    this batch to an action. Updating is offered only for a match the user may change, and
    creating a customer whose tax id is known is not offered at all."""
    _require_status(batch, ImportBatch.Status.PREVIEW)
    rows = {
        row.pk: row
        for row in batch.rows.filter(pk__in=list(actions), parent=None).select_related("match")
    }
    changed = []
    for pk, action in actions.items():
        row = rows.get(pk)
        if row is None or action not in ImportRow.Action.values or row.errors:
            continue
        if action == ImportRow.Action.UPDATE and (
            row.match is None or not visibility.can_edit_owner(by, row.match.owner_id)
        ):
            raise ValidationError(
                _("Row %(number)s: you may not update the matching customer.")
                % {"number": row.number}
            )
        if (
            action == ImportRow.Action.CREATE
            and row.match is not None
            and (row.match_reason == "tax_id")
        ):
            raise ValidationError(
                _("Row %(number)s: a customer with this tax id exists; update or skip it.")
                % {"number": row.number}
            )
        row.action = action
        changed.append(row)
    ImportRow.objects.bulk_update(changed, ["action"])
    return len(changed)


# The run -----------------------------------------------------------------------------------


@transaction.atomic
def batch_start(*, batch, by) -> ImportBatch:
    _require_status(batch, ImportBatch.Status.PREVIEW)
    batch.status = ImportBatch.Status.QUEUED
    batch.save(update_fields=["status"])
    enqueue("imports.tasks.run_import", batch.pk)
    return batch


def batch_run(*, batch_id):
    """Import every row, in one transaction (see the module's docstring). Idempotent: a batch
    already run is left alone. The rows' reasons are written in the importing user's language."""
    updated = ImportBatch.objects.filter(
        pk=batch_id, status__in=[ImportBatch.Status.QUEUED, ImportBatch.Status.RUNNING]
    ).update(status=ImportBatch.Status.RUNNING)
    if not updated:
        return
    batch = ImportBatch.objects.get(pk=batch_id)
    with translation.override(work_language(batch.language, batch.created_by)):
        try:
            with (
                audit_context(source=batch.audit_source, user=batch.created_by),
                transaction.atomic(),
            ):
                batch = ImportBatch.objects.select_for_update().get(pk=batch_id)
                if batch.status != ImportBatch.Status.RUNNING:
                    return
                _run_rows(batch)
        except Exception as error:
            logger.exception("Import %s failed; nothing of it was saved", batch_id)
            ImportBatch.objects.filter(pk=batch_id).update(
                status=ImportBatch.Status.FAILED,
                error=_("The import failed and nothing of it was saved: %(error)s")
                % {"error": str(error)[:500]},
            )
            if not isinstance(error, ValidationError | ProtectedError):
                raise


def _run_rows(batch):
    import_kind = kinds.get(batch.kind)
    total = batch.total_rows
    last, done = 0, 0
    highest = batch.rows.aggregate(highest=Max("number"))["highest"] or 0
    while last < highest:
        # A range of row numbers, not "the next CHUNK_SIZE rows after `last`": the rows were
        # written by the preview moments ago, the table's statistics do not know them, and
        # PostgreSQL answered that LIMIT by fetching every later row of the batch and sorting
        # them (0.1 s per chunk at 100,000 rows, the first chunks slowest).
        # Without the file's cells: the run writes the values the preview read from them.
        chunk = list(
            batch.rows.filter(number__gt=last, number__lte=last + kinds.CHUNK_SIZE)
            .defer("cells")
            .order_by("number")
        )
        last += kinds.CHUNK_SIZE
        if not chunk:
            continue  # blank lines in the file: numbers without rows
        import_kind.run(chunk, batch=batch)
        _save_outcomes(chunk)
        done += len(chunk)
        _progress(batch, done, total)
    counts = dict(
        batch.rows.filter(Q(parent=None) | Q(outcome__in=["skipped", "rejected"]))
        .values_list("outcome")
        .annotate(n=Count("id"))
        .values_list("outcome", "n")
    )
    batch.created_count = counts.get(ImportRow.Outcome.CREATED, 0)
    batch.updated_count = counts.get(ImportRow.Outcome.UPDATED, 0)
    batch.skipped_count = counts.get(ImportRow.Outcome.SKIPPED, 0)
    batch.rejected_count = counts.get(ImportRow.Outcome.REJECTED, 0)
    batch.status = ImportBatch.Status.DONE
    batch.finished_at = timezone.now()
    batch.error = ""
    batch.save()


OUTCOME_FIELDS = ("outcome", "message", "record_id", "related_ids", "previous")


def _save_outcomes(rows):
    """Each row's outcome. On PostgreSQL one UPDATE per chunk reading the chunk's outcomes from
    one JSON document (jsonb_to_recordset): bulk_update's CASE WHEN per field and row was most
    of the run's time in the benchmark, and an `UPDATE … FROM (VALUES …)` with six placeholders
    per row cost psycopg a parse of the whole statement for its placeholders."""
    if connection.vendor != "postgresql":
        ImportRow.objects.bulk_update(rows, OUTCOME_FIELDS)
        return
    document = json.dumps(
        [
            {
                "id": row.pk,
                "outcome": row.outcome,
                "message": row.message,
                "record_id": row.record_id,
                "related_ids": row.related_ids,
                "previous": row.previous,
            }
            for row in rows
        ]
    )
    table = ImportRow._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {table} AS r SET outcome = v.outcome, message = v.message, "
            "record_id = v.record_id, related_ids = v.related_ids, previous = v.previous "
            "FROM jsonb_to_recordset(%s::jsonb) AS v(id bigint, outcome text, message text, "
            "record_id bigint, related_ids jsonb, previous jsonb) WHERE r.id = v.id",
            [document],
        )


# Undo --------------------------------------------------------------------------------------


def batch_undo(*, batch, by) -> ImportBatch:
    """Remove what the batch created and restore the values it updated (its kind's `undo`), all
    at once, while nothing has touched them since (else a ValidationError)."""
    with audit_context(source=f"undo of {batch.audit_source}"[:300], user=by):
        try:
            with transaction.atomic():
                batch = ImportBatch.objects.select_for_update().get(pk=batch.pk)
                _require_status(batch, ImportBatch.Status.DONE)
                kinds.get(batch.kind).undo(batch)
                batch.status = ImportBatch.Status.UNDONE
                batch.undone_at = timezone.now()
                batch.undone_by = by
                batch.save()
        except ProtectedError:
            raise ValidationError(kinds.undo_refused()) from None
    return batch


# The rejected rows -------------------------------------------------------------------------


def rejected_rows_csv(batch):
    """The rejected rows as CSV lines: the row number, why, then the mapped cells under the
    file's own headers, so the user can correct them and import the file again. The reason of
    a row the preview found errors in names each field as the user does (`captions`)."""
    import_kind = kinds.get(batch.kind)
    captions = import_kind.captions(batch)
    fields = [name for _column, name in sorted(batch.mapping.items(), key=lambda i: int(i[0]))]
    buffer = io.StringIO()
    writer = csv.writer(buffer)

    def line(values):
        writer.writerow(values)
        value = buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()
        return value

    yield "\ufeff" + line(
        [_("row"), _("reason"), *(_safe_cell(captions.get(f, f)) for f in fields)]
    )
    rows = batch.rows.filter(outcome=ImportRow.Outcome.REJECTED).order_by("number")
    for row in rows.iterator(chunk_size=2000):
        reason = import_kind.errors_text(row.errors, captions) if row.errors else row.message
        yield line(
            [
                row.number,
                _safe_cell(reason),
                *(_safe_cell(row.cells.get(f, "")) for f in fields),
            ]
        )


# A spreadsheet would run a cell starting with = + - @ as a formula (CSV injection).
_safe_cell = spreadsheet_safe
