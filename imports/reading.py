"""Reading an uploaded CSV or XLSX file row by row: its encoding, its delimiter, its header row.

Nothing here holds the whole file: CSV is decoded as a stream and XLSX is read with openpyxl's
read-only (streaming) mode, so memory stays flat whatever the file's size.
"""

import codecs
import csv
import datetime
import io
from dataclasses import dataclass
from itertools import islice

from charset_normalizer import from_bytes
from django.utils.translation import gettext_lazy as _

# The encodings offered to the user; detection picks one of them.
ENCODINGS = {
    "utf-8-sig": "UTF-8",
    "cp1250": _("Windows-1250 (Central European)"),
    "cp1251": _("Windows-1251 (Cyrillic)"),
    "koi8_r": _("KOI8-R (Cyrillic)"),
    "iso8859_2": _("ISO 8859-2 (Central European)"),
}
DELIMITERS = {";": ";", ",": ",", "\t": _("Tab"), "|": "|"}
SAMPLE_BYTES = 64 * 1024
# How far down a header row is looked for (title rows, an export's date, blank lines above it).
HEADER_SEARCH_ROWS = 20
XLSX = "xlsx"
CSV = "csv"


@dataclass
class Layout:
    """How to read one file: found by `detect`, adjustable by the user on the mapping page."""

    format: str
    encoding: str = ""
    delimiter: str = ""


def _decodes_fully(file, encoding, chunk_size=1024 * 1024):
    """Whether the whole file decodes strictly; read in chunks."""
    decoder = codecs.getincrementaldecoder(encoding)("strict")
    file.seek(0)
    try:
        while chunk := file.read(chunk_size):
            decoder.decode(chunk)
        decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        return False
    finally:
        file.seek(0)
    return True


def detect_encoding(file):
    """UTF-8 (with or without a byte order mark) when the whole file decodes so; else the
    single-byte code page charset-normalizer finds likeliest in its first bytes, among those we
    offer (Windows-1250 when it has no opinion: the most common export of Polish and Czech
    accounting software)."""
    if _decodes_fully(file, "utf-8"):
        return "utf-8-sig"
    sample = file.read(SAMPLE_BYTES)
    file.seek(0)
    candidates = ["cp1250", "cp1251", "koi8_r"]
    best = from_bytes(sample, cp_isolation=candidates).best()
    return best.encoding if best is not None and best.encoding in candidates else "cp1250"


def detect_delimiter(text):
    try:
        return csv.Sniffer().sniff(text, delimiters="".join(DELIMITERS)).delimiter
    except csv.Error:
        first_line = text.split("\n", 1)[0]
        return max(DELIMITERS, key=first_line.count)


def detect(file, name):
    if name.lower().endswith(".xlsx"):
        return Layout(format=XLSX)
    encoding = detect_encoding(file)
    sample = file.read(SAMPLE_BYTES).decode(encoding, errors="replace")
    file.seek(0)
    # A sample cut mid-line (or mid quoted field) confuses the sniffer: whole lines only.
    if len(sample) >= SAMPLE_BYTES // 2 and "\n" in sample:
        sample = sample[: sample.rfind("\n")]
    return Layout(format=CSV, encoding=encoding, delimiter=detect_delimiter(sample))


def _cell(value):
    """A cell as text: a workbook's dates in ISO form, its whole numbers without ".0"."""
    if value is None:
        return ""
    if isinstance(value, datetime.datetime):
        return value.date().isoformat() if value.time() == datetime.time() else value.isoformat()
    if isinstance(value, datetime.date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def rows(file, layout):
    """Every row as a list of cells (strings, or dates and numbers from XLSX), with its number
    (1-based, as a spreadsheet counts; for CSV the record's number, a quoted new line included)."""
    if layout.format == XLSX:
        yield from _xlsx_rows(file)
        return
    file.seek(0)
    text = io.TextIOWrapper(file, encoding=layout.encoding, errors="replace", newline="")
    try:
        for number, row in enumerate(csv.reader(text, delimiter=layout.delimiter), start=1):
            yield number, [_cell(value) for value in row]
    finally:
        text.detach()  # leave the underlying file open for the caller


def _xlsx_rows(file):
    from openpyxl import load_workbook

    file.seek(0)
    workbook = load_workbook(file, read_only=True, data_only=True)
    try:
        sheet = workbook.worksheets[0]
        for number, row in enumerate(sheet.iter_rows(values_only=True), start=1):
            yield number, [_cell(value) for value in row]
    finally:
        workbook.close()


def is_blank(cells):
    return not any(str(cell).strip() for cell in cells)


def find_header(file, layout, matches_known):
    """The number of the first row whose cells `matches_known` counts at least two known
    headers in (1 when none does) and that row's cells."""
    first = None
    for number, cells in islice(rows(file, layout), HEADER_SEARCH_ROWS):
        if is_blank(cells):
            continue
        if first is None:
            first = (number, cells)
        if matches_known(cells) >= 2:
            return number, cells
    return first or (1, [])


def header_at(file, layout, header_row):
    for number, cells in rows(file, layout):
        if number == header_row:
            return cells
    return []
