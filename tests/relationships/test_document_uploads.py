"""Uploads are judged by their bytes, not their name or the browser's word; downloads are
attachments no browser renders, only for those who may see the customer."""

import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import Resolver404, resolve, reverse

from relationships.models import Document
from tests import samples
from tests.factories import DocumentFactory

pytestmark = pytest.mark.django_db

PDF_TYPE = "application/pdf"


def _upload(client, customer, name, content, declared="application/octet-stream", **extra):
    return client.post(
        reverse("relationships:document_create", args=[customer.pk]),
        {"file": SimpleUploadedFile(name, content, content_type=declared), **extra},
    )


def _file_error(response):
    assert response.status_code == 200, response
    return " ".join(response.context["form"].errors["file"])


@pytest.mark.parametrize(
    ("name", "content", "stored_type"),
    [
        ("offer.pdf", samples.PDF, PDF_TYPE),
        ("meter.png", samples.PNG, "image/png"),
        ("photo.jpg", samples.JPEG, "image/jpeg"),
        ("photo.JPEG", samples.JPEG, "image/jpeg"),
        ("note.txt", samples.TEXT_UTF8, "text/plain"),
        ("note-bom.txt", samples.TEXT_UTF8_BOM, "text/plain"),
        ("note-1250.txt", samples.TEXT_CP1250, "text/plain"),
        ("note-1251.txt", samples.TEXT_CP1251, "text/plain"),
        ("export.csv", samples.CSV, "text/csv"),
        ("contract.odt", samples.odf("odt"), "application/vnd.oasis.opendocument.text"),
        ("prices.ods", samples.odf("ods"), "application/vnd.oasis.opendocument.spreadsheet"),
        (
            "contract.docx",
            samples.ooxml("docx"),
            "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        ),
        (
            "prices.xlsx",
            samples.ooxml("xlsx"),
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        ),
    ],
)
def test_each_allowed_type_is_stored_with_the_type_its_bytes_show(
    persona_client, sales_rep, customer, media_root, name, content, stored_type
):
    client = persona_client(sales_rep)
    # Browsers declare all sorts of things (or nothing): the declared type plays no part.
    assert _upload(client, customer, name, content).status_code == 302
    document = Document.objects.get()
    assert (document.original_name, document.content_type, document.size) == (
        name,
        stored_type,
        len(content),
    )
    response = client.get(document.get_absolute_url())
    assert response["Content-Type"] == stored_type
    assert b"".join(response.streaming_content) == content


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        # Each of these was stored as .pdf before uploads were sniffed.
        ("offer.pdf", samples.HTML, "content (text/html) does not match its name (.pdf)"),
        ("offer.pdf", samples.SVG, "content (image/svg+xml) does not match its name (.pdf)"),
        ("offer.pdf", samples.EXE, "(application/x-msdownload) does not match its name (.pdf)"),
        ("offer.pdf", samples.ELF, "(application/x-executable) does not match its name (.pdf)"),
        ("meter.png", samples.SVG, "content (image/svg+xml) does not match its name (.png)"),
        ("meter.png", samples.XML_SVG, "content (image/svg+xml) does not match its name (.png)"),
        ("photo.jpg", samples.PNG, "content (image/png) does not match its name (.jpg)"),
        ("offer.pdf", samples.PNG, "content (image/png) does not match its name (.pdf)"),
        ("offer.pdf", b"just some words", "content (unknown) does not match its name (.pdf)"),
        # Office formats are told apart by what their zip archive holds.
        ("contract.docx", samples.odf("odt"), "(application/vnd.oasis.opendocument.text)"),
        ("contract.odt", samples.ooxml("docx"), "wordprocessingml.document) does not match"),
        ("prices.xlsx", samples.ooxml("docx"), "wordprocessingml.document) does not match"),
        ("contract.docx", samples.plain_zip(), "content (application/zip) does not match"),
        ("contract.odt", samples.PDF, "content (application/pdf) does not match"),
        ("contract.docx", samples.ooxml("docx")[:60], "does not match its name (.docx)"),
        # Text has no magic number: it must decode, hold no NUL bytes and not be markup.
        ("note.txt", samples.HTML, "looks like a web page or a script"),
        ("note.txt", b"  \r\n\t<html><body>hi</body></html>", "looks like a web page"),
        ("note.txt", b"\xef\xbb\xbf<svg onload=alert(1)>", "looks like a web page"),
        ("note.txt", samples.XML_SVG, "looks like a web page"),
        ("export.csv", b"<script>alert(1)</script>;1\n", "looks like a web page"),
        ("export.csv", b"#!/bin/sh\nrm -rf ~\n", "looks like a web page or a script"),
        ("note.txt", samples.EXE, "binary data, not text"),
        ("note.txt", samples.PNG, "binary data, not text"),
        ("note.txt", "UTF-16 text".encode("utf-16"), "binary data, not text"),
        ("note.txt", b"caf\xc3 au lait \x98\x98", "not text in UTF-8 or Windows-1250/1251"),
        ("note.txt", b"", "file is empty"),
        # The extension decides which type is expected; none of these is allowed at all.
        ("page.html", samples.HTML, "cannot be attached"),
        ("image.svg", samples.SVG, "cannot be attached"),
        ("setup.exe", samples.EXE, "cannot be attached"),
        ("offer.pdf.exe", samples.EXE, "cannot be attached"),
    ],
)
def test_hostile_and_mislabelled_files_are_refused_beside_the_file_field(
    persona_client, sales_rep, customer, media_root, name, content, message
):
    response = _upload(persona_client(sales_rep), customer, name, content, declared=PDF_TYPE)
    assert message in _file_error(response)
    assert not Document.objects.exists()
    assert not (media_root / "documents").exists()


