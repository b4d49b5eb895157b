# ruff: noqa: RUF001  (Russian headers and values: Cyrillic letters on purpose)
"""Real files: encodings, delimiters, dates, decimal commas, headers not on line 1, quoted new
lines, trailing blanks, phone and tax id formats. Each file has a known outcome."""

import datetime
import io

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from openpyxl import Workbook

from core.models import AuditEvent
from customers.models import Customer
from imports import parsing
from imports.models import ImportBatch
from relationships.models import Interaction, Relationship

pytestmark = pytest.mark.django_db

POLISH = (
    "Nazwa firmy;NIP;E-mail;Telefon;Miasto;Data pierwszego kontaktu;Imię;Nazwisko\r\n"
    "Łódzka Spółka Żółw;123-456-32-18;biuro@zolw.pl;600 100 200;Łódź;31.08.2020;Zofia;Gęś\r\n"
    "Źródło Sp. z o.o.;5260250274;kontakt@zrodlo.pl;+48 22 123 45 67;Kraków;2021-01-15;"
    "Jan;Kowalski\r\n"
    ";;;;;;;\r\n"
    "\r\n"
)


def test_a_windows_1250_file_with_semicolons_is_read_with_its_polish_letters(sales_rep, imported):
    batch = imported(sales_rep, POLISH.encode("cp1250"))

    assert (batch.encoding, batch.delimiter) == ("cp1250", ";")
    assert batch.created_count == 2
    turtle = Customer.objects.get(tax_id="1234563218")
    assert turtle.display_name == "Łódzka Spółka Żółw"
    assert turtle.city == "Łódź"
    assert turtle.phone == "+48 600 100 200"
    assert turtle.first_contact_on == datetime.date(2020, 8, 31)
    assert turtle.contacts.get().last_name == "Gęś"


def test_utf8_with_a_byte_order_mark_and_commas(sales_rep, imported):
    content = "\ufeffName,Tax id,Email\r\nAcme,5213017228,A@Acme.example\r\n"
    batch = imported(sales_rep, content.encode("utf-8"))

    assert (batch.encoding, batch.delimiter) == ("utf-8-sig", ",")
    assert batch.mapping == {"0": "display_name", "1": "tax_id", "2": "email"}
    assert Customer.objects.get(tax_id="5213017228").email == "a@acme.example"


def test_a_russian_file_in_windows_1251_with_tabs_and_an_inn(sales_rep, imported):
    content = (
        "Наименование\tИНН\tТелефон\tСтрана\n"
        "ООО Ромашка\t7707083893\t8 (495) 123-45-67\tРоссия\n"
        "ООО Лютик\t7707083894\t+7 495 765 43 21\tRU\n"
    )
    batch = imported(sales_rep, content.encode("cp1251"))

    assert batch.delimiter == "\t"
    assert batch.created_count == 1
    assert batch.rejected_count == 1
    chamomile = Customer.objects.get(display_name="ООО Ромашка")
    assert (chamomile.tax_id, chamomile.country) == ("7707083893", "RU")
    assert chamomile.phone == "+7 495 123-45-67"
    bad = batch.rows.get(number=3)
    assert bad.errors == {"tax_id": "Not a valid ИНН."}
    assert "ИНН" in bad.message


def test_a_bad_nip_is_an_error_beside_its_cell_and_the_row_is_rejected(sales_rep, upload, prepare):
    batch = prepare(upload(sales_rep, "Nazwa;NIP\nDobra;1234563218\nZła;1234563219\n"))

    good, bad = batch.rows.order_by("number")
    assert good.errors == {}
    assert bad.errors == {"tax_id": "Not a valid NIP."}


def test_a_header_below_title_lines_is_found(sales_rep, imported):
    content = (
        "Eksport klientów z programu XYZ\n"
        "Wygenerowano 2024-05-01\n"
        "\n"
        "Lp.;Nazwa;NIP;Miejscowość\n"
        "1;Alfa;1234563218;Gdańsk\n"
    )
    batch = imported(sales_rep, content)

    assert batch.header_row == 4
    assert Customer.objects.get().city == "Gdańsk"


