"""Money: ISO 4217 currencies, bounded amounts, conversion through the registered rates, and
amounts shown as people read them."""

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.utils import translation

from core import bounds, money


@pytest.mark.parametrize("code", ["PLN", "EUR", "CZK", "USD"])
def test_an_iso_4217_code_is_a_currency(code):
    money.validate_currency(code)


@pytest.mark.parametrize("code", ["pln", "XAU", "EURO", "", "ZZZ"])
def test_anything_else_is_refused_with_its_own_code(code):
    with pytest.raises(ValidationError) as refused:
        money.validate_currency(code)
    assert refused.value.code == "invalid_currency"


def _refusals(field, value):
    try:
        field.clean(value, None)
    except ValidationError as error:
        return error.messages
    return []


def test_an_amount_is_positive_by_default_and_never_above_the_bound():
    field = money.amount_field("amount")
    assert _refusals(field, Decimal("0.01")) == []
    assert _refusals(field, bounds.MAX_AMOUNT) == []
    assert _refusals(field, Decimal("0")) == ["The amount must be greater than zero."]
    assert _refusals(field, bounds.MAX_AMOUNT + Decimal("0.01"))


def test_an_amount_that_may_be_zero_still_cannot_be_negative():
    field = money.amount_field("cost", positive=False)
    assert _refusals(field, Decimal("0")) == []
    assert _refusals(field, Decimal("-0.01")) == ["The amount cannot be negative."]


def test_a_currency_field_checks_its_code():
    field = money.currency_field()
    assert _refusals(field, "EUR") == []
    assert _refusals(field, "XYZ")


@pytest.fixture
def rates(monkeypatch):
    """PLN is the base; one EUR is 4.30 PLN, one CZK 0.17 PLN."""
    monkeypatch.setattr(
        money, "_rates_provider", lambda: ("PLN", {"EUR": Decimal("4.30"), "CZK": Decimal("0.17")})
    )


def test_without_rates_only_one_currency_compares(monkeypatch):
    monkeypatch.setattr(money, "_rates_provider", None)
    assert money.convert(Decimal("10"), "EUR", "EUR") == Decimal("10")
    assert money.convert(Decimal("10"), "EUR", "PLN") is None


def test_amounts_convert_through_the_base_currency_to_the_cent(rates):
    assert money.convert(Decimal("10"), "EUR", "PLN") == Decimal("43.00")
    assert money.convert(Decimal("43"), "PLN", "EUR") == Decimal("10.00")
    assert money.convert(Decimal("100"), "CZK", "EUR") == Decimal("3.95")
    assert money.convert(None, "EUR", "PLN") is None


def test_a_currency_without_a_rate_does_not_convert(rates):
    assert money.convert(Decimal("10"), "USD", "PLN") is None
    assert money.convert(Decimal("10"), "PLN", "USD") is None


def test_a_registered_provider_is_the_one_asked(monkeypatch):
    monkeypatch.setattr(money, "_rates_provider", None)
    money.register_rates_provider(lambda: ("EUR", {"PLN": Decimal("0.25")}))
    assert money.convert(Decimal("100"), "PLN", "EUR") == Decimal("25.00")


def test_an_amount_is_shown_with_two_places_and_grouped_thousands():
    with translation.override("en"):
        assert money.format_amount(Decimal("1234567.5")) == "1,234,567.50"
        assert money.format_amount(0) == "0.00"
