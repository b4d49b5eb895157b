"""A list's rows as CSV or XLSX, with the list's filters, streamed so memory stays flat at a
million rows.

Every list view answers `?format=csv` / `?format=xlsx` with `export_response(request, name=...,
rows=...)`, passing the very rows its page shows (`core.lists.ListRows`: what the user may see,
filtered and sorted, and the export's columns). An export of more than EXPORT_INLINE_MAX_ROWS
rows (a capped count: at most that many plus one are counted) is not written while the browser
waits, which gunicorn's timeout would cut short: it becomes an `ExportJob`, queued through the
outbox, which a worker writes to a file its owner downloads from "My exports"
(core.export_jobs). The rows are read with `values_list()` in chunks of `EXPORT_CHUNK_SIZE`
(`.iterator()`: a server-side cursor on PostgreSQL), never as model instances and never all at
once:

- **CSV** goes out while it is read (a StreamingHttpResponse over a generator), UTF-8 with a
  byte-order mark so spreadsheet programs read the names right.
- **XLSX** is written by openpyxl's write-only mode (rows go to a temporary file as they come)
  into an anonymous temporary file that a FileResponse then sends; dates are dates and amounts
  numbers in the workbook, so they sort and add up there.

A text cell starting with `=`, `+`, `-`, `@`, a tab or a carriage return is never run as a
formula (CSV/formula injection): in CSV it is prefixed with `'`, which a spreadsheet shows; in
XLSX it is written as it is, in a cell typed as a string with the "quote prefix" style (what a
spreadsheet gives a text typed after a `'`), so it shows exactly the value and stays text when
edited. Numbers, dates and amounts are not text and are written as they are. The audit records
who exported which list with which filters and how many rows (`core.audit.record_export`), once
the last row is out (or the download was broken off: the rows sent so far); for a background
export when its file is written.
"""

import csv
import io
import tempfile
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import FileResponse, StreamingHttpResponse
from django.shortcuts import redirect
from django.utils import timezone
from django.utils.translation import gettext as _

from . import audit, lists, outbox
from .db import replica
from .i18n import page_language
from .models import ExportJob

CSV, XLSX = "csv", "xlsx"
FORMATS = (CSV, XLSX)
XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

TEXT, NUMBER, AMOUNT, DATE, DATETIME = "text", "number", "amount", "date", "datetime"
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
# CSV goes out in pieces of about this many characters, not one per row.
CSV_PIECE = 64 * 1024
XLSX_AMOUNT_FORMAT = "#,##0.00"
XLSX_DATE_FORMAT = "yyyy-mm-dd"
XLSX_DATETIME_FORMAT = "yyyy-mm-dd hh:mm"
# The Celery task that writes a background export (core.tasks), queued by name.
RUN_TASK = "core.tasks.run_export_job"


def spreadsheet_safe(value):
    """A text a spreadsheet shows as it is: one that would start a formula gets a `'`."""
    text = str(value)
    return f"'{text}" if text[:1] in FORMULA_STARTS else text


@dataclass(frozen=True)
class Column:
    """One column of an export: its header, the `values_list` path it reads, what kind of
    value it is, and for codes the labels to show (`choices`: a model's TextChoices or a dict)."""

    label: str
    path: str
    kind: str = TEXT
    choices: Mapping | type | None = None
    convert: Callable | None = None

    def labels(self):
        if self.choices is None:
            return None
        if isinstance(self.choices, Mapping):
            return {key: str(label) for key, label in self.choices.items()}
        return {key: str(label) for key, label in self.choices.choices}


def wanted_format(request):
    """ "csv" or "xlsx" when the request asks for an export, else None."""
    value = request.GET.get("format")
    return value if value in FORMATS else None


