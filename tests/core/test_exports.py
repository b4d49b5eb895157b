"""Exports of the lists (core.exports): the rows the list shows with its filters, only what the
user may see, streamed, typed in XLSX, safe from formula injection, and audited."""

import csv
import io
from datetime import date
from decimal import Decimal

import pytest
from django.http import FileResponse, StreamingHttpResponse
from django.urls import reverse
from openpyxl import load_workbook

from core import lists
from core.exports import spreadsheet_safe
from core.models import AuditEvent, Team
from tests.factories import (
    ContractFactory,
    CustomerFactory,
    InvoiceFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db


def _csv(response):
    assert isinstance(response, StreamingHttpResponse)
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"].startswith('attachment; filename="')
    text = b"".join(response.streaming_content).decode("utf-8")
    assert text.startswith("\ufeff")
    return list(csv.reader(io.StringIO(text[1:])))


def _xlsx(response):
    assert isinstance(response, FileResponse)
    sheet = load_workbook(io.BytesIO(b"".join(response.streaming_content))).active
    return [list(row) for row in sheet.iter_rows(values_only=True)], sheet


@pytest.mark.parametrize(
    ("value", "safe"),
    [
        ('=HYPERLINK("http://evil")', '\'=HYPERLINK("http://evil")'),
        ("+48 600", "'+48 600"),
        ("-2+3", "'-2+3"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\tx", "'\tx"),
        ("Acme = good", "Acme = good"),
        ("", ""),
    ],
)
def test_a_text_that_would_start_a_formula_is_prefixed(value, safe):
    assert spreadsheet_safe(value) == safe


def test_the_customer_export_has_the_lists_filters_and_order(persona_client, sales_rep):
    CustomerFactory(display_name="Beta", status="active", city="Kraków", owner=sales_rep)
    CustomerFactory(display_name="Alpha", status="active", city="Łódź")
    CustomerFactory(display_name="Gamma", status="prospect")
    client = persona_client(sales_rep)

    rows = _csv(client.get(reverse("customers:list"), {"status": "active", "format": "csv"}))

    header, *body = rows
    assert header[:3] == ["Id", "Name", "Kind"]
    assert [row[1] for row in body] == ["Alpha", "Beta"]
    beta = dict(zip(header, body[1], strict=True))
    assert beta["Status"] == "Active"
    assert beta["City"] == "Kraków"
    assert beta["Owner"] == "sally_sales"
    assert beta["Kind"] == "Organisation"


def test_an_export_is_audited_with_its_filters_and_rows(persona_client, sales_rep):
    CustomerFactory.create_batch(3, status="active")
    client = persona_client(sales_rep)
    _csv(client.get(reverse("customers:list"), {"status": "active", "format": "csv", "page": 2}))
    event = AuditEvent.objects.get(action=AuditEvent.Action.EXPORT)
    assert event.user == sales_rep
    assert event.details == {"list": "customers", "filters": {"status": "active"}, "rows": 3}


def test_formula_injection_is_neutralised_in_csv_and_xlsx(persona_client, sales_rep):
    CustomerFactory(display_name='=HYPERLINK("http://evil.example","click")', city="@SUM(1)")
    client = persona_client(sales_rep)
    header, row = _csv(client.get(reverse("customers:list"), {"format": "csv"}))
    record = dict(zip(header, row, strict=True))
    assert record["Name"] == '\'=HYPERLINK("http://evil.example","click")'
    assert record["City"] == "'@SUM(1)"

    (header, row), sheet = _xlsx(client.get(reverse("customers:list"), {"format": "xlsx"}))
    assert row[1] == '=HYPERLINK("http://evil.example","click")'
    assert sheet.cell(row=2, column=2).data_type == "s"


def test_the_xlsx_export_types_dates_and_amounts(persona_client, finance_clerk):
    customer = CustomerFactory(display_name="Acme")
    InvoiceFactory(
        customer=customer,
        number="FV/1",
        issue_date=date(2026, 1, 5),
        due_date=date(2026, 1, 19),
        amount=Decimal("1234.56"),
        currency="EUR",
    )
    client = persona_client(finance_clerk)
    (header, row), sheet = _xlsx(
        client.get(reverse("relationships:invoice_list"), {"format": "xlsx"})
    )
    record = dict(zip(header, row, strict=True))
    assert record["Number"] == "FV/1"
    assert record["Due date"].date() == date(2026, 1, 19)
    assert record["Amount"] == pytest.approx(1234.56)
    assert record["Currency"] == "EUR"
    amount = sheet.cell(row=2, column=header.index("Amount") + 1)
    assert amount.data_type == "n" and amount.number_format == "#,##0.00"
    due = sheet.cell(row=2, column=header.index("Due date") + 1)
    assert due.is_date and due.number_format == "yyyy-mm-dd"

    header, row = _csv(client.get(reverse("relationships:invoice_list"), {"format": "csv"}))
    record = dict(zip(header, row, strict=True))
    assert (record["Due date"], record["Amount"]) == ("2026-01-19", "1234.56")


def test_team_mode_exports_only_the_rows_the_user_sees(persona_client, settings, sales_rep):
    settings.CRM_VISIBILITY = "team"
    stranger = UserFactory(username="prague_rep")
    Team.objects.create(name="Warsaw").members.add(sales_rep)
    Team.objects.create(name="Prague").members.add(stranger)
    CustomerFactory(display_name="Ours", owner=sales_rep)
    CustomerFactory(display_name="Unowned")
    CustomerFactory(display_name="Theirs", owner=stranger)
    ContractFactory(customer=CustomerFactory(display_name="Theirs too", owner=stranger))
    client = persona_client(sales_rep)

    _, *body = _csv(client.get(reverse("customers:list"), {"format": "csv"}))
    assert sorted(row[1] for row in body) == ["Ours", "Unowned"]
    (_, *body), _sheet = _xlsx(client.get(reverse("customers:list"), {"format": "xlsx"}))
    assert sorted(row[1] for row in body) == ["Ours", "Unowned"]
    _, *body = _csv(client.get(reverse("relationships:contract_list"), {"format": "csv"}))
    assert body == []


def test_every_list_with_views_exports_both_formats(persona_client, manager):
    client = persona_client(manager)
    CustomerFactory(display_name="Acme")
    for info in lists.registered():
        for fmt in ("csv", "xlsx"):
            response = client.get(info.url(), {"format": fmt})
            assert response.status_code == 200, (info.key, fmt)
            assert response["Content-Disposition"].startswith("attachment"), (info.key, fmt)
            b"".join(response.streaming_content)
    exported = AuditEvent.objects.filter(action=AuditEvent.Action.EXPORT)
    assert {event.details["list"] for event in exported} == {i.key for i in lists.registered()}


def test_an_unknown_format_shows_the_list(persona_client, sales_rep):
    response = persona_client(sales_rep).get(reverse("customers:list"), {"format": "pdf"})
    assert response.status_code == 200
    assert "text/html" in response["Content-Type"]


def test_export_needs_the_lists_permission(persona_client, outsider):
    response = persona_client(outsider).get(
        reverse("relationships:invoice_list"), {"format": "csv"}
    )
    assert response.status_code == 403


def _model_field(model, path):
    """The model field a column's `values_list` path reads."""
    *relations, name = path.split("__")
    for relation in relations:
        model = model._meta.get_field(relation).related_model
    return model._meta.get_field(name)


def test_every_exported_code_column_shows_its_label(manager):
    from django.http import QueryDict

    for info in lists.registered():
        rows = info.rows(manager, QueryDict())
        for column in rows.columns:
            field = _model_field(rows.queryset.model, column.path)
            # relationship_kind is a copy of the relationship's kind, without choices of its own.
            if column.path == "value__grade":
                continue  # A to D: the letter is the grade's name in every language, as in the list
            if field.choices or column.path == "relationship_kind":
                assert column.choices is not None or column.convert is not None, (
                    info.key,
                    column.path,
                )


@pytest.mark.parametrize(
    ("language", "header", "lasting", "casual"),
    [
        ("pl", "Rodzaj relacji", "Stała relacja", "Kontakt okazjonalny"),
        ("cs", "Druh vztahu", "Trvalý vztah", "Příležitostný kontakt"),
    ],
)
def test_the_relationship_kind_is_exported_as_its_label_in_the_users_language(
    persona_client, sales_rep, language, header, lasting, casual
):
    from core.i18n import profile_set_language

    profile_set_language(user=sales_rep, language=language)
    CustomerFactory(display_name="Alpha", relationship_kind="lasting")
    CustomerFactory(display_name="Beta", relationship_kind="casual")
    client = persona_client(sales_rep)

    head, *body = _csv(client.get(reverse("customers:list"), {"format": "csv", "ordering": "name"}))
    kinds = {row[1]: dict(zip(head, row, strict=True))[header] for row in body}
    assert kinds == {"Alpha": lasting, "Beta": casual}

    (head, *body), _sheet = _xlsx(client.get(reverse("customers:list"), {"format": "xlsx"}))
    kinds = {row[1]: dict(zip(head, row, strict=True))[header] for row in body}
    assert kinds == {"Alpha": lasting, "Beta": casual}


def test_the_xlsx_export_writes_formula_like_text_as_plain_text(persona_client, sales_rep):
    CustomerFactory(display_name="=1+1", phone="+420 792 749 710", city="-Łódź", street="@home")
    client = persona_client(sales_rep)

    (header, row), sheet = _xlsx(client.get(reverse("customers:list"), {"format": "xlsx"}))

    record = dict(zip(header, row, strict=True))
    assert record["Name"] == "=1+1"
    assert record["Phone"] == "+420 792 749 710"
    assert record["City"] == "-Łódź"
    assert record["Street"] == "@home"
    for name in ("Name", "Phone", "City", "Street"):
        cell = sheet.cell(row=2, column=header.index(name) + 1)
        # A string, never a formula; quotePrefix keeps it text when someone edits the cell.
        assert cell.data_type == "s", name
        assert cell.quotePrefix, name
    # The CSV keeps its guard: a spreadsheet opening it sees the apostrophe, not a formula.
    header, row = _csv(client.get(reverse("customers:list"), {"format": "csv"}))
    record = dict(zip(header, row, strict=True))
    assert (record["Name"], record["Phone"]) == ("'=1+1", "'+420 792 749 710")
