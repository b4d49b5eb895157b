"""Invoices: status derived from payments, dates and write-off; payments that cannot go wrong."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction

from core.models import AuditEvent
from relationships import services
from relationships.models import Invoice, Payment
from tests.dates import clock_today
from tests.factories import ContractFactory, CustomerFactory, InvoiceFactory, PaymentFactory

pytestmark = pytest.mark.django_db

TODAY = clock_today()


def _pay(invoice, by, amount, currency=None, **extra):
    return services.payment_register(
        invoice=invoice,
        amount=Decimal(amount),
        currency=currency or invoice.currency,
        paid_on=extra.pop("paid_on", TODAY),
        method="bank_transfer",
        by=by,
        **extra,
    )


@pytest.mark.parametrize(
    ("paid", "due_in_days", "written_off", "expected"),
    [
        ("0", 10, False, Invoice.Status.OPEN),
        ("0", 0, False, Invoice.Status.OPEN),  # due today is not late yet
        ("40", 10, False, Invoice.Status.PARTIALLY_PAID),
        ("100", 10, False, Invoice.Status.PAID),
        ("100", -10, False, Invoice.Status.PAID),  # paid late is still paid
        ("0", -1, False, Invoice.Status.OVERDUE),
        ("40", -1, False, Invoice.Status.OVERDUE),  # a partial payment does not stop the clock
        ("40", -1, True, Invoice.Status.WRITTEN_OFF),
        ("0", 10, True, Invoice.Status.WRITTEN_OFF),
    ],
)
def test_invoice_status_is_derived_from_payments_dates_and_write_off(
    finance_clerk, paid, due_in_days, written_off, expected
):
    invoice = InvoiceFactory(
        issue_date=TODAY - timedelta(days=30),
        due_date=TODAY + timedelta(days=due_in_days),
        amount=Decimal("100.00"),
    )
    if Decimal(paid):
        _pay(invoice, finance_clerk, paid)
    if written_off:
        services.invoice_write_off(invoice=invoice, reason="Customer insolvent", by=finance_clerk)
    invoice.refresh_from_db()
    assert invoice.status == expected
    # The list filter agrees with the record, for every status.
    for status in Invoice.Status.values:
        matches = Invoice.objects.with_status(status).filter(pk=invoice.pk).exists()
        assert matches == (status == expected), status


def test_status_changes_with_time_without_anything_being_saved():
    invoice = InvoiceFactory(issue_date=TODAY, due_date=TODAY + timedelta(days=3))
    assert invoice.status_on(TODAY) == Invoice.Status.OPEN
    assert invoice.status_on(TODAY + timedelta(days=4)) == Invoice.Status.OVERDUE
    assert Invoice.objects.overdue(today=TODAY + timedelta(days=4)).get() == invoice


def test_partial_payments_add_up_until_the_invoice_is_paid(finance_clerk):
    invoice = InvoiceFactory(amount=Decimal("100.00"))
    _pay(invoice, finance_clerk, "30.00")
    _pay(invoice, finance_clerk, "0.01")
    invoice.refresh_from_db()
    assert (invoice.status, invoice.balance) == (Invoice.Status.PARTIALLY_PAID, Decimal("69.99"))
    _pay(invoice, finance_clerk, "69.99")
    invoice.refresh_from_db()
    assert invoice.status == Invoice.Status.PAID
    assert invoice.paid_amount == sum(p.amount for p in invoice.payments.all())


def test_an_overpayment_is_refused_with_the_balance_and_nothing_is_saved(finance_clerk):
    invoice = InvoiceFactory(amount=Decimal("100.00"))
    _pay(invoice, finance_clerk, "60")
    with pytest.raises(ValidationError) as error:
        _pay(invoice, finance_clerk, "40.01")
    assert "overpay" in error.value.message_dict["amount"][0]
    assert "40.00 PLN" in error.value.message_dict["amount"][0]
    invoice.refresh_from_db()
    assert invoice.paid_amount == Decimal("60.00")
    assert invoice.payments.count() == 1


def test_a_payment_in_another_currency_is_refused_and_nothing_is_saved(finance_clerk):
    invoice = InvoiceFactory(currency="EUR")
    with pytest.raises(ValidationError) as error:
        _pay(invoice, finance_clerk, "10", currency="PLN")
    assert "EUR" in error.value.message_dict["currency"][0]
    invoice.refresh_from_db()
    assert invoice.paid_amount == 0
    assert not Payment.objects.exists()


@pytest.mark.parametrize("amount", ["0", "-5"])
def test_a_payment_must_be_a_positive_amount(finance_clerk, amount):
    invoice = InvoiceFactory()
    with pytest.raises(ValidationError):
        _pay(invoice, finance_clerk, amount)
    assert not Payment.objects.exists()


def test_a_payment_cannot_be_dated_in_the_future(finance_clerk):
    with pytest.raises(ValidationError) as error:
        _pay(InvoiceFactory(), finance_clerk, "10", paid_on=TODAY + timedelta(days=1))
    assert "paid_on" in error.value.message_dict


def test_only_finance_and_managers_register_payments(sales_rep):
    with pytest.raises(PermissionDenied):
        _pay(InvoiceFactory(), sales_rep, "10")
    assert not Payment.objects.exists()


def test_the_database_refuses_an_overpaid_invoice():
    invoice = InvoiceFactory(amount=Decimal("100.00"))
    with pytest.raises(IntegrityError), transaction.atomic():
        Invoice.objects.filter(pk=invoice.pk).update(paid_amount=Decimal("100.01"))


def test_writing_off_needs_a_reason_and_records_who_and_when(finance_clerk):
    invoice = InvoiceFactory()
    with pytest.raises(ValidationError) as error:
        services.invoice_write_off(invoice=invoice, reason="  ", by=finance_clerk)
    assert "write_off_reason" in error.value.message_dict
    invoice = services.invoice_write_off(invoice=invoice, reason="Bankrupt", by=finance_clerk)
    invoice.refresh_from_db()
    assert invoice.written_off_by == finance_clerk
    assert invoice.written_off_at is not None
    assert invoice.status == Invoice.Status.WRITTEN_OFF


@pytest.mark.parametrize("persona", ["sales_rep", "service_agent", "outsider"])
def test_only_finance_and_managers_write_off(request, persona):
    invoice = InvoiceFactory()
    with pytest.raises(PermissionDenied):
        services.invoice_write_off(
            invoice=invoice, reason="No", by=request.getfixturevalue(persona)
        )
    invoice.refresh_from_db()
    assert invoice.written_off_at is None


def test_a_paid_invoice_cannot_be_written_off_and_a_written_off_one_takes_no_payment(manager):
    paid = PaymentFactory().invoice
    with pytest.raises(ValidationError):
        services.invoice_write_off(invoice=paid, reason="x", by=manager)
    lost = InvoiceFactory()
    services.invoice_write_off(invoice=lost, reason="Gone", by=manager)
    with pytest.raises(ValidationError):
        _pay(lost, manager, "1")


def test_an_invoice_cannot_name_another_customers_contract(finance_clerk):
    customer = CustomerFactory()
    with pytest.raises(ValidationError) as error:
        services.invoice_create(
            customer=customer,
            by=finance_clerk,
            number="FV/1",
            contract=ContractFactory(),
            due_date=TODAY,
            amount=Decimal("10"),
            currency="PLN",
        )
    assert "contract" in error.value.message_dict
    assert not Invoice.objects.exists()


def test_the_due_date_cannot_precede_the_issue_date(finance_clerk, customer):
    with pytest.raises(ValidationError) as error:
        services.invoice_create(
            customer=customer,
            by=finance_clerk,
            number="FV/1",
            issue_date=TODAY,
            due_date=TODAY - timedelta(days=1),
            amount=Decimal("10"),
            currency="PLN",
        )
    assert "due_date" in error.value.message_dict
    with pytest.raises(IntegrityError), transaction.atomic():
        InvoiceFactory(issue_date=TODAY, due_date=TODAY - timedelta(days=1))


def test_totals_are_kept_per_currency_and_never_summed_across(customer):
    InvoiceFactory(customer=customer, amount=Decimal("100"), currency="PLN")
    PaymentFactory(
        invoice=InvoiceFactory(customer=customer, amount=Decimal("50"), currency="PLN"),
        amount=Decimal("20"),
    )
    InvoiceFactory(
        customer=customer,
        amount=Decimal("70"),
        currency="EUR",
        issue_date=TODAY - timedelta(days=40),
        due_date=TODAY - timedelta(days=10),
    )
    totals = Invoice.objects.filter(customer=customer).totals_by_currency()
    assert totals == [
        {
            "currency": "EUR",
            "billed": Decimal("70"),
            "paid": 0,
            "written_off": 0,
            "outstanding": Decimal("70"),
            "overdue": Decimal("70"),
        },
        {
            "currency": "PLN",
            "billed": Decimal("150"),
            "paid": Decimal("20"),
            "written_off": 0,
            "outstanding": Decimal("130"),
            "overdue": 0,
        },
    ]


def test_a_payment_carries_its_invoices_customer(finance_clerk):
    invoice = InvoiceFactory(amount=Decimal("100"))
    payment = _pay(invoice, finance_clerk, "40")
    assert Payment.objects.get(pk=payment.pk).customer_id == invoice.customer_id


def test_an_invoice_moved_to_another_customer_takes_its_payments_along(finance_clerk, admin_user):
    invoice = InvoiceFactory(amount=Decimal("100"), contract=None)
    first = _pay(invoice, finance_clerk, "40")
    second = _pay(invoice, finance_clerk, "10")
    unrelated = PaymentFactory()
    other = CustomerFactory()
    moved = services.invoice_move(invoice=invoice, customer=other, by=admin_user)
    assert moved.customer == other
    assert Invoice.objects.get(pk=invoice.pk).customer_id == other.pk
    payments = Payment.objects.filter(pk__in=[first.pk, second.pk])
    assert set(payments.values_list("customer", flat=True)) == {other.pk}
    assert set(other.payments.all()) == {first, second}
    assert Payment.objects.get(pk=unrelated.pk).customer_id == unrelated.invoice.customer_id


def test_moving_an_invoice_writes_a_history_row_for_each_payment_it_takes_along(
    finance_clerk, admin_user
):
    invoice = InvoiceFactory(amount=Decimal("100"), contract=None)
    old_customer = invoice.customer
    payments = [_pay(invoice, finance_clerk, "40"), _pay(invoice, finance_clerk, "10")]
    other = CustomerFactory()
    services.invoice_move(invoice=invoice, customer=other, by=admin_user)
    for payment in payments:
        events = AuditEvent.objects.filter(model="relationships.payment", object_id=payment.pk)
        recorded, moved = events.order_by("at", "id")
        assert (recorded.action, recorded.changes["customer_id"]) == (
            "create",
            [None, old_customer.pk],
        )
        # Only the customer changed, and the audit knows who moved it outside any request.
        assert (moved.action, moved.changes, moved.user) == (
            "update",
            {"customer_id": [old_customer.pk, other.pk]},
            admin_user,
        )


def test_an_invoice_under_a_contract_cannot_move_to_another_customer(finance_clerk, admin_user):
    contract = ContractFactory()
    invoice = InvoiceFactory(customer=contract.customer, contract=contract, amount=Decimal("100"))
    payment = _pay(invoice, finance_clerk, "40")
    with pytest.raises(ValidationError) as error:
        services.invoice_move(invoice=invoice, customer=CustomerFactory(), by=admin_user)
    assert "contract" in error.value.message_dict
    assert Invoice.objects.get(pk=invoice.pk).customer_id == invoice.customer_id
    assert Payment.objects.get(pk=payment.pk).customer_id == invoice.customer_id
