"""Dates, times, numbers and money as each language writes them, and date inputs that accept the
user's format."""

from datetime import date, datetime, timedelta
from decimal import Decimal

import pytest
from django.contrib.humanize.templatetags.humanize import naturaltime
from django.template import Context, Template
from django.utils import timezone, translation
from django.utils.formats import date_format

from analytics.reports import ReportFilterForm
from core import money
from core.forms import DateField
from core.models import UserProfile
from relationships.forms import PaymentForm
from tests.factories import InvoiceFactory

NBSP = "\xa0"
DAY = date(2020, 8, 31)
MOMENT = datetime(2020, 8, 31, 14, 30)


@pytest.mark.parametrize(
    ("language", "short", "long"),
    [
        ("en", "08/31/2020", "Aug. 31, 2020"),
        ("pl", "31.08.2020", "31 sierpnia 2020"),
        ("cs", "31.08.2020", "31. srpna 2020"),
        ("ru", "31.08.2020", "31 августа 2020 г."),  # noqa: RUF001 (Russian letters)
    ],
)
def test_a_date(language, short, long):
    with translation.override(language):
        assert date_format(DAY, "SHORT_DATE_FORMAT") == short
        assert date_format(DAY, "DATE_FORMAT") == long


@pytest.mark.parametrize(
    ("language", "short", "long"),
    [
        ("en", "08/31/2020 2:30 p.m.", "Aug. 31, 2020, 2:30 p.m."),
        ("pl", "31.08.2020 14:30", "31 sierpnia 2020 14:30"),
        ("cs", "31.08.2020 14:30", "31. srpna 2020 14:30"),
        ("ru", "31.08.2020 14:30", "31 августа 2020 г. 14:30"),  # noqa: RUF001
    ],
)
def test_a_datetime_in_24_hours_outside_english(language, short, long):
    with translation.override(language):
        assert date_format(MOMENT, "SHORT_DATETIME_FORMAT") == short
        assert date_format(MOMENT, "DATETIME_FORMAT") == long


@pytest.mark.parametrize(
    ("language", "pln", "czk", "rub", "eur"),
    [
        ("en", "1,234.56 PLN", "1,234.56 CZK", "1,234.56 RUB", "1,234.56 EUR"),
        (
            "pl",
            f"1{NBSP}234,56{NBSP}zł",
            f"1{NBSP}234,56{NBSP}CZK",
            f"1{NBSP}234,56{NBSP}RUB",
            f"1{NBSP}234,56{NBSP}€",
        ),
        (
            "cs",
            f"1{NBSP}234,56{NBSP}PLN",
            f"1{NBSP}234,56{NBSP}Kč",
            f"1{NBSP}234,56{NBSP}RUB",
            f"1{NBSP}234,56{NBSP}€",
        ),
        (
            "ru",
            f"1{NBSP}234,56{NBSP}PLN",
            f"1{NBSP}234,56{NBSP}CZK",
            f"1{NBSP}234,56{NBSP}₽",
            f"1{NBSP}234,56{NBSP}€",
        ),
    ],
)
def test_an_amount_with_its_currency(language, pln, czk, rub, eur):
    amount = Decimal("1234.56")
    with translation.override(language):
        assert money.format_money(amount, "PLN") == pln
        assert money.format_money(amount, "CZK") == czk
        assert money.format_money(amount, "RUB") == rub
        assert money.format_money(amount, "EUR") == eur


@pytest.mark.parametrize(
    ("language", "expected"),
    [
        ("en", "-1,234,567.00"),
        ("pl", f"-1{NBSP}234{NBSP}567,00"),
        ("ru", f"-1{NBSP}234{NBSP}567,00"),
    ],
)
def test_an_amount_alone_is_grouped_and_rounded_half_up_as_the_templates_do(language, expected):
    with translation.override(language):
        assert money.format_amount(Decimal("-1234566.995")) == expected
        assert money.format_amount(Decimal("0.125")) == Template('{{ v|floatformat:"2g" }}').render(
            Context({"v": Decimal("0.125")})
        )


def test_a_language_without_a_symbol_of_its_own_writes_the_code():
    with translation.override("pl"):
        assert money.currency_symbol("USD") == "USD"
        assert money.format_money(Decimal("5"), "USD", places=0) == f"5{NBSP}USD"
    with translation.override("cs"):
        assert money.currency_symbol("USD") == "US$"


