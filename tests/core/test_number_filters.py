"""The lists' number filters, typed as text in the reader's format (core.filters): a number
input follows the browser's language, and an English Chromium on a Polish page turned "1,5" into
15. They read what the forms read (core.forms), refuse what they would have to guess with an
error beside the filter, and never read one address differently in two languages."""

from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import translation

from core.audit.filters import AuditEventFilter
from core.i18n import profile_set_language
from customers.filters import CustomerFilter
from relationships.filters import ContractFilter
from tests.factories import CustomerFactory

NBSP = "\xa0"
LANGUAGES = ["en", "pl", "cs", "ru"]


def _cleaned(name, typed, language, filterset=CustomerFilter):
    with translation.override(language):
        form = filterset({name: typed}).form
        valid = form.is_valid()
        return (form.cleaned_data[name] if valid else None), dict(form.errors)


@pytest.mark.parametrize("language", ["pl", "cs", "ru"])
@pytest.mark.parametrize(
    ("name", "typed", "expected"),
    [
        ("reliability_min", "1,5", Decimal("1.5")),
        ("reliability_min", "1.5", Decimal("1.5")),
        ("ltv_min", "1 234,56", Decimal("1234.56")),
        ("ltv_min", f"12{NBSP}500", Decimal("12500")),
        ("uncontacted_days", "30", 30),
    ],
)
def test_a_number_filter_reads_the_european_format(db, language, name, typed, expected):
    value, errors = _cleaned(name, typed, language)
    assert errors == {}
    assert value == expected


@pytest.mark.parametrize(
    ("name", "typed", "expected"),
    [("reliability_min", "1.5", Decimal("1.5")), ("ltv_min", "1234.56", Decimal("1234.56"))],
)
def test_a_number_filter_reads_the_english_format(db, name, typed, expected):
    value, errors = _cleaned(name, typed, "en")
    assert errors == {}
    assert value == expected


def test_a_decimal_comma_in_english_is_refused_not_read_as_fifteen(db):
    _, errors = _cleaned("reliability_min", "1,5", "en")
    assert errors == {
        "reliability_min": ["Write the number with a dot for decimals, for example 1234.56."]
    }


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("ltv_min", "Write the amount without a thousands separator, for example 1234.56."),
        ("reliability_min", "Write the number without a thousands separator, for example 1234.56."),
        (
            "uncontacted_days",
            "Enter a whole number without a thousands separator, for example 1234.",
        ),
    ],
)
def test_an_english_thousands_comma_is_refused_in_a_filter(db, name, message):
    """ "1,500" is 1500 in English and 1.5 in Polish: a saved view or a shared link would be read
    as either, so the filter asks for the number without it."""
    _, errors = _cleaned(name, "1,500", "en")
    assert errors == {name: [message]}


@pytest.mark.parametrize(
    "typed", ["1,5", "1.5", "1,500", "1 500", f"1{NBSP}500", "1500", "1.234,5", "0,25", "1,25"]
)
@pytest.mark.parametrize("name", ["ltv_min", "reliability_min"])
def test_an_address_is_read_the_same_in_every_language_or_refused(db, name, typed):
    read = {language: _cleaned(name, typed, language)[0] for language in LANGUAGES}
    assert len({value for value in read.values() if value is not None}) <= 1, read


@pytest.mark.parametrize("language", ["en", "pl"])
@pytest.mark.parametrize("typed", ["1,5", "1.5", "abc", "1e3", "--1"])
def test_a_days_filter_takes_only_a_whole_number(db, language, typed):
    value, errors = _cleaned("uncontacted_days", typed, language)
    assert value is None
    assert errors["uncontacted_days"] == ["Enter a whole number, for example 1234."]


def test_a_whole_number_filter_gives_its_method_an_integer(db):
    value, errors = _cleaned("ending_within", "30", "pl", filterset=ContractFilter)
    assert errors == {}
    assert value == 30 and isinstance(value, int)


