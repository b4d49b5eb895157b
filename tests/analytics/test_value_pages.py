"""Value at a glance: the customer page header, the customer list's columns, filters and sorts,
and the page where managers read and change how value is computed."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.core.cache import cache
from django.urls import reverse
from django.utils import timezone

from analytics import scoring
from analytics.models import CustomerScore, ScoringParameters
from tests.factories import CustomerFactory, InvoiceFactory, PaymentFactory, SegmentFactory

pytestmark = pytest.mark.django_db


def graded(name, *, grade, ltv, reliability=None, days_late=None, owner=None):
    return CustomerFactory(
        display_name=name,
        owner=owner,
        grade=grade,
        ltv=Decimal(ltv),
        ltv_currency="PLN",
        payment_reliability=None if reliability is None else Decimal(reliability),
        avg_days_late=None if days_late is None else Decimal(days_late),
        scored_at=timezone.now(),
    )


def names(response):
    return [customer.display_name for customer in response.context["page"]]


def test_the_customer_page_header_shows_grade_value_reliability_and_trend(
    persona_client, sales_rep, params
):
    customer = CustomerFactory(owner=sales_rep)
    invoice = InvoiceFactory(
        customer=customer,
        amount=Decimal("20000.00"),
        issue_date=date(2026, 1, 1),
        due_date=date(2026, 1, 15),
    )
    PaymentFactory(invoice=invoice, paid_on=date(2026, 1, 18))  # 3 days late
    scoring.score_all_customers(as_of=date(2026, 6, 30))
    InvoiceFactory(
        customer=customer,
        amount=Decimal("40000.00"),
        issue_date=date(2026, 5, 1),
        due_date=date(2026, 5, 15),
    )
    scoring.score_all_customers(as_of=date(2026, 6, 30))
    body = persona_client(sales_rep).get(customer.get_absolute_url()).content.decode()
    header = body[body.index('id="customer-value"') :][:3000]
    assert "20,000 PLN" in header  # LTV: only what was paid
    assert "3.0 days late on average" in header
    assert "40,000.00 PLN overdue" in header
    assert "B</span> → <span" in header and "D</span>" in header  # the grade's trend
    assert "<svg" in header  # the LTV sparkline
    assert reverse("analytics:scoring_method") in header


def test_an_unscored_customer_says_when_it_will_be_scored(persona_client, sales_rep, customer):
    body = persona_client(sales_rep).get(customer.get_absolute_url()).content.decode()
    assert "Not scored yet" in body
    assert "Scored every night and right after each invoice" in body


def test_the_list_shows_grade_ltv_and_reliability_in_every_row(persona_client, sales_rep):
    graded("Reliable Ltd", grade="A", ltv="75000", reliability="96", days_late="1.5")
    CustomerFactory(display_name="Newcomer")
    body = persona_client(sales_rep).get(reverse("customers:list")).content.decode()
    row = body[body.index("Reliable Ltd") :][:1200]
    assert "text-bg-success grade-badge" in row and ">A</span>" in row
    assert "75,000 PLN" in row
    assert ">96</span>" in row and "1.5 days late on average" in row
    newcomer = body[body.index("Newcomer") :][:800]
    assert "Not scored yet" in newcomer


def test_the_list_filters_by_grade_ltv_and_reliability(persona_client, sales_rep):
    graded("Alpha", grade="A", ltv="90000", reliability="95")
    graded("Bravo", grade="B", ltv="20000", reliability="80")
    graded("Charlie", grade="C", ltv="5000", reliability="55")
    CustomerFactory(display_name="Delta")
    client = persona_client(sales_rep)
    url = reverse("customers:list")
    assert names(client.get(url, {"grade": "B"})) == ["Bravo"]
    assert names(client.get(url, {"grade": "none"})) == ["Delta"]
    assert names(client.get(url, {"ltv_min": "20000"})) == ["Alpha", "Bravo"]
    assert names(client.get(url, {"reliability_min": "60"})) == ["Alpha", "Bravo"]


def test_bad_filter_values_are_errors_beside_the_field_not_500(persona_client, sales_rep):
    response = persona_client(sales_rep).get(reverse("customers:list"), {"reliability_min": "lots"})
    assert response.status_code == 200
    assert response.context["filter"].form.errors["reliability_min"]


def test_sorting_by_value_puts_unscored_customers_last_both_ways(persona_client, sales_rep):
    graded("Alpha", grade="A", ltv="90000", reliability="95")
    graded("Bravo", grade="B", ltv="20000", reliability="80")
    graded("Aardvark", grade="B", ltv="30000", reliability=None)
    CustomerFactory(display_name="Delta")
    client = persona_client(sales_rep)
    url = reverse("customers:list")
    assert names(client.get(url, {"ordering": "grade"})) == ["Alpha", "Aardvark", "Bravo", "Delta"]
    assert names(client.get(url, {"ordering": "-grade"})) == [
        "Bravo",
        "Aardvark",
        "Alpha",
        "Delta",
    ]
    assert names(client.get(url, {"ordering": "reliability"}))[:2] == ["Bravo", "Alpha"]
    assert names(client.get(url, {"ordering": "-reliability"}))[:2] == ["Alpha", "Bravo"]
    assert names(client.get(url, {"ordering": "-ltv"})) == ["Alpha", "Aardvark", "Bravo", "Delta"]


@pytest.mark.parametrize("rows", [5, 40])
def test_the_list_with_scores_keeps_its_query_budget(
    persona_client, sales_rep, settings, django_assert_max_num_queries, rows
):
    settings.CUSTOMER_LIST_PAGE_SIZE = 50
    segment = SegmentFactory()
    for n in range(rows):
        graded(f"Customer {n}", grade="ABCD"[n % 4], ltv=str(1000 * n), reliability="80")
        segment.customers.add(CustomerFactory())
    client = persona_client(sales_rep)
    # As the plain list (tests/customers/test_customer_list.py): + the saved views, teams and
    # bulk choices (core.lists), + the bell's unread count; none grows with the rows.
    with django_assert_max_num_queries(13):
        response = client.get(reverse("customers:list"), {"ordering": "-ltv"})
    assert len(response.context["page"]) == min(50, 2 * rows)


def test_the_customer_page_with_a_long_score_history_keeps_its_budget(
    persona_client, sales_rep, params, django_assert_max_num_queries
):
    customer = graded("Long history", grade="B", ltv="20000", owner=sales_rep)
    for day in range(40):
        CustomerScore.objects.create(
            customer=customer,
            computed_at=timezone.now() - timedelta(days=40 - day),
            as_of=date(2026, 1, 1) + timedelta(days=day),
            parameters=params,
            currency="PLN",
            ltv=Decimal(1000 * day),
            net_revenue_12m=Decimal(0),
            overdue_amount=Decimal(0),
            interactions_90d=0,
            open_tickets=0,
            grade="B",
            is_current=day == 39,
        )
    client = persona_client(sales_rep)
    with django_assert_max_num_queries(15):
        response = client.get(customer.get_absolute_url())
    assert response.status_code == 200
    assert len(response.context["sections"]["header"][0]["context"]["trend"]) == 12


def test_everyone_reads_how_value_is_computed(persona_client, service_agent):
    response = persona_client(service_agent).get(reverse("analytics:scoring_method"))
    body = response.content.decode()
    assert "LTV = net paid to date" in body
    assert "50,000 PLN" in body  # grade A's threshold, from the current parameters
    assert "1 EUR" in body
    assert reverse("analytics:scoring_parameters_edit") not in body  # managers only


def test_currencies_in_use_without_a_rate_are_pointed_out(persona_client, manager):
    InvoiceFactory(currency="CHF")
    body = persona_client(manager).get(reverse("analytics:scoring_method")).content.decode()
    assert "Billing uses CHF without a rate" in body


def test_currencies_in_use_are_read_once_per_ten_minutes_and_rates_apply_at_once(
    persona_client, manager, django_assert_num_queries
):
    InvoiceFactory(currency="CHF")
    client = persona_client(manager)
    url = reverse("analytics:scoring_method")
    client.get(url)
    InvoiceFactory(currency="JPY")  # within the ten minutes: not seen yet
    with django_assert_num_queries(
        7
    ):  # + the bell's unread count; no DISTINCT over the billing tables
        body = client.get(url).content.decode()
    assert "Billing uses CHF without a rate" in body
    params = ScoringParameters.objects.current()
    params.exchange_rates = {**params.exchange_rates, "CHF": "4.50"}
    params.save()
    assert "without a rate" not in client.get(url).content.decode()
    cache.clear()  # ten minutes later
    assert "Billing uses JPY without a rate" in client.get(url).content.decode()


def test_a_manager_saves_new_parameters_as_the_next_version_and_everyone_is_rescored(
    persona_client, manager, django_capture_on_commit_callbacks
):
    customer = CustomerFactory()
    invoice = InvoiceFactory(customer=customer, amount=Decimal("12000.00"))
    PaymentFactory(invoice=invoice)
    current = ScoringParameters.objects.current()
    form = {
        "base_currency": "pln",
        "exchange_rates": "EUR 4.25\nczk: 0,18\n\nPLN 1",
        "ltv_horizon_months": "12",
        "annual_discount_rate": "8",
        "late_tolerance_days": "30",
        "overdue_penalty": "1",
        "grade_a_min_ltv": "10000",
        "grade_a_min_reliability": "90",
        "grade_b_min_ltv": "5000",
        "grade_b_min_reliability": "70",
        "grade_c_min_ltv": "500",
        "grade_c_min_reliability": "40",
        "note": "Smaller customers this year",
    }
    with django_capture_on_commit_callbacks(execute=True):
        response = persona_client(manager).post(reverse("analytics:scoring_parameters_edit"), form)
    assert response.status_code == 302
    newest = ScoringParameters.objects.current()
    assert newest.version == current.version + 1
    assert newest.exchange_rates == {"CZK": "0.18", "EUR": "4.25"}
    assert newest.created_by == manager and newest.base_currency == "PLN"
    score = CustomerScore.objects.get(customer=customer, is_current=True)
    assert (score.parameters, score.grade) == (newest, "A")


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("exchange_rates", "EUR four", "the rate must be a number above zero"),
        ("exchange_rates", "XYZ 2", "not an ISO 4217 currency code"),
        ("grade_b_min_ltv", "60000", "at least the threshold of grade B"),
        ("late_tolerance_days", "0", "greater than or equal to 1"),
    ],
)
def test_bad_parameters_are_refused_beside_the_field_and_nothing_is_saved(
    persona_client, manager, field, value, message
):
    current = ScoringParameters.objects.current()
    client = persona_client(manager)
    form = client.get(reverse("analytics:scoring_parameters_edit")).context["form"]
    data = {name: form[name].value() or "" for name in form.fields}
    data["exchange_rates"] = form.fields["exchange_rates"].prepare_value(data["exchange_rates"])
    data[field] = value
    response = client.post(reverse("analytics:scoring_parameters_edit"), data)
    assert response.status_code == 200
    assert message in str(response.context["form"].errors)
    assert ScoringParameters.objects.current() == current


def test_every_value_sort_keeps_unscored_customers_last_both_ways(persona_client, sales_rep):
    """Within a grade the most valuable come first (the reverse sort reverses that too); an
    unscored customer (no grade, no LTV, no reliability) is last whichever way, below a
    negative LTV (payouts above payments) and a scored customer without billing."""
    graded("Alpha", grade="A", ltv="90000", reliability="95")
    graded("Bravo", grade="B", ltv="20000", reliability="80")
    graded("Aardvark", grade="B", ltv="30000", reliability=None)
    graded("Minus", grade="D", ltv="-500", reliability="10")
    CustomerFactory(display_name="Delta")
    client = persona_client(sales_rep)
    url = reverse("customers:list")

    def order(ordering):
        return names(client.get(url, {"ordering": ordering}))

    assert order("grade") == ["Alpha", "Aardvark", "Bravo", "Minus", "Delta"]
    assert order("-grade") == ["Minus", "Bravo", "Aardvark", "Alpha", "Delta"]
    assert order("ltv") == ["Minus", "Bravo", "Aardvark", "Alpha", "Delta"]
    assert order("-ltv") == ["Alpha", "Aardvark", "Bravo", "Minus", "Delta"]
    assert order("reliability") == ["Minus", "Bravo", "Alpha", "Aardvark", "Delta"]
    # Aardvark (scored, nothing due yet) and Delta share an empty reliability: the id decides,
    # in the direction of the sort.
    assert order("-reliability") == ["Alpha", "Bravo", "Minus", "Delta", "Aardvark"]
