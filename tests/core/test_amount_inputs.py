"""Amounts typed as their reader writes them: a text input (a number input follows the browser's
locale and silently drops a Polish comma and space, posting 123456 for "1 234,56"), read in the
active language's format, and refused rather than guessed when the separators are ambiguous."""

from decimal import Decimal

import pytest
from django.utils import translation

from core.forms import AmountField
from relationships.forms import InvoiceForm, PaymentForm
from tests.factories import CustomerFactory, InvoiceFactory

NBSP = "\xa0"
EXPECTED = Decimal("1234.56")


def _payment(invoice, amount):
    return PaymentForm(
        {
            "amount": amount,
            "currency": invoice.currency,
            "paid_on": "2020-08-31",
            "method": "bank_transfer",
        },
        invoice=invoice,
    )


@pytest.fixture
def invoice(db):
    return InvoiceFactory(amount=Decimal("5000.00"))


@pytest.mark.parametrize("language", ["pl", "cs", "ru"])
@pytest.mark.parametrize("typed", ["1234,56", "1 234,56", f"1{NBSP}234,56", " 1234.56 "])
def test_an_amount_in_the_european_format_is_read_as_written(invoice, language, typed):
    with translation.override(language):
        form = _payment(invoice, typed)
        assert form.is_valid(), form.errors
    assert form.cleaned_data["amount"] == EXPECTED


@pytest.mark.parametrize("typed", ["1,234.56", "1234.56"])
def test_an_amount_in_the_english_format_is_read_as_written(invoice, typed):
    with translation.override("en"):
        form = _payment(invoice, typed)
        assert form.is_valid(), form.errors
    assert form.cleaned_data["amount"] == EXPECTED


@pytest.mark.parametrize("typed", ["1234,56", "1234,5", "1.234,56"])
def test_a_decimal_comma_in_english_is_refused_not_read_as_thousands(invoice, typed):
    with translation.override("en"):
        form = _payment(invoice, typed)
        assert not form.is_valid()
        assert form.errors["amount"] == [
            "Write the amount with a dot for decimals, for example 1234.56."
        ]


@pytest.mark.parametrize("language", ["pl", "cs", "ru"])
@pytest.mark.parametrize("typed", ["1.234,56", "1,234.56"])
def test_a_dot_and_a_comma_together_are_refused_outside_english(invoice, language, typed):
    with translation.override(language):
        form = _payment(invoice, typed)
        assert not form.is_valid()
        assert "1234,56" in form.errors["amount"][0]


@pytest.mark.parametrize("language", ["en", "pl"])
@pytest.mark.parametrize("typed", ["12 34,5", "1,23,456", "abc", "1e5", "NaN", "\u0661\u0662", "-"])
def test_a_malformed_amount_is_refused_with_an_example(invoice, language, typed):
    example = {"en": "1234.56", "pl": "1234,56"}[language]
    with translation.override(language):
        form = _payment(invoice, typed)
        assert not form.is_valid()
        assert example in form.errors["amount"][0]


@pytest.mark.parametrize("language", ["en", "pl", "cs", "ru"])
def test_an_amount_renders_as_a_decimal_text_input_in_the_users_format(db, language):
    with translation.override(language):
        form = InvoiceForm(customer=CustomerFactory(), initial={"amount": EXPECTED})
        html = str(form["amount"])
    assert 'type="text"' in html
    assert 'inputmode="decimal"' in html
    assert 'type="number"' not in html
    assert f'value="{"1234.56" if language == "en" else "1234,56"}"' in html


def test_the_amount_field_is_the_model_forms_default():
    assert isinstance(PaymentForm.base_fields["amount"], AmountField)
    assert isinstance(InvoiceForm.base_fields["amount"], AmountField)


@pytest.mark.parametrize(("language", "typed"), [("pl", "1,5"), ("cs", "1,5"), ("en", "1.5")])
def test_a_percentage_is_read_as_written_too(language, typed):
    """A discount of "1,5" % typed on a Polish page in an English browser: 1.5, never 15."""
    from processes.forms import DiscountForm

    with translation.override(language):
        form = DiscountForm({"percent": typed})
        assert form.is_valid(), form.errors
        assert form.cleaned_data["percent"] == Decimal("1.5")
        assert 'inputmode="decimal"' in str(form["percent"])


def test_an_ambiguous_percentage_is_refused_with_a_number_not_an_amount():
    from processes.forms import DiscountForm

    with translation.override("en"):
        form = DiscountForm({"percent": "1,5"})
        assert not form.is_valid()
        assert form.errors["percent"] == [
            "Write the number with a dot for decimals, for example 1234.56."
        ]


def test_the_models_percentages_are_typed_as_numbers():
    from analytics.forms import ScoringParametersForm
    from core.forms import DecimalNumberField
    from processes.models import ProcessInstance

    field = ProcessInstance._meta.get_field("discount_percent").formfield()
    assert isinstance(field, DecimalNumberField)
    assert isinstance(ScoringParametersForm().fields["annual_discount_rate"], DecimalNumberField)


def test_a_number_too_long_for_the_column_is_refused_with_the_fields_limit():
    """99999999999999 does not fit the column (12 digits before the point) and is past the
    model's limit: the form says the limit, in the reader's format, once."""
    from django.core.exceptions import ValidationError

    field = InvoiceForm.base_fields["amount"]
    with translation.override("pl"):
        with pytest.raises(ValidationError) as refused:
            field.clean("99999999999999")
        assert refused.value.messages == ["Kwota nie może przekraczać 999\xa0999\xa0999,99."]
