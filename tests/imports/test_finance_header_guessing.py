"""The column mapping of invoices and payments is guessed from the headers real exports carry,
in English, Polish, Czech and Russian."""

import pytest

from imports import kinds

PAYMENT_HEADERS = {
    "invoice_number": [
        "Invoice number",
        "Invoice No.",
        "Invoice #",
        "Numer faktury",
        "Nr faktury",
        "Faktura",
        "Číslo faktury",
        "Номер счёта",
        "Номер счета",
        "Счёт №",
    ],
    "amount": [
        "Amount",
        "Payment amount",
        "Kwota",
        "Kwota wpłaty",
        "Kwota zapłaty",
        "Částka",
        "Částka platby",
        "Сумма",
        "Сумма платежа",
        "Сумма оплаты",
    ],
    "currency": ["Currency", "Waluta", "Měna", "Валюта", "Kod waluty"],
    "paid_on": [
        "Payment date",
        "Date paid",
        "Paid on",
        "Data zapłaty",
        "Data wpłaty",
        "Data płatności",
        "Data operacji",
        "Datum platby",
        "Datum úhrady",
        "Datum zaplacení",
        "Datum",
        "Дата оплаты",
        "Дата платежа",
        "Дата поступления",
    ],
    "method": [
        "Payment method",
        "Forma płatności",
        "Sposób płatności",
        "Způsob platby",
        "Forma úhrady",
        "Способ оплаты",
        "Форма оплаты",
    ],
    "reference": [
        "Reference",
        "Description",
        "Tytuł przelewu",
        "Opis",
        "Zpráva pro příjemce",
        "Назначение платежа",
    ],
}

INVOICE_HEADERS = {
    "number": [
        "Invoice number",
        "Invoice #",
        "Numer faktury",
        "Nr dokumentu",
        "Číslo faktury",
        "Číslo dokladu",
        "Номер счёта",
        "Номер документа",
    ],
    "customer_tax_id": ["VAT number", "NIP", "NIP kontrahenta", "IČO", "IČ", "DIČ", "ИНН"],
    "customer_name": [
        "Customer",
        "Nabywca",
        "Nazwa kontrahenta",
        "Odběratel",
        "Název odběratele",
        "Покупатель",
        "Контрагент",
    ],
    "issue_date": [
        "Issue date",
        "Invoice date",
        "Data wystawienia",
        "Datum vystavení",
        "Vystaveno",
        "Дата выставления",
        "Дата счёта",
    ],
    "due_date": [
        "Due date",
        "Termin płatności",
        "Termin zapłaty",
        "Datum splatnosti",
        "Splatnost",
        "Срок оплаты",
        "Оплатить до",
    ],
    "amount": [
        "Total",
        "Kwota",
        "Kwota brutto",
        "Wartość brutto",
        "Částka",
        "Celkem s DPH",
        "Сумма",
        "Сумма с НДС",  # noqa: RUF001
    ],
    "currency": ["Currency", "Waluta", "Měna", "Валюта"],
    "paid_amount": ["Amount paid", "Zapłacono", "Uhrazeno", "Zaplaceno", "Оплачено"],
}


def _cases(kind, table):
    return [
        pytest.param(kind, header, field, id=f"{kind}-{field}-{header}")
        for field, headers in table.items()
        for header in headers
    ]


@pytest.mark.parametrize(
    ("kind", "header", "field"),
    _cases("payments", PAYMENT_HEADERS) + _cases("invoices", INVOICE_HEADERS),
)
def test_the_header_is_guessed_as_its_field(kind, header, field):
    assert kinds.get(kind).guess_mapping([header]) == {"0": field}


@pytest.mark.parametrize(
    "headers",
    [
        ["Numer faktury", "Kwota", "Waluta", "Data zapłaty"],
        ["Číslo faktury", "Částka", "Měna", "Datum úhrady"],
        ["Номер счёта", "Сумма", "Валюта", "Дата оплаты"],
    ],
)
def test_a_payments_file_is_mapped_whole(headers):
    mapping = kinds.get("payments").guess_mapping(headers)

    assert list(mapping.values()) == ["invoice_number", "amount", "currency", "paid_on"]