def test_a_file_over_the_limit_is_refused_while_it_arrives(
    settings, persona_client, sales_rep, customer, media_root
):
    settings.DOCUMENT_MAX_SIZE = 1000
    settings.FILE_UPLOAD_MAX_MEMORY_SIZE = 100  # the bytes would go to a temporary file
    response = _upload(persona_client(sales_rep), customer, "big.pdf", samples.PDF * 20)
    assert "Files may be at most 1000\xa0bytes; this one is larger." in _file_error(response)
    assert not Document.objects.exists()
    # A file exactly at the limit is fine.
    content = samples.PDF + b"%" * (1000 - len(samples.PDF))
    assert _upload(persona_client(sales_rep), customer, "edge.pdf", content).status_code == 302


def test_the_upload_form_still_checks_the_csrf_token(sales_rep, customer, media_root):
    """The view sets its upload handlers before the CSRF check reads the body, so it checks
    the token itself."""
    client = Client(enforce_csrf_checks=True)
    client.force_login(sales_rep)
    url = reverse("relationships:document_create", args=[customer.pk])
    upload = SimpleUploadedFile("offer.pdf", samples.PDF, content_type=PDF_TYPE)
    assert client.post(url, {"file": upload}).status_code == 403
    assert not Document.objects.exists()
    page = client.get(url)
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.content.decode())[1]
    upload = SimpleUploadedFile("offer.pdf", samples.PDF, content_type=PDF_TYPE)
    response = client.post(url, {"file": upload, "csrfmiddlewaretoken": token})
    assert response.status_code == 302
    assert Document.objects.count() == 1


@pytest.mark.parametrize(
    ("sent_name", "kept_name"),
    [
        ("../../etc/passwd.pdf", "passwd.pdf"),
        ("C:\\Users\\anna\\Umowa źródło.pdf", "Umowa źródło.pdf"),
        ("invoice\u202egnp.pdf", "invoicegnp.pdf"),  # a right-to-left override hides nothing
        ("CON.pdf", "_CON.pdf"),
        ("draft <v2>: final|copy?.pdf", "draft _v2__ final_copy_.pdf"),
        ("  ..offer  .pdf", "offer.pdf"),
    ],
)
def test_file_names_are_sanitised_and_the_stored_path_is_plain(
    persona_client, sales_rep, customer, media_root, sent_name, kept_name
):
    client = persona_client(sales_rep)
    assert _upload(client, customer, sent_name, samples.PDF).status_code == 302
    document = Document.objects.get()
    assert document.original_name == kept_name
    assert document.title == kept_name
    stored = document.file.name
    assert re.fullmatch(r"documents/\d{4}/\d{2}/[0-9a-f]{32}/[A-Za-z0-9_][A-Za-z0-9_.-]*", stored)
    assert (media_root / stored).resolve().is_relative_to(media_root.resolve())


def test_a_very_long_name_is_shortened_to_fit_keeping_its_extension(
    persona_client, sales_rep, customer, media_root
):
    client = persona_client(sales_rep)
    assert _upload(client, customer, "ż" * 400 + ".pdf", samples.PDF).status_code == 302
    document = Document.objects.get()
    assert len(document.original_name) <= 255
    assert document.original_name.endswith("ż.pdf")
    assert len(document.title) <= 200
    assert len(document.file.name) <= 300


def test_a_download_is_an_attachment_no_browser_renders_or_sniffs(
    persona_client, finance_clerk, media_root
):
    document = DocumentFactory(original_name="Umowa źródło.pdf")
    response = persona_client(finance_clerk).get(document.get_absolute_url())
    assert response.status_code == 200
    assert response["Content-Type"] == PDF_TYPE
    assert response["Content-Disposition"] == (
        "attachment; filename*=utf-8''Umowa%20%C5%BAr%C3%B3d%C5%82o.pdf"
    )
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Security-Policy"] == "sandbox; default-src 'none'"
    assert "no-store" in response["Cache-Control"]


def test_a_document_stored_with_a_type_no_longer_allowed_downloads_as_plain_bytes(
    persona_client, sales_rep, media_root
):
    """Before uploads were sniffed, the browser's declared type was stored as it came."""
    document = DocumentFactory(content_type="text/html", original_name='x".html\r\nSet-Cookie: a')
    response = persona_client(sales_rep).get(document.get_absolute_url())
    assert response["Content-Type"] == "application/octet-stream"
    assert response["Content-Disposition"] == 'attachment; filename="x_.html Set-Cookie_ a"'
    assert "Set-Cookie" not in response.headers


def test_uploaded_files_have_no_public_url(
    persona_client, sales_rep, customer, settings, media_root
):
    document = DocumentFactory(customer=customer)
    path = "/" + settings.MEDIA_URL.lstrip("/") + document.file.name
    with pytest.raises(Resolver404):
        resolve(path)
    assert persona_client(sales_rep).get(path).status_code == 404
