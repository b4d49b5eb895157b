"""Documents stored before uploads were sniffed are found by a command, for an admin to act on."""

import pytest
from django.core.files.base import ContentFile
from django.core.management import CommandError, call_command

from tests import samples
from tests.factories import DocumentFactory

pytestmark = pytest.mark.django_db


def test_stored_documents_that_fail_todays_checks_are_listed(media_root, capsys):
    good = DocumentFactory(file=ContentFile(samples.PDF, name="offer.pdf"))
    html = DocumentFactory(
        file=ContentFile(samples.HTML, name="offer.pdf"), original_name="offer.pdf"
    )
    missing = DocumentFactory()
    missing.file.storage.delete(missing.file.name)
    with pytest.raises(CommandError, match="2 stored documents fail the upload checks"):
        call_command("check_documents")
    output = capsys.readouterr().out
    assert f"document #{html.pk} " in output
    assert "content (text/html) does not match its name (.pdf)" in output
    assert f"document #{missing.pk} " in output
    assert "missing from storage" in output
    assert f"document #{good.pk} " not in output


def test_all_good_documents_pass(media_root, capsys):
    DocumentFactory(
        file=ContentFile(samples.PNG, name="meter.png"),
        original_name="meter.png",
        content_type="image/png",
    )
    call_command("check_documents")
    assert "Every stored document passes" in capsys.readouterr().out