def export_response(request, *, name, rows):
    """The export the request asks for (`wanted_format`) of the list `name`'s rows
    (`lists.ListRows`): at once up to EXPORT_INLINE_MAX_ROWS rows, else as a background job."""
    fmt = wanted_format(request)
    if is_big(rows.queryset):
        try:
            _job, queued = export_job_start(
                user=request.user, list_key=name, fmt=fmt, query=lists.filters_of(request.GET)
            )
        except ValidationError as error:  # filters longer than a job keeps
            messages.error(request, " ".join(error.messages))
            return redirect(lists.get(name).url())
        messages.info(
            request,
            _(
                "Your export is being prepared: it has more rows than can be sent at once. You "
                "will be notified when it is ready to download here."
            )
            if queued
            else _("This export is already being prepared: you will be notified when it is ready."),
        )
        return redirect("export_list")
    columns = rows.columns
    reader = _rows(rows.queryset, columns, request=request)
    headers = [str(column.label) for column in columns]
    filename = export_filename(name, fmt)
    if fmt == XLSX:
        return _xlsx_response(request, name, filename, headers, columns, reader)
    response = StreamingHttpResponse(
        _csv_pieces(request, name, headers, columns, reader), content_type="text/csv; charset=utf-8"
    )
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def export_filename(name, fmt):
    return f"{name}-{timezone.localdate():%Y-%m-%d}.{fmt}"


def is_big(queryset):
    """Whether the export has more than EXPORT_INLINE_MAX_ROWS rows: a capped count, which
    stops at one more than that."""
    limit = settings.EXPORT_INLINE_MAX_ROWS
    return queryset.order_by()[: limit + 1].count() > limit


@transaction.atomic
def export_job_start(*, user, list_key, fmt, query):
    """Records a background export of `list_key` with these filters and queues its writing
    (core.outbox: kept while the broker is away). The same export asked again while the first
    is still queued or running is that one: returns (job, False)."""
    pending = (
        ExportJob.objects.select_for_update()
        .filter(
            user=user,
            list_key=list_key,
            format=fmt,
            query=query,
            status__in=(ExportJob.Status.QUEUED, ExportJob.Status.RUNNING),
        )
        .first()
    )
    if pending is not None:
        return pending, False
    job = ExportJob(user=user, list_key=list_key, format=fmt, query=query, language=page_language())
    job.full_clean()
    job.save()
    outbox.enqueue(RUN_TASK, job.pk)
    return job, True


def _rows(queryset, columns, *, request=None):
    """The rows as tuples, read in chunks (no prefetching, no model instances), from the read
    replica when it may serve this request (core.db.replica; a background job's reads may
    always). A generator: a CSV's rows are read after the view has returned, while the response
    streams."""
    queryset = queryset.prefetch_related(None).values_list(*[c.path for c in columns])
    with replica.reads(request):
        yield from queryset.iterator(chunk_size=settings.EXPORT_CHUNK_SIZE)


def _converters(columns, *, typed):
    """One function per column turning a database value into the cell's value: text for CSV,
    made safe from formulas; typed values (dates, Decimals) and the text as it is for XLSX when
    `typed` (write_xlsx writes a formula-like text as a string cell)."""
    zone = timezone.get_current_timezone()
    text = str if typed else spreadsheet_safe

    def local(value):
        value = timezone.localtime(value, zone) if timezone.is_aware(value) else value
        return value.replace(tzinfo=None)

    converters = []
    for column in columns:
        labels = column.labels()
        if column.convert is not None:
            convert = column.convert
        elif labels is not None:
            convert = lambda value, labels=labels: text(labels.get(value, value))  # noqa: E731
        elif column.kind == DATETIME:
            convert = local if typed else (lambda value: f"{local(value):%Y-%m-%d %H:%M}")
        elif column.kind == DATE:
            convert = (lambda value: value) if typed else (lambda value: value.isoformat())
        elif column.kind in (AMOUNT, NUMBER):
            convert = (lambda value: value) if typed else str
        else:
            convert = text
        converters.append(convert)
    return converters


