"""The segment report: per segment, the customers' state today and the period's activity."""

from datetime import date, datetime, timedelta
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from analytics import snapshots
from customers.models import Customer
from processes.models import ProcessInstance
from tests.factories import (
    CustomerFactory,
    InteractionFactory,
    InvoiceFactory,
    PaymentFactory,
    ProcessDefinitionFactory,
    SegmentFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db

URL = reverse("analytics:segment_report")
MARCH = {"period": "custom", "start": "2026-03-01", "end": "2026-03-31"}


def at(day, hour=10):
    return timezone.make_aware(datetime.combine(day, datetime.min.time()).replace(hour=hour))


def invoice(customer, amount, *, due, currency="PLN", **kwargs):
    return InvoiceFactory(
        customer=customer,
        amount=Decimal(amount),
        currency=currency,
        issue_date=due - timedelta(days=14),
        due_date=due,
        **kwargs,
    )


def open_process(customer, *, closed=False):
    definition = ProcessDefinitionFactory()
    stage = definition.stages.order_by("position").first()
    return ProcessInstance.objects.create(
        definition=definition,
        customer=customer,
        title="Deal",
        stage=stage,
        closed_at=timezone.now() if closed else None,
        outcome="won" if closed else "",
    )


@pytest.fixture
def book(sales_rep, manager):
    """Retail: Alfa (active, A; also Enterprise), Beta (prospect); no segment: Gamma (ended, D)."""
    olga = UserFactory(username="olga_owner")
    retail, enterprise = SegmentFactory(name="Retail"), SegmentFactory(name="Enterprise")
    alfa = CustomerFactory(
        display_name="Alfa", owner=sales_rep, status=Customer.Status.ACTIVE, grade="A"
    )
    alfa.segments.set([retail, enterprise])
    beta = CustomerFactory(display_name="Beta", owner=olga)
    beta.segments.set([retail])
    gamma = CustomerFactory(display_name="Gamma", status=Customer.Status.ENDED, grade="D")

    InteractionFactory(customer=alfa, occurred_at=at(date(2026, 3, 2)))
    InteractionFactory(customer=alfa, occurred_at=at(date(2026, 3, 31), hour=23))
    InteractionFactory(customer=alfa, occurred_at=at(date(2026, 2, 28)))  # before the period
    InteractionFactory(customer=beta, occurred_at=at(date(2026, 3, 15)))
    InteractionFactory(customer=gamma, occurred_at=at(date(2026, 3, 16)))

    open_process(alfa)
    open_process(alfa, closed=True)

    # Revenue: payments received in March, per currency.
    PaymentFactory(
        invoice=invoice(alfa, "1000.00", due=date(2026, 3, 20)), paid_on=date(2026, 3, 10)
    )
    eur = invoice(alfa, "200.00", due=date(2026, 3, 20), currency="EUR")
    PaymentFactory(invoice=eur, amount=Decimal("50.00"), paid_on=date(2026, 3, 12))  # 150 overdue
    paid_in_february = invoice(beta, "300.00", due=date(2026, 2, 20))
    PaymentFactory(invoice=paid_in_february, paid_on=date(2026, 2, 28))
    invoice(beta, "400.00", due=date(2026, 3, 15))  # unpaid: overdue
    invoice(beta, "900.00", due=timezone.localdate() + timedelta(days=10))  # not due yet
    invoice(
        gamma,
        "100.00",
        due=date(2026, 3, 1),
        written_off_at=timezone.now(),
        written_off_by=manager,
        write_off_reason="Company closed",
    )
    return {"retail": retail, "enterprise": enterprise, "alfa": alfa, "beta": beta}


def rows(response):
    return {
        row["segment"].name if row["segment"] else None: row for row in response.context["rows"]
    }


def test_each_segment_shows_its_customers_state_and_the_periods_activity(
    persona_client, manager, book
):
    table = rows(persona_client(manager).get(URL, MARCH))
    assert list(table) == ["Enterprise", "Retail", None]
    retail = table["Retail"]
    assert (retail["customers"], retail["prospect"], retail["active"], retail["ended"]) == (
        2,
        1,
        1,
        0,
    )
    assert (retail["A"], retail["ungraded"]) == (1, 1)
    assert (retail["contacts"], retail["open_processes"]) == (3, 1)
    assert retail["revenue"] == {"EUR": Decimal("50.00"), "PLN": Decimal("1000.00")}
    assert retail["overdue"] == {"EUR": Decimal("150.00"), "PLN": Decimal("400.00")}

    enterprise = table["Enterprise"]  # Alfa counts in both of its segments
    assert (enterprise["customers"], enterprise["active"], enterprise["contacts"]) == (1, 1, 2)
    assert enterprise["revenue"] == {"EUR": Decimal("50.00"), "PLN": Decimal("1000.00")}
    assert enterprise["overdue"] == {"EUR": Decimal("150.00")}

    no_segment = table[None]
    assert (no_segment["customers"], no_segment["ended"], no_segment["D"]) == (1, 1, 1)
    assert (no_segment["contacts"], no_segment["revenue"], no_segment["overdue"]) == (1, {}, {})


def test_the_owner_filter_keeps_that_owners_customers(persona_client, manager, sales_rep, book):
    table = rows(persona_client(manager).get(URL, {**MARCH, "owner": sales_rep.pk}))
    retail = table["Retail"]
    assert (retail["customers"], retail["contacts"], retail["overdue"]) == (
        1,
        2,
        {"EUR": Decimal("150.00")},
    )
    assert None not in table  # nobody of hers is without a segment


def test_amounts_are_shown_per_currency_never_added(persona_client, manager, book):
    body = persona_client(manager).get(URL, MARCH).content.decode()
    retail = body[body.index(">Retail<") :][:2000]
    assert "1,000.00 PLN" in retail and "50.00 EUR" in retail
    assert "1,050" not in retail
    # One line per currency: a line break, not its markup printed as text.
    assert "&lt;br&gt;" not in body
    assert '</span><br><span class="text-nowrap">' in retail


def test_the_csv_has_a_column_per_status_grade_and_currency(persona_client, manager, book):
    response = persona_client(manager).get(URL, {**MARCH, "format": "csv"})
    lines = response.content.decode("utf-8-sig").splitlines()
    assert lines[0] == (
        "Segment,Customers,Prospect,Active,Ended,Grade A,Grade B,Grade C,Grade D,"
        "Not graded,Contacts,Open processes,Revenue EUR,Revenue PLN,Overdue EUR,Overdue PLN"
    )
    assert "Retail,2,1,1,0,1,0,0,0,1,3,1,50.00,1000.00,150.00,400.00" in lines
    assert "No segment,1,0,0,1,0,0,0,1,0,1,0,0.00,0.00,0.00,0.00" in lines


def test_only_managers_open_the_segment_report(client, persona_client, sales_rep, manager):
    assert client.get(URL).status_code == 302
    assert persona_client(sales_rep).get(URL).status_code == 403
    assert persona_client(manager).get(URL).status_code == 200


def test_the_segment_report_needs_a_fixed_number_of_queries(
    persona_client, manager, book, django_assert_max_num_queries
):
    client = persona_client(manager)
    snapshots.refresh()
    with django_assert_max_num_queries(11):  # + the bell's unread count
        assert client.get(URL, MARCH).status_code == 200