def test_a_record_id_filter_reads_a_large_id_and_keeps_its_limits(db):
    value, errors = _cleaned("object_id", str(2**62), "pl", filterset=AuditEventFilter)
    assert errors == {} and value == 2**62
    _, errors = _cleaned("object_id", "0", "pl", filterset=AuditEventFilter)
    assert errors["object_id"] == ["Ensure this value is greater than or equal to 1."]
    _, errors = _cleaned("object_id", str(2**63), "en", filterset=AuditEventFilter)
    assert len(errors["object_id"]) == 1 and str(2**63 - 1) in errors["object_id"][0]


@pytest.mark.parametrize(
    ("filterset", "name", "inputmode"),
    [
        (CustomerFilter, "ltv_min", "decimal"),
        (CustomerFilter, "reliability_min", "decimal"),
        (CustomerFilter, "uncontacted_days", "numeric"),
        (ContractFilter, "ending_within", "numeric"),
        (AuditEventFilter, "object_id", "numeric"),
    ],
)
def test_every_number_filter_is_a_text_input(db, filterset, name, inputmode):
    html = str(filterset().form[name])
    assert 'type="text"' in html and 'type="number"' not in html
    assert f'inputmode="{inputmode}"' in html


def test_a_polish_reader_filters_the_customer_list_by_one_and_a_half_percent(
    persona_client, sales_rep
):
    profile_set_language(user=sales_rep, language="pl")
    CustomerFactory(display_name="Above", owner=sales_rep, payment_reliability=Decimal("2"))
    CustomerFactory(display_name="Below", owner=sales_rep, payment_reliability=Decimal("1.2"))
    response = persona_client(sales_rep).get(reverse("customers:list"), {"reliability_min": "1,5"})
    assert [customer.display_name for customer in response.context["page"]] == ["Above"]
    page = response.content.decode()
    assert 'name="reliability_min" value="1,5" inputmode="decimal"' in page


def test_a_refused_filter_says_why_beside_the_field_and_is_tied_to_it(persona_client, sales_rep):
    """The customer list builds its controls itself (core_tags._control), the contract list
    through the widgets (_filter_form.html): both name the error as the field's description."""
    client = persona_client(sales_rep)
    page = client.get(reverse("customers:list"), {"reliability_min": "1,5"}).content.decode()
    assert 'aria-describedby="id_reliability_min_error" aria-invalid="true"' in page
    assert (
        '<div id="id_reliability_min_error" aria-live="polite">'
        '<div class="invalid-feedback d-block">'
        "Write the number with a dot for decimals, for example 1234.56.</div></div>"
    ) in page

    page = client.get(
        reverse("relationships:contract_list"), {"ending_within": "1,5"}
    ).content.decode()
    assert 'aria-describedby="id_ending_within_error"' in page
    assert 'id="id_ending_within_error"' in page
    assert "Enter a whole number, for example 1234." in page


def test_the_lists_htmx_answer_brings_a_refused_filters_error_beside_it(persona_client, sales_rep):
    """The customer list is filtered with htmx, which replaces only the table: the filters'
    errors come with it, out of band, into the boxes beside the filters (emptied once valid)."""
    client = persona_client(sales_rep)
    url = reverse("customers:list")
    page = client.get(url, {"ltv_min": "1,500"}, HTTP_HX_REQUEST="true").content.decode()
    assert (
        '<div id="id_ltv_min_error" aria-live="polite" hx-swap-oob="innerHTML">'
        '<div class="invalid-feedback d-block">'
        "Write the amount without a thousands separator, for example 1234.56.</div></div>"
    ) in page
    page = client.get(url, {"ltv_min": "1500"}, HTTP_HX_REQUEST="true").content.decode()
    assert '<div id="id_ltv_min_error" aria-live="polite" hx-swap-oob="innerHTML"></div>' in page
    assert "<html" not in page
