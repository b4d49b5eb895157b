"""Each formula on hand-computed examples, through the job (real aggregates on the database)
and through the pure functions."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from analytics import formulas
from analytics.models import CustomerScore
from analytics.scoring import score_customer
from relationships.models import Contract, Payout
from tests.factories import (
    ContractFactory,
    CustomerFactory,
    InteractionFactory,
    InvoiceFactory,
    PaymentFactory,
    PayoutFactory,
)

from .conftest import AS_OF

pytestmark = pytest.mark.django_db


def scored(customer):
    score_customer(customer.pk, as_of=AS_OF)
    customer.refresh_from_db()
    return CustomerScore.objects.get(customer=customer, is_current=True)


def invoice(customer, *, amount, due, currency="PLN", issued=None):
    return InvoiceFactory(
        customer=customer,
        amount=Decimal(amount),
        currency=currency,
        issue_date=issued or due - timedelta(days=14),
        due_date=due,
    )


def test_a_customer_without_invoices_has_no_reliability_and_no_grade(params):
    customer = CustomerFactory()
    InteractionFactory(
        customer=customer, occurred_at=timezone.make_aware(timezone.datetime(2026, 6, 1, 10))
    )
    InteractionFactory(
        customer=customer, occurred_at=timezone.make_aware(timezone.datetime(2026, 1, 1, 10))
    )
    score = scored(customer)
    assert score.ltv == Decimal("0.00")
    assert score.payment_reliability is None
    assert score.avg_days_late is None
    assert score.grade is None
    assert score.interactions_90d == 1  # January is outside the last 90 days
    assert customer.grade is None and customer.scored_at is not None


def test_only_late_payments_lose_credit_in_proportion_to_the_days_late(params):
    customer = CustomerFactory()
    first = invoice(customer, amount="1000.00", due=date(2026, 1, 10))
    PaymentFactory(invoice=first, paid_on=date(2026, 1, 25))  # 15 days late
    second = invoice(customer, amount="1000.00", due=date(2026, 2, 10))
    PaymentFactory(invoice=second, paid_on=date(2026, 4, 11))  # 60 days late: no credit
    score = scored(customer)
    # credit = 1000 x (1 - 15/60) + 1000 x 0 = 750 of 2000 invoiced
    assert score.payment_reliability == Decimal("37.50")
    # (1000 x 15 + 1000 x 60) / 2000
    assert score.avg_days_late == Decimal("37.5")
    assert score.ltv == Decimal("2000.00")
    assert score.overdue_amount == Decimal("0.00")
    # LTV 2000 reaches C's 1000 but reliability 37.5 misses C's 50.
    assert score.grade == "D"
    assert customer.grade == "D" and customer.payment_reliability == Decimal("37.50")


def test_unpaid_overdue_money_weighs_more_than_a_late_payment_in_mixed_currencies(params):
    customer = CustomerFactory()
    euros = invoice(customer, amount="1000.00", due=date(2026, 3, 1), currency="EUR")
    PaymentFactory(invoice=euros, paid_on=date(2026, 2, 20))  # on time: 4300 PLN of credit
    invoice(customer, amount="1000.00", due=date(2026, 5, 1))  # unpaid, overdue
    invoice(customer, amount="500.00", due=date(2026, 7, 15))  # not due yet: not counted
    invoice(customer, amount="900.00", due=date(2026, 3, 1), currency="CHF")  # no rate: left out
    score = scored(customer)
    # credit = 4300 - 0.5 x 1000 = 3800 of 4300 + 1000 = 5300 invoiced → 71.698…
    assert score.payment_reliability == Decimal("71.70")
    assert score.avg_days_late == Decimal("0.0")
    assert score.ltv == Decimal("4300.00")
    assert score.overdue_amount == Decimal("1000.00")
    assert score.currency == "PLN"
    assert score.grade == "C"


def test_reliability_never_goes_below_zero(params):
    customer = CustomerFactory()
    invoice(customer, amount="1000.00", due=date(2026, 5, 1))
    invoice(customer, amount="1000.00", due=date(2026, 5, 2))
    assert scored(customer).payment_reliability == Decimal("0.00")


def test_payouts_paid_reduce_lifetime_value_and_net_revenue(params, finance_clerk):
    customer = CustomerFactory()
    paid = invoice(customer, amount="5000.00", due=date(2026, 4, 1))
    PaymentFactory(invoice=paid, paid_on=date(2026, 3, 30))
    old = invoice(customer, amount="2000.00", due=date(2024, 4, 1))
    PaymentFactory(invoice=old, paid_on=date(2024, 3, 30))  # more than 12 months ago
    PayoutFactory(
        customer=customer,
        amount=Decimal("1200.00"),
        status=Payout.Status.PAID,
        paid_at=timezone.make_aware(timezone.datetime(2026, 5, 5, 12)),
        paid_by=finance_clerk,
    )
    PayoutFactory(customer=customer, amount=Decimal("999.00"))  # only requested: not counted
    score = scored(customer)
    assert score.ltv == Decimal("5800.00")  # 5000 + 2000 - 1200
    assert score.net_revenue_12m == Decimal("3800.00")  # 5000 - 1200
    assert score.payment_reliability == Decimal("100.00")


def test_active_recurring_contracts_add_their_run_rate_over_the_horizon(params):
    customer = CustomerFactory()
    ContractFactory(
        customer=customer, value=Decimal("1000.00"), billing_period=Contract.BillingPeriod.MONTHLY
    )
    ContractFactory(
        customer=customer,
        value=Decimal("3000.00"),
        billing_period=Contract.BillingPeriod.QUARTERLY,
        start_date=date(2026, 1, 1),
        end_date=date(2026, 12, 31),  # 6 whole months left after 30 June
    )
    ContractFactory(customer=customer, value=Decimal("50000.00"))  # one-off: via invoices
    ContractFactory(
        customer=customer,
        value=Decimal("7000.00"),
        billing_period=Contract.BillingPeriod.MONTHLY,
        status=Contract.Status.DRAFT,
    )
    score = scored(customer)
    # 1000 x 24 months + 1000 a month x 6 months, no discounting
    assert score.ltv == Decimal("30000.00")
    assert score.payment_reliability is None
    assert score.grade == "B"  # 30000 ≥ 10000, no invoice due yet passes reliability


def test_future_contract_revenue_is_discounted_month_by_month(params):
    params.annual_discount_rate = Decimal("10")
    by_hand = sum(Decimal(repr(1.1 ** (-m / 12))) for m in range(1, 25))
    assert abs(formulas.discount_factor_sum(24, Decimal("10")) - by_hand) < Decimal("0.000001")
    figures = formulas.Figures(contracts=[(Decimal("1000"), "PLN", "monthly", None)])
    score = formulas.score(figures, as_of=AS_OF, params=params)
    assert score.ltv == (Decimal(1000) * by_hand).quantize(Decimal("0.01"))
    assert Decimal("21600") < score.ltv < Decimal("21800")


@pytest.mark.parametrize(
    ("ltv", "reliability", "expected"),
    [
        ("50000", "90", "A"),
        ("50000", "89.99", "B"),
        ("49999.99", "100", "B"),
        ("10000", "75", "B"),
        ("10000", "74.99", "C"),
        ("1000", "50", "C"),
        ("999.99", "100", "D"),
        ("1000000", "49.99", "D"),
        ("50000", None, "A"),
        ("0", None, "D"),
    ],
)
def test_grade_thresholds(params, ltv, reliability, expected):
    reliability = None if reliability is None else Decimal(reliability)
    assert formulas.grade(ltv=Decimal(ltv), reliability=reliability, params=params) == expected


def test_months_left_counts_whole_months_up_to_the_horizon():
    assert formulas.months_left(date(2026, 6, 30), None, 24) == 24
    assert formulas.months_left(date(2026, 6, 30), date(2026, 12, 31), 24) == 6
    assert formulas.months_left(date(2026, 6, 15), date(2026, 7, 14), 24) == 0
    assert formulas.months_left(date(2026, 6, 30), date(2026, 6, 1), 24) == 0
    assert formulas.months_left(date(2026, 6, 30), date(2040, 1, 1), 24) == 24


def test_the_same_figures_always_give_the_same_score(params):
    figures = formulas.Figures(
        paid={"PLN": Decimal("1234.56"), "EUR": Decimal("10")},
        due={"PLN": Decimal("2000")},
        paid_on_time={"PLN": Decimal("1000")},
        paid_late={"PLN": Decimal("234.56")},
        late_amount_days={"PLN": Decimal("2345.60")},
        late_amount_capped_days={"PLN": Decimal("2345.60")},
        unpaid={"PLN": Decimal("765.44")},
        contracts=[(Decimal("99.99"), "EUR", "yearly", date(2027, 3, 1))],
    )
    first = formulas.score(figures, as_of=AS_OF, params=params)
    assert all(formulas.score(figures, as_of=AS_OF, params=params) == first for _ in range(5))