def test_the_templates_money_filters():
    template = Template(
        "{% load core_tags %}{{ a|money_format:c }}|{{ a|money_whole:c }}|{{ c|currency_symbol }}"
        "|{{ none|money_format:c }}"
    )
    context = Context({"a": Decimal("12345.67"), "c": "CZK", "none": None})
    with translation.override("cs"):
        assert template.render(context) == f"12{NBSP}345,67{NBSP}Kč|12{NBSP}346{NBSP}Kč|Kč|"
    with translation.override("en"):
        assert template.render(context) == "12,345.67 CZK|12,346 CZK|CZK|"


@pytest.mark.parametrize(
    ("language", "two_days", "years"),
    [
        ("pl", f"2{NBSP}dni temu", f"7{NBSP}lat, 2{NBSP}miesiące temu"),
        ("cs", f"před 2{NBSP}dny", f"před 7{NBSP}lety, 2{NBSP}měsíci"),
        ("ru", f"2{NBSP}дня назад", f"7{NBSP}лет, 2{NBSP}месяца назад"),
    ],
)
def test_how_long_ago_reads_right(language, two_days, years):
    now = timezone.now()
    with translation.override(language):
        assert naturaltime(now - timedelta(days=2, minutes=1)) == two_days
        assert naturaltime(now - timedelta(days=365 * 7 + 70)) == years


# --- Date inputs -----------------------------------------------------------------------------


@pytest.mark.parametrize("language", ["pl", "cs", "ru"])
def test_a_date_typed_as_31_08_2020_is_accepted(language):
    with translation.override(language):
        form = ReportFilterForm({"period": "custom", "start": "31.08.2020", "end": "2020-09-30"})
        assert form.is_valid(), form.errors
        assert form.cleaned_data["start"] == DAY
        assert form.cleaned_data["end"] == date(2020, 9, 30)


@pytest.mark.django_db
@pytest.mark.parametrize("language", ["pl", "cs", "ru"])
def test_a_model_forms_date_accepts_the_local_format_and_iso(language):
    invoice = InvoiceFactory(amount=Decimal("100.00"))
    with translation.override(language):
        for typed in ("31.08.2020", "2020-08-31"):
            form = PaymentForm(
                {
                    "amount": "10",
                    "currency": invoice.currency,
                    "paid_on": typed,
                    "method": "bank_transfer",
                },
                invoice=invoice,
            )
            assert form.is_valid(), form.errors
            assert form.cleaned_data["paid_on"] == DAY


def test_a_refused_date_says_the_expected_format_by_example():
    with translation.override("en"):
        form = ReportFilterForm({"period": "custom", "start": "31/08/2020", "end": "2020-09-30"})
        assert not form.is_valid()
        # (The form then says that a custom period needs both dates.)
        assert form.errors["start"][0] == "Enter a valid date, for example 2020-08-31."


@pytest.mark.parametrize("language", ["pl", "cs", "ru"])
def test_a_refused_date_names_the_users_own_format_and_iso(language):
    """The example is in the user's format; the sentence around it comes from the catalogue."""
    with translation.override(language):
        form = ReportFilterForm({"period": "custom", "start": "31/08/2020", "end": "2020-09-30"})
        assert not form.is_valid()
        error = form.errors["start"][0]
    assert "31.08.2020" in error
    assert "2020-08-31" in error


@pytest.mark.parametrize("language", ["en", "pl", "cs", "ru"])
def test_the_date_pickers_value_is_iso_in_every_language(language):
    """<input type="date"> shows only an ISO value: a localised one would empty the field."""
    with translation.override(language):
        html = DateField().widget.render("due", DAY)
    assert 'type="date"' in html
    assert 'value="2020-08-31"' in html


@pytest.mark.django_db
def test_an_invoice_page_shows_money_and_dates_in_the_users_language(persona_client, finance_clerk):
    UserProfile.objects.create(user=finance_clerk, language="pl")
    invoice = InvoiceFactory(
        amount=Decimal("1234.56"), currency="PLN", issue_date=DAY, due_date=DAY + timedelta(days=14)
    )

    content = persona_client(finance_clerk).get(invoice.get_absolute_url()).content.decode()

    assert f"1{NBSP}234,56{NBSP}zł" in content
    assert "14.09.2020" in content or "14 września 2020" in content
