"""Uploaded files: what their bytes are (not what their name or the browser claims), names that are
safe to store and to send back, and a size limit applied while a file arrives.

Magic numbers come from puremagic (pure Python, no libmagic to install, a large and maintained
signature table). Two families need more than a signature: office documents are zip archives
told apart by their members, and plain text has no signature at all.
"""

import codecs
import re
import unicodedata
import zipfile

import puremagic
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.files.uploadhandler import FileUploadHandler
from django.http import FileResponse, Http404
from django.utils.translation import gettext as _

# Every signature we rely on lies in the first bytes; ODF and OOXML are read through zipfile.
SNIFF_BYTES = 8192

OOXML_PARTS = {
    "word/": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "xl/": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "ppt/": "application/vnd.openxmlformats-officedocument.presentationml.presentation",
}
ODF_PREFIX = "application/vnd.oasis.opendocument."
# Executables: puremagic knows them, but names no MIME type for some of them.
EXECUTABLES = {
    b"MZ": "application/x-msdownload",
    b"\x7fELF": "application/x-executable",
    b"\xcf\xfa\xed\xfe": "application/x-mach-binary",
    b"\xce\xfa\xed\xfe": "application/x-mach-binary",
    b"\xca\xfe\xba\xbe": "application/x-mach-binary",
}

# What a browser that sniffs would take for a web page (the WHATWG MIME Sniffing standard's
# "HTML" patterns: the tag, then a space or ">"), plus XML and SVG (which run scripts) and a
# script's "#!" line. Checked after a byte order mark and leading white space.
MARKUP_TAGS = (
    "!doctype html|html|head|script|iframe|h1|div|font|table|a|style|title|b|body|br|p|svg|"
    "object|embed|math|xsl:stylesheet"
)
MARKUP_START = re.compile(rf"(<(?:{MARKUP_TAGS})[\s/>]|<!--|<\?xml|#!)", re.IGNORECASE)
TEXT_ENCODINGS = ("utf-8-sig", "cp1250", "cp1251")

WINDOWS_RESERVED = {
    "con",
    "prn",
    "aux",
    "nul",
    *(f"com{n}" for n in range(10)),
    *(f"lpt{n}" for n in range(10)),
}
# Characters Windows refuses in names, and quotes a header or a shell would have to escape.
UNSAFE_CHARACTERS = re.compile(r'[<>:"|?*\'`]')


def _head(file, size=SNIFF_BYTES):
    file.seek(0)
    head = file.read(size)
    file.seek(0)
    return head


def _zip_content_type(file):
    """The office format inside a zip archive, else application/zip ('' if it is no archive)."""
    try:
        with zipfile.ZipFile(file) as archive:
            names = archive.namelist()
            if "mimetype" in names:
                # ODF: a first, stored member "mimetype" holds the type, in ASCII.
                info = archive.getinfo("mimetype")
                if info.file_size <= 100:
                    declared = archive.read(info).decode("ascii", "replace").strip()
                    if declared.startswith(ODF_PREFIX):
                        return declared
            if "[Content_Types].xml" in names:
                for prefix, content_type in OOXML_PARTS.items():
                    if any(name.startswith(prefix) for name in names):
                        return content_type
            return "application/zip"
    except (zipfile.BadZipFile, OSError, EOFError, ValueError, NotImplementedError):
        return ""
    finally:
        file.seek(0)


def content_types(file):
    """Every MIME type the file's bytes match, most likely first; () when none is known.

    `file` is any seekable binary file (an UploadedFile, a File, BytesIO); it is left at its
    start. Only the first SNIFF_BYTES are read, and a zip archive's directory.
    """
    head = _head(file)
    if not head:
        return ()
    for magic, content_type in EXECUTABLES.items():
        if head.startswith(magic):
            return (content_type,)
    if head.startswith(b"PK\x03\x04"):
        found = _zip_content_type(file)
        return (found,) if found else ()
    try:
        matches = puremagic.magic_string(head)
    except puremagic.PureError:
        return ()
    return tuple(dict.fromkeys(m.mime_type for m in matches if m.mime_type))