def _csv_pieces(request, name, headers, columns, rows):
    counter = [0]
    try:
        yield from csv_pieces(headers, columns, rows, counter)
    finally:
        rows.close()  # a download broken off: the cursor and the replica block end now
        audit.record_export(request, name=name, rows=counter[0], filters=_filters(request))


def csv_pieces(headers, columns, rows, counter):
    """The CSV's text in pieces of about CSV_PIECE characters; `counter[0]` counts the rows."""
    converters = _converters(columns, typed=False)
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    buffer.write("\ufeff")  # so spreadsheet programs read UTF-8 names correctly
    writer.writerow([spreadsheet_safe(header) for header in headers])
    for row in rows:
        writer.writerow(
            [
                "" if value is None else convert(value)
                for convert, value in zip(converters, row, strict=True)
            ]
        )
        counter[0] += 1
        if buffer.tell() >= CSV_PIECE:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue()


def _xlsx_response(request, name, filename, headers, columns, rows):
    output = tempfile.TemporaryFile()  # noqa: SIM115  (the response closes it, and it goes)
    written = write_xlsx(output, name, headers, columns, rows)
    output.seek(0)
    audit.record_export(request, name=name, rows=written, filters=_filters(request))
    return FileResponse(
        output, as_attachment=True, filename=filename, content_type=XLSX_CONTENT_TYPE
    )


def write_csv(output, headers, columns, rows):
    """Writes the CSV to the binary file `output`; returns the rows written."""
    counter = [0]
    for piece in csv_pieces(headers, columns, rows, counter):
        output.write(piece.encode("utf-8"))
    return counter[0]


def _xlsx_text_cell(sheet, value):
    """A text that would start a formula as a string cell with the quote prefix: openpyxl
    takes any text starting with `=` for a formula, and a spreadsheet `+1`, `-1` or `@x` as
    one when the cell is edited. The value is shown exactly, without a `'`."""
    from openpyxl.cell import WriteOnlyCell

    cell = WriteOnlyCell(sheet, value=value)
    cell.data_type = "s"
    cell.quotePrefix = True
    return cell


def write_xlsx(output, name, headers, columns, rows):
    """Writes the workbook to the binary file `output`; returns the rows written."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title=name[:31])
    sheet.append(
        [
            _xlsx_text_cell(sheet, header) if header[:1] in FORMULA_STARTS else header
            for header in headers
        ]
    )
    converters = _converters(columns, typed=True)
    formats = {
        AMOUNT: XLSX_AMOUNT_FORMAT,
        DATE: XLSX_DATE_FORMAT,
        DATETIME: XLSX_DATETIME_FORMAT,
    }
    number_formats = [
        formats.get(column.kind) if column.convert is None and column.choices is None else None
        for column in columns
    ]
    written = 0
    for row in rows:
        cells = []
        for convert, number_format, value in zip(converters, number_formats, row, strict=True):
            if value is None:
                cells.append(None)
                continue
            value = convert(value)
            if isinstance(value, str) and value[:1] in FORMULA_STARTS:
                value = _xlsx_text_cell(sheet, value)
            elif number_format is not None:
                cell = WriteOnlyCell(sheet, value=value)
                cell.number_format = number_format
                value = cell
            cells.append(value)
        sheet.append(cells)
        written += 1
    workbook.save(output)
    return written


def write_file(output, *, name, fmt, rows):
    """Writes all of `rows` (lists.ListRows) as `fmt` to the binary file `output` (a background
    export); returns the rows written."""
    columns = rows.columns
    headers = [str(column.label) for column in columns]
    reader = _rows(rows.queryset, columns)
    if fmt == XLSX:
        return write_xlsx(output, name, headers, columns, reader)
    return write_csv(output, headers, columns, reader)


def _filters(request):
    return {
        key: values if len(values) > 1 else values[0]
        for key, values in request.GET.lists()
        if key not in ("format", "page") and any(values)
    }
