"""The digests an edit form compares (core.concurrent_edits): one value, one digest, whichever
shape the stored row or the form's cleaned data gives it."""

from datetime import UTC, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

from django.core.files.uploadedfile import SimpleUploadedFile

from core.concurrent_edits import digest
from tests.factories import SegmentFactory


def test_one_value_in_its_several_shapes_has_one_digest():
    assert digest(Decimal("100.00")) == digest(Decimal("100"))
    moment = datetime(2026, 12, 7, 12, 30, tzinfo=UTC)
    assert digest(moment) == digest(moment.astimezone(ZoneInfo("Europe/Warsaw")))
    assert digest(None) == digest("")
    segments = [SegmentFactory.build(pk=3), SegmentFactory.build(pk=1)]
    assert digest(segments) == digest([1, 3])
    assert digest(segments[0]) == digest(3)


def test_different_values_differ_and_an_upload_is_compared_by_its_name():
    assert digest("Kraków") != digest("Białystok")
    assert digest(Decimal("100.01")) != digest(Decimal("100"))
    upload = SimpleUploadedFile("umowa.pdf", b"%PDF-1.4")
    assert digest(upload) == digest("umowa.pdf")