def test_quoted_new_lines_stay_in_their_cell(sales_rep, imported):
    content = 'Name,Notes,City\n"Beta","first line\nsecond line",Brno\nGamma,,Praha\n'
    batch = imported(sales_rep, content, country="CZ")

    assert batch.total_rows == 2
    assert Customer.objects.get(display_name="Beta").notes == "first line\nsecond line"
    assert batch.rows.get(number=2).cells["notes"] == "first line\nsecond line"


def test_czech_headers_and_ico(sales_rep, imported):
    content = (
        "Název firmy;IČO;Město;Země\nKočka s.r.o.;25596641;Brno;CZ\nPes a.s.;25596642;Praha;CZ\n"
    )
    batch = imported(sales_rep, content)

    assert batch.created_count == 1
    assert batch.rows.get(number=3).errors == {"tax_id": "Not a valid IČO/DIČ."}


def test_a_missing_required_column_is_refused_at_the_mapping(sales_rep, upload, prepare):
    batch = upload(sales_rep, "E-mail;Telefon\na@b.pl;600100200\n")

    with pytest.raises(ValidationError) as refused:
        prepare(batch)
    assert "display name" in refused.value.messages[0]


def test_a_file_above_the_size_limit_is_refused_before_it_is_read(sales_rep, upload, settings):
    settings.IMPORT_MAX_SIZE = 100

    with pytest.raises(ValidationError) as refused:
        upload(sales_rep, "Name\n" + "x" * 200)
    assert "larger than" in refused.value.message_dict["file"][0]


def test_markup_is_no_csv(sales_rep, upload):
    with pytest.raises(ValidationError):
        upload(sales_rep, "<html><script>alert(1)</script></html>")


def test_an_xlsx_workbook_with_real_dates_and_numbers(sales_rep, imported):
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(["Company", "NIP", "First contact", "Phone"])
    sheet.append(["Delta", 1234563218, datetime.datetime(2019, 3, 4), 600100200])
    buffer = io.BytesIO()
    workbook.save(buffer)

    batch = imported(sales_rep, buffer.getvalue(), name="delta.xlsx")

    assert batch.file_format == "xlsx"
    delta = Customer.objects.get()
    assert (delta.tax_id, delta.first_contact_on) == ("1234563218", datetime.date(2019, 3, 4))
    assert delta.phone == "+48 600 100 200"


def test_an_impossible_date_is_an_error_beside_its_cell(sales_rep, upload, prepare):
    batch = prepare(upload(sales_rep, "Name;First contact\nA;31.02.2020\nB;01.01.1800\n"))

    first, second = batch.rows.order_by("number")
    assert "Not a date" in first.errors["first_contact_on"]
    assert "first_contact_on" in second.errors  # outside the accepted window (core.bounds)


@pytest.mark.parametrize(
    ("text", "number"),
    [
        ("1 234,56", "1234.56"),
        ("1.234,56", "1234.56"),
        ("1,234.56", "1234.56"),
        ("12,5", "12.5"),
        ("1\u00a0000", "1000"),
        ("-3", "-3"),
    ],
)
def test_amounts_with_decimal_commas_and_thousands(text, number):
    assert str(parsing.parse_decimal(text)) == number


@pytest.mark.parametrize("text", ["31.08.2020", "31/08/2020", "2020-08-31"])
def test_the_usual_date_spellings(text):
    assert parsing.parse_date(text) == datetime.date(2020, 8, 31)


def test_one_row_carries_a_customer_and_two_contacts(sales_rep, imported):
    content = (
        "Name;First name;Last name;Contact 2 first name;Contact 2 last name;Contact 2 email\n"
        "Epsilon;Anna;Nowak;Piotr;Wiśniewski;PIOTR@epsilon.example\n"
    )
    imported(sales_rep, content)

    epsilon = Customer.objects.get()
    people = {(c.first_name, c.is_primary, c.email) for c in epsilon.contacts.all()}
    assert people == {("Anna", True, ""), ("Piotr", False, "piotr@epsilon.example")}


