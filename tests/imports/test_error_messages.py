"""What the importing user is told about the rows that cannot be imported: in their language,
naming the columns as their file does, with every rejected row's reason shown."""

import csv
import io

import pytest
from django.urls import reverse

from core.i18n import profile_set_language
from imports.models import ImportRow

pytestmark = pytest.mark.django_db

# As the QA's file: Windows-1250, semicolons, Polish headers; the contact's job title is mapped
# ("Stanowisko") but not its first and last names.
POLISH = (
    "Nazwa;NIP;E-mail;Stanowisko;Miasto\n"
    "Alfa;5261040828;biuro@alfa.pl;;Łódź\n"
    "Beta;1234563219;beta@;;Kraków\n"
    ";5261040828;;;Gdańsk\n"
    "Firma Testowa Łącka;;;Kierownik;Łęczyca\n"
).encode("cp1250")


@pytest.fixture
def polish_batch(sales_rep, upload, prepare):
    """The file read for the preview as a Celery worker reads it: outside any request, in the
    worker's own language (LANGUAGE_CODE, English), for a user whose language is Polish."""
    profile_set_language(user=sales_rep, language="pl")
    return prepare(upload(sales_rep, POLISH, name="klienci.csv"))


def _row(batch, number):
    return batch.rows.get(number=number)


def test_the_previews_errors_are_in_the_importing_users_language(polish_batch):
    assert (polish_batch.encoding, polish_batch.delimiter) == ("cp1250", ";")
    beta = _row(polish_batch, 3)
    assert beta.errors["tax_id"] == "Nieprawidłowy numer NIP."
    assert beta.errors["email"] == "Podaj poprawny adres e-mail."
    assert _row(polish_batch, 4).errors["display_name"] == "Klient musi mieć nazwę."
    assert _row(polish_batch, 5).errors["contact1_first_name"] == "To pole nie może być puste."


def test_the_run_writes_its_reasons_in_the_importing_users_language(polish_batch, run_batch):
    batch = run_batch(polish_batch)
    assert batch.rows.get(number=3).outcome == ImportRow.Outcome.REJECTED
    assert "Nieprawidłowy numer NIP." in batch.rows.get(number=3).message
    assert "NIP: " in batch.rows.get(number=3).message
    assert "tax_id" not in batch.rows.get(number=3).message


def test_the_preview_shows_why_a_row_is_rejected_by_a_field_without_a_column(
    polish_batch, sales_rep, persona_client
):
    page = persona_client(sales_rep).get(polish_batch.get_absolute_url()).content.decode()

    row = page[page.index('id="row-5"') :]
    row = row[: row.index("</tr>")]
    assert "Odrzucone" in row
    assert "Osoba kontaktowa 1: imię: To pole nie może być puste." in row
    assert "Osoba kontaktowa 1: nazwisko: To pole nie może być puste." in row
    # An error on a mapped column stays beside its cell, and is not repeated for the row.
    beta = page[page.index('id="row-3"') :]
    beta = beta[: beta.index("</tr>")]
    assert beta.count("Nieprawidłowy numer NIP.") == 1


def test_the_rejected_rows_file_has_the_users_headers_and_reasons(
    polish_batch, run_batch, sales_rep, persona_client
):
    batch = run_batch(polish_batch)
    response = persona_client(sales_rep).get(reverse("imports:rejected", args=[batch.pk]))
    text = b"".join(response.streaming_content).decode("utf-8")

    header, *lines = list(csv.reader(io.StringIO(text.removeprefix("\ufeff"))))
    assert header == ["wiersz", "powód", "Nazwa", "NIP", "E-mail", "Stanowisko", "Miasto"]
    reasons = {int(line[0]): line[1] for line in lines}
    assert sorted(reasons) == [3, 4, 5]
    assert "NIP: Nieprawidłowy numer NIP." in reasons[3]
    assert "E-mail: Podaj poprawny adres e-mail." in reasons[3]
    assert "Nazwa: Klient musi mieć nazwę." in reasons[4]
    assert "Osoba kontaktowa 1: imię: To pole nie może być puste." in reasons[5]
    beta = dict(zip(header, lines[0], strict=True))
    assert (beta["Nazwa"], beta["NIP"], beta["Miasto"]) == ("Beta", "1234563219", "Kraków")
    for reason in reasons.values():
        assert "contact1_" not in reason and "display_name" not in reason


def test_a_user_reading_the_browsers_language_gets_the_previews_errors_in_it(
    sales_rep, upload, prepare
):
    """No language on the profile: the pages follow the browser (Polish here), and the worker,
    which has no browser to ask, writes in the language of the page the file came from."""
    from django.utils import translation

    assert not sales_rep.crm_profile.language if hasattr(sales_rep, "crm_profile") else True
    with translation.override("pl"):  # the upload page's request, in the browser's language
        batch = upload(sales_rep, POLISH, name="klienci.csv")
    assert batch.language == "pl"
    batch = prepare(batch)  # in the worker: English
    assert _row(batch, 3).errors["tax_id"] == "Nieprawidłowy numer NIP."