def text_problem(file, *, chunk_size=64 * 1024):
    """Why the file is not plain text we accept, or '' if it is: 'binary' (NUL bytes),
    'encoding' (neither UTF-8 nor Windows-1250/1251), 'markup' (starts like HTML, SVG, XML or a
    script). Reads the file in chunks, never whole into memory; leaves it at its start."""
    file.seek(0)
    decoders = [codecs.getincrementaldecoder(name)("strict") for name in TEXT_ENCODINGS]
    try:
        start = file.read(1024)
        chunk = start
        while chunk:
            if b"\0" in chunk:
                return "binary"
            decoders = [d for d in decoders if _decodes(d, chunk)]
            if not decoders:
                return "encoding"
            chunk = file.read(chunk_size)
        if not [d for d in decoders if _decodes(d, b"", final=True)]:
            return "encoding"
    finally:
        file.seek(0)
    # The accepted encodings agree on ASCII, and the patterns are ASCII; latin-1 decodes any byte.
    text = start.removeprefix(codecs.BOM_UTF8).decode("latin-1")
    if MARKUP_START.match(text.lstrip(" \t\r\n\f\v")):
        return "markup"
    return ""


def _decodes(decoder, chunk, final=False):
    try:
        decoder.decode(chunk, final=final)
    except UnicodeDecodeError:
        return False
    return True


def safe_filename(name, *, max_length=255, default="file"):
    """A file name that is safe to keep, show and send back, and that the user still
    recognises: the last path part only; no control or invisible format characters (bidi
    overrides included); no characters Windows or a header would trip on; no leading or
    trailing dots and spaces; no reserved device name; at most `max_length` characters, the
    extension kept."""
    name = unicodedata.normalize("NFC", str(name or ""))
    name = re.split(r"[/\\]", name)[-1]
    name = " ".join(name.split())  # tabs, new lines and other white space: one space
    name = "".join(ch for ch in name if not unicodedata.category(ch).startswith("C"))
    name = UNSAFE_CHARACTERS.sub("_", name).strip(" .")
    stem, dot, suffix = name.rpartition(".")
    if not dot or not stem.strip(" .") or len(suffix) > 16:
        stem, suffix = name, ""
    else:
        stem, suffix = stem.rstrip(" ."), f".{suffix}"
    stem = stem or default
    if stem.split(".")[0].strip().lower() in WINDOWS_RESERVED:
        stem = f"_{stem}"
    stem = stem[: max(1, max_length - len(suffix))].rstrip(" .") or default[0]
    return f"{stem}{suffix}"[:max_length]


def storage_filename(name, *, max_length=100):
    """The name a file gets in storage: safe_filename() in ASCII letters, digits, '-' and '_'
    with a short extension, so that any file system and any shell take it. Users never see it:
    downloads carry the original name."""
    name = unicodedata.normalize("NFKD", safe_filename(name)).encode("ascii", "ignore").decode()
    stem, dot, suffix = name.rpartition(".")
    if not dot:
        stem, suffix = name, ""
    stem = re.sub(r"[^A-Za-z0-9_-]+", "_", stem).lstrip("-") or "file"
    suffix = re.sub(r"[^A-Za-z0-9]+", "", suffix)[:16].lower()
    stem = stem[: max_length - len(suffix) - 1]
    return f"{stem}.{suffix}" if suffix else stem


class OversizedUpload(SimpleUploadedFile):
    """What arrives instead of a file that passed the size limit: no content, and the number of
    bytes that arrived as its size, so the form can say why."""

    def __init__(self, name, size, content_type):
        super().__init__(name, b"", content_type)
        self.size = size
        self.oversized = True


class SizeLimitedUploadHandler(FileUploadHandler):
    """Put first in request.upload_handlers: passes each file's data on to Django's handlers only
    up to `max_size` bytes. A bigger file is neither kept in memory nor written to disk whole;
    it arrives as an OversizedUpload, and the rest of the form's fields as usual."""

    def __init__(self, request=None, *, max_size):
        super().__init__(request)
        self.max_size = max_size

    def new_file(self, *args, **kwargs):
        super().new_file(*args, **kwargs)
        self.received = 0
        self.oversized = False

    def receive_data_chunk(self, raw_data, start):
        self.received += len(raw_data)
        if self.received > self.max_size:
            self.oversized = True
            return None  # later handlers never see the rest of this file
        return raw_data

    def file_complete(self, file_size):
        if self.oversized:
            return OversizedUpload(self.file_name, self.received, self.content_type)
        return None  # the next handler (memory or temporary file) hands the file over


def attachment_response(field_file, *, filename, content_type):
    """A stored file sent as a download that no browser renders or sniffs (404 when the file
    is missing from storage); the callers have checked who may have it."""
    try:
        handle = field_file.open("rb")
    except FileNotFoundError as exc:
        raise Http404(_("The file is missing from storage.")) from exc
    response = FileResponse(
        handle, as_attachment=True, filename=safe_filename(filename), content_type=content_type
    )
    response["X-Content-Type-Options"] = "nosniff"
    # Should a browser display it anyway, it runs nothing and loads nothing.
    response["Content-Security-Policy"] = "sandbox; default-src 'none'"
    response["Cache-Control"] = "private, no-store"
    return response