def test_rows_repeating_the_customer_add_contacts_to_it(sales_rep, imported):
    content = (
        "Name;NIP;First name;Last name\n"
        "Zeta;1234563218;Ewa;Lis\n"
        "Zeta;1234563218;Adam;Kot\n"
        "Eta;;Iga;Sowa\n"
    )
    batch = imported(sales_rep, content)

    assert batch.created_count == 2
    zeta = Customer.objects.get(display_name="Zeta")
    assert sorted(zeta.contacts.values_list("last_name", flat=True)) == ["Kot", "Lis"]
    assert zeta.contacts.get(is_primary=True).last_name == "Lis"


def test_rows_are_read_and_run_in_chunks_across_blank_lines(sales_rep, imported, monkeypatch):
    # Chunks of two row numbers: lines 4, 5 and 6 are blank, so the chunk of rows 5 and 6 is
    # empty, and the repeated customer's row (8) comes in a later chunk than its first (2).
    monkeypatch.setattr("imports.kinds.CHUNK_SIZE", 2)
    content = (
        "Name;NIP;First name;Last name\n"
        "Zeta;1234563218;Ewa;Lis\n"
        "Eta;;Iga;Sowa\n"
        ";;;\n"
        "\n"
        "\n"
        "Theta;;Ola;Wrona\n"
        "Zeta;1234563218;Adam;Kot\n"
    )
    batch = imported(sales_rep, content)

    assert (batch.total_rows, batch.created_count) == (4, 3)
    assert set(batch.rows.values_list("outcome", flat=True)) == {"created"}
    zeta = Customer.objects.get(display_name="Zeta")
    assert sorted(zeta.contacts.values_list("last_name", flat=True)) == ["Kot", "Lis"]


def test_imported_customers_are_registered_like_new_ones(sales_rep, imported):
    imported(sales_rep, "Name;Źródło;Data pierwszego kontaktu\nTheta;mailing;2022-02-03\n")

    theta = Customer.objects.get()
    relationship = Relationship.objects.get(customer=theta)
    contact = Interaction.objects.get(customer=theta)
    assert (theta.owner, theta.created_by, theta.status) == (sales_rep, sales_rep, "prospect")
    assert (relationship.started_on, relationship.status) == (datetime.date(2022, 2, 3), "prospect")
    assert contact.channel == Interaction.Channel.MAILING
    assert contact.occurred_at.date() == datetime.date(2022, 2, 3)
    assert theta.last_contact_at == contact.occurred_at


@pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="Bulk inserts are audited by PostgreSQL's triggers only (README, Security → Audit).",
)
def test_the_audit_records_each_imported_record_with_the_import_and_its_user(sales_rep, imported):
    batch = imported(sales_rep, "Name;NIP;First name;Last name\nLambda;1234563218;Ewa;Lis\n")

    lambda_ = Customer.objects.get()
    records = [lambda_, lambda_.contacts.get(), Relationship.objects.get(customer=lambda_)]
    for record in records:
        event = AuditEvent.objects.get(model=record._meta.label_lower, object_id=record.pk)
        assert (event.action, event.user, event.source) == (
            "create",
            sales_rep,
            f"import #{batch.pk}: customers.csv",
        )
    assert AuditEvent.objects.get(model="customers.customer").changes["tax_id"] == [
        None,
        "1234563218",
    ]
    assert AuditEvent.objects.get(model="customers.contactperson").changes["last_name"] == [
        None,
        "Lis",
    ]


def test_a_failed_run_leaves_the_database_as_it_was(sales_rep, upload, prepare, monkeypatch):
    batch = prepare(upload(sales_rep, "Name\nIota\nKappa\n"))
    batch.status = ImportBatch.Status.QUEUED
    batch.save()

    from core import bulk
    from imports import services

    insert = bulk.insert

    def crash(model, rows, **kwargs):
        # After the customers and their relationships are written: those must go too.
        if model is Interaction:
            raise RuntimeError("disk on fire")
        return insert(model, rows, **kwargs)

    monkeypatch.setattr(bulk, "insert", crash)

    with pytest.raises(RuntimeError):
        services.batch_run(batch_id=batch.pk)

    batch.refresh_from_db()
    assert batch.status == ImportBatch.Status.FAILED
    assert "nothing of it was saved" in batch.error
    assert not Customer.objects.exists()
    assert not Relationship.objects.exists()
    assert set(batch.rows.values_list("outcome", flat=True)) == {""}
