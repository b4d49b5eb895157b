"""A list's rows as CSV or XLSX, with the list's filters, streamed so memory stays flat at a
million rows.

Every list view answers `?format=csv` / `?format=xlsx` with `export_response(request, name=...,
queryset=..., columns=...)`, passing the very queryset its page shows (what the user may see,
filtered and sorted). The rows are read with `values_list()` in chunks of `EXPORT_CHUNK_SIZE`
(`.iterator()`: a server-side cursor on PostgreSQL), never as model instances and never all at
once:

- **CSV** goes out while it is read (a StreamingHttpResponse over a generator), UTF-8 with a
  byte-order mark so spreadsheet programs read the names right.
- **XLSX** is written by openpyxl's write-only mode (rows go to a temporary file as they come)
  into an anonymous temporary file that a FileResponse then sends; dates are dates and amounts
  numbers in the workbook, so they sort and add up there.

A text cell starting with `=`, `+`, `-`, `@`, a tab or a carriage return is prefixed with `'`,
so a spreadsheet shows it rather than running it as a formula (CSV/formula injection); numbers,
dates and amounts are not text and are written as they are. The audit records who exported
which list with which filters and how many rows (`core.audit.record_export`), once the last
row is out (or the download was broken off: the rows sent so far).
"""

import csv
import io
import tempfile
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from django.conf import settings
from django.http import FileResponse, StreamingHttpResponse
from django.utils import timezone

from . import audit
from .db import replica

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


def export_response(request, *, name, queryset, columns):
    """The export the request asks for (`wanted_format`) of `queryset`'s rows."""
    fmt = wanted_format(request)
    rows = _rows(request, queryset, columns)
    headers = [str(column.label) for column in columns]
    filename = f"{name}-{timezone.localdate():%Y-%m-%d}.{fmt}"
    if fmt == XLSX:
        return _xlsx_response(request, name, filename, headers, columns, rows)
    response = StreamingHttpResponse(
        _csv_pieces(request, name, headers, columns, rows), content_type="text/csv; charset=utf-8"
    )
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def _rows(request, queryset, columns):
    """The rows as tuples, read in chunks (no prefetching, no model instances), from the read
    replica when it may serve this request (core.db.replica). A generator: a CSV's rows are
    read after the view has returned, while the response streams."""
    queryset = queryset.prefetch_related(None).values_list(*[c.path for c in columns])
    with replica.reads(request):
        yield from queryset.iterator(chunk_size=settings.EXPORT_CHUNK_SIZE)


def _converters(columns, *, typed):
    """One function per column turning a database value into the cell's value: text for CSV,
    typed values (dates, Decimals) for XLSX when `typed`."""
    zone = timezone.get_current_timezone()

    def text(value):
        return spreadsheet_safe(value)

    def local(value):
        value = timezone.localtime(value, zone) if timezone.is_aware(value) else value
        return value.replace(tzinfo=None)

    converters = []
    for column in columns:
        labels = column.labels()
        if column.convert is not None:
            convert = column.convert
        elif labels is not None:
            convert = lambda value, labels=labels: spreadsheet_safe(labels.get(value, value))  # noqa: E731
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
    converters = _converters(columns, typed=False)
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    buffer.write("\ufeff")  # so spreadsheet programs read UTF-8 names correctly
    writer.writerow([spreadsheet_safe(header) for header in headers])
    written = 0
    try:
        for row in rows:
            writer.writerow(
                [
                    "" if value is None else convert(value)
                    for convert, value in zip(converters, row, strict=True)
                ]
            )
            written += 1
            if buffer.tell() >= CSV_PIECE:
                yield buffer.getvalue()
                buffer.seek(0)
                buffer.truncate()
        yield buffer.getvalue()
    finally:
        rows.close()  # a download broken off: the cursor and the replica block end now
        audit.record_export(request, name=name, rows=written, filters=_filters(request))


def _xlsx_response(request, name, filename, headers, columns, rows):
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title=name[:31])
    sheet.append([spreadsheet_safe(header) for header in headers])
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
            if number_format is not None:
                cell = WriteOnlyCell(sheet, value=value)
                cell.number_format = number_format
                value = cell
            cells.append(value)
        sheet.append(cells)
        written += 1
    output = tempfile.TemporaryFile()  # noqa: SIM115  (the response closes it, and it goes)
    workbook.save(output)
    output.seek(0)
    audit.record_export(request, name=name, rows=written, filters=_filters(request))
    return FileResponse(
        output, as_attachment=True, filename=filename, content_type=XLSX_CONTENT_TYPE
    )


def _filters(request):
    return {
        key: values if len(values) > 1 else values[0]
        for key, values in request.GET.lists()
        if key not in ("format", "page") and any(values)
    }
