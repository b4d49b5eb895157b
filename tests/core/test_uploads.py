"""The shared upload machinery: sniffing bytes, sanitising names, limiting size on arrival."""

import io
import zipfile

import pytest
from django.core.files.uploadhandler import MemoryFileUploadHandler, StopFutureHandlers

from core import uploads
from tests import samples


@pytest.mark.parametrize(
    ("name", "safe"),
    [
        ("offer.pdf", "offer.pdf"),
        ("../../etc/passwd", "passwd"),
        ("C:\\Users\\anna\\Umowa źródło.pdf", "Umowa źródło.pdf"),
        ("invoice\u202egnp.pdf", "invoicegnp.pdf"),
        ("zero\u200bwidth\x00nul\x07bell.pdf", "zerowidthnulbell.pdf"),
        ("tab\there\nnew line.pdf", "tab here new line.pdf"),
        ('quote"; filename="evil.html.pdf', "quote_; filename=_evil.html.pdf"),
        ("CON.pdf", "_CON.pdf"),
        ("lpt1", "_lpt1"),
        ("nul.tar.gz", "_nul.tar.gz"),
        ("  ..offer  .pdf. ", "offer.pdf"),
        ("...", "file"),
        ("", "file"),
        (".pdf", "pdf"),
        ("Zdjęcie ① ﬁ.jpg", "Zdjęcie ① ﬁ.jpg"),
    ],
)
def test_safe_filename_keeps_what_a_person_recognises_and_nothing_harmful(name, safe):
    assert uploads.safe_filename(name) == safe


def test_safe_filename_shortens_the_stem_and_keeps_the_extension():
    name = uploads.safe_filename("ż" * 300 + ".docx", max_length=200)
    assert len(name) == 200
    assert name.endswith("ż.docx")


@pytest.mark.parametrize(
    ("name", "stored"),
    [
        ("Umowa źródło.PDF", "Umowa_zrodo.pdf"),
        ("-rf .pdf", "rf.pdf"),
        ("CON.pdf", "_CON.pdf"),
        ("日本語.txt", "file.txt"),
        ("x." + "y" * 40, "x." + "y" * 16),
    ],
)
def test_storage_filename_is_plain_ascii(name, stored):
    assert uploads.storage_filename(name) == stored


def test_storage_filename_fits_any_file_system():
    assert len(uploads.storage_filename("ą" * 250 + ".pdf").encode()) <= 100


@pytest.mark.parametrize(
    ("content", "found"),
    [
        (samples.PDF, "application/pdf"),
        (samples.PNG, "image/png"),
        (samples.JPEG, "image/jpeg"),
        (samples.EXE, "application/x-msdownload"),
        (samples.ELF, "application/x-executable"),
        (samples.HTML, "text/html"),
        (samples.SVG, "image/svg+xml"),
        (samples.odf("odt"), "application/vnd.oasis.opendocument.text"),
        (samples.ooxml("xlsx"), samples.OOXML_TYPES["xlsx"]),
        (samples.plain_zip(), "application/zip"),
    ],
)
def test_content_types_come_from_the_bytes(content, found):
    file = io.BytesIO(content)
    assert uploads.content_types(file)[0] == found
    assert file.tell() == 0


def test_a_broken_or_unknown_file_has_no_content_type():
    assert uploads.content_types(io.BytesIO(samples.ooxml("docx")[:80])) == ()
    assert uploads.content_types(io.BytesIO(b"plain words")) == ()
    assert uploads.content_types(io.BytesIO(b"")) == ()


def test_an_odf_mimetype_member_is_read_only_when_small():
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("mimetype", samples.ODF_TYPES["odt"] + " " * 10_000)
    assert uploads.content_types(buffer) == ("application/zip",)


@pytest.mark.parametrize(
    ("content", "problem"),
    [
        (samples.TEXT_UTF8, ""),
        (samples.TEXT_UTF8_BOM, ""),
        (samples.TEXT_CP1250, ""),
        (samples.TEXT_CP1251, ""),
        (b"a <b>bold</b> claim", ""),
        (b"<abc>;1\n", ""),
        (b"\r\n  <!DOCTYPE html>", "markup"),
        (b"<HTML>", "markup"),
        (b"<!-- comment -->", "markup"),
        (b"<?xml version='1.0'?><x/>", "markup"),
        (b"<p>", "markup"),
        (b"#!/usr/bin/env python", "markup"),
        (b"text\x00more", "binary"),
        (b"\x98\x98", "encoding"),  # undefined in Windows-1250 and -1251, and not UTF-8
    ],
)
def test_text_problem(content, problem):
    assert uploads.text_problem(io.BytesIO(content)) == problem


def test_text_problem_reads_the_whole_file_in_chunks():
    file = io.BytesIO(b"line\n" * 50_000 + b"\x00")
    assert uploads.text_problem(file, chunk_size=4096) == "binary"
    assert file.tell() == 0


def _feed(handlers, name, data, chunk=100):
    """What Django's multipart parser does with one file and a list of upload handlers."""
    for handler in handlers:
        try:
            handler.new_file("file", name, "application/pdf", len(data))
        except StopFutureHandlers:
            break
    for start in range(0, len(data), chunk):
        piece = data[start : start + chunk]
        for handler in handlers:
            piece = handler.receive_data_chunk(piece, start)
            if piece is None:
                break
    for handler in handlers:
        if result := handler.file_complete(len(data)):
            return result
    return None


def test_the_size_limit_stops_a_file_before_it_is_kept_whole():
    received = []

    class Recorder(MemoryFileUploadHandler):
        def receive_data_chunk(self, raw_data, start):
            received.append(raw_data)
            return super().receive_data_chunk(raw_data, start)

    limit = uploads.SizeLimitedUploadHandler(max_size=250)
    recorder = Recorder()
    recorder.activated = True
    result = _feed([limit, recorder], "big.pdf", b"x" * 10_000)
    assert isinstance(result, uploads.OversizedUpload)
    assert (result.name, result.size, result.read()) == ("big.pdf", 10_000, b"")
    assert sum(map(len, received)) <= 250


def test_a_file_within_the_limit_passes_through_untouched():
    limit = uploads.SizeLimitedUploadHandler(max_size=250)
    memory = MemoryFileUploadHandler()
    memory.activated = True
    result = _feed([limit, memory], "small.pdf", samples.PDF[:250])
    assert not getattr(result, "oversized", False)
    assert result.read() == samples.PDF[:250]
