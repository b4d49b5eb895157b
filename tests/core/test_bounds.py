"""The windows and limits of core.bounds, and that every field of the domain apps has one."""

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from django.apps import apps
from django.core.exceptions import ValidationError
from django.core.validators import MaxLengthValidator, MaxValueValidator
from django.db import models
from django.forms import modelform_factory
from django.utils import timezone

from core import bounds
from core.selectors import bounded_columns
from customers.models import ContactPerson, Customer

DOMAIN_APPS = ("customers", "relationships", "processes", "analytics")


def domain_fields():
    for app in DOMAIN_APPS:
        for model in apps.get_app_config(app).get_models():
            if model._meta.object_name.startswith("Historical"):
                continue  # django-simple-history's copies carry the tracked fields' validators
            for field in model._meta.concrete_fields:
                yield f"{model._meta.label}.{field.name}", field


def test_every_date_text_and_amount_field_of_the_domain_apps_is_bounded():
    unbounded = []
    for label, field in domain_fields():
        if isinstance(field, models.DateField):  # DateTimeField included
            exempt = field.auto_now or field.auto_now_add or not field.editable
            if not exempt and bounds.window_of(field) is None:
                unbounded.append(f"{label}: no date window")
        elif isinstance(field, models.TextField):
            limited = field.max_length and any(
                isinstance(v, MaxLengthValidator) and v.limit_value == field.max_length
                for v in field.validators
            )
            if not limited:
                unbounded.append(f"{label}: no max_length enforced at model level")
        elif (
            isinstance(field, models.DecimalField)
            and field.editable
            and not any(isinstance(v, MaxValueValidator) for v in field.validators)
        ):
            unbounded.append(f"{label}: no maximum")
    assert unbounded == []


def test_the_walk_sees_the_fields_it_checks():
    labels = dict(domain_fields())
    assert bounds.window_of(labels["relationships.Interaction.occurred_at"]) is bounds.PAST
    assert bounds.window_of(labels["relationships.Contract.start_date"]) is bounds.BUSINESS
    assert labels["customers.Customer.notes"].max_length == bounds.LONG_TEXT


def test_check_bounds_covers_every_bounded_domain_field():
    columns = {f"{c.model._meta.label}.{c.field.name}" for c in bounded_columns()}
    expected = {
        label
        for label, field in domain_fields()
        if bounds.window_of(field)
        or (isinstance(field, models.TextField) and field.max_length)
        or (
            isinstance(field, models.DecimalField)
            and any(isinstance(v, MaxValueValidator) for v in field.validators)
        )
    }
    assert expected - columns == set()


@pytest.mark.parametrize(
    ("window", "inside", "outside"),
    [
        (
            "business",
            [date(1900, 1, 1), date(2100, 12, 31)],
            [date(1899, 12, 31), date(2101, 1, 1)],
        ),
        (
            "recorded",
            [date(1970, 1, 1), date(2100, 12, 31)],
            [date(1969, 12, 31), date(9999, 12, 31)],
        ),
        ("past", [date(1970, 1, 1)], [date(1, 1, 1), date(1969, 12, 31)]),
    ],
)
def test_a_date_window_accepts_its_edges_and_refuses_beyond_them(window, inside, outside):
    validator = bounds.WindowValidator(window)
    for value in inside:
        validator(value)
    for value in outside:
        with pytest.raises(ValidationError) as refused:
            validator(value)
        assert refused.value.code == "out_of_window"


def test_the_message_names_the_window():
    with pytest.raises(ValidationError) as refused:
        bounds.WindowValidator("business")(date(1, 1, 1))
    message = refused.value.messages[0]
    assert "1900" in message and "2100" in message


def test_things_that_happened_end_today_and_the_future_is_named():
    validator = bounds.WindowValidator("past")
    validator(timezone.localdate())
    validator(timezone.now() + timedelta(minutes=1))  # later today, whatever the clock says
    tomorrow = timezone.localdate() + timedelta(days=1)
    with pytest.raises(ValidationError) as refused:
        validator(tomorrow)
    assert "future" in refused.value.messages[0]
    with pytest.raises(ValidationError):
        validator(timezone.make_aware(datetime.combine(tomorrow, datetime.min.time())))


def test_date_times_at_the_edge_of_python_compare_without_overflow():
    validator = bounds.WindowValidator("recorded")
    for value in (
        datetime(1, 1, 1, tzinfo=timezone.get_current_timezone()),
        datetime(9999, 12, 31, 23, 59, tzinfo=UTC),
        datetime(1, 1, 1),
    ):
        with pytest.raises(ValidationError):
            validator(value)


def test_a_date_time_window_edge_is_midnight_utc():
    validator = bounds.WindowValidator("recorded")
    validator(datetime(1970, 1, 1, tzinfo=UTC))
    with pytest.raises(ValidationError):
        validator(datetime(1969, 12, 31, 23, 59, 59, tzinfo=UTC))


def test_amounts_have_a_maximum_and_texts_a_length():
    from relationships.models import Invoice

    amount = Invoice._meta.get_field("amount")
    amount.run_validators(bounds.MAX_AMOUNT)
    with pytest.raises(ValidationError):
        amount.run_validators(bounds.MAX_AMOUNT + Decimal("0.01"))
    notes = apps.get_model("customers", "Customer")._meta.get_field("notes")
    notes.run_validators("x" * bounds.LONG_TEXT)
    with pytest.raises(ValidationError):
        notes.run_validators("x" * (bounds.LONG_TEXT + 1))


@pytest.mark.parametrize(
    ("language", "limit"),
    [("en", "999,999,999.99"), ("pl", "999\xa0999\xa0999,99"), ("ru", "999\xa0999\xa0999,99")],
)
def test_the_amount_limit_is_written_as_the_reader_writes_numbers(language, limit):
    from django.utils import translation

    from relationships.models import Invoice

    amount = Invoice._meta.get_field("amount")
    with translation.override(language), pytest.raises(ValidationError) as refused:
        amount.run_validators(bounds.MAX_AMOUNT + 1)
    with translation.override(language):
        assert limit in " ".join(refused.value.messages)


def test_an_unknown_window_is_a_programming_error():
    with pytest.raises(ValueError):
        bounds.WindowValidator("someday")


@pytest.mark.parametrize("address", ["user@[127.0.0.1]", "user@localhost"])
def test_a_customers_address_is_at_an_internet_domain(address):
    """Valid for Django's EmailField, yet no customer's mailbox: refused on customers and their
    contacts, with the reason beside the field."""
    for model in (Customer, ContactPerson):
        form = modelform_factory(model, fields=["email"])(data={"email": address})
        assert form.errors["email"] == [
            "Enter an e-mail address at an internet domain, such as name@example.com."
        ]


@pytest.mark.parametrize("address", ["anna@example.com", "biuro@gęślą.pl", "x@sub.example.co.uk"])
def test_ordinary_addresses_pass(address):
    bounds.validate_mailbox_address(address)


def test_a_malformed_address_gets_one_message_not_two():
    form = modelform_factory(Customer, fields=["email"])(data={"email": "a@b"})
    assert form.errors["email"] == ["Enter a valid email address."]
