"""Collections: a case opens once per overdue invoice (by the job or by hand), reminder e-mails
go to the billing contact, the amount recovered follows the payments, writing off needs approval."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.urls import reverse

from processes import services, tasks
from processes.models import CollectionCase
from relationships.models import Interaction
from tests.dates import clock_today
from tests.factories import ContactPersonFactory, InvoiceFactory, PaymentFactory

from .conftest import stage

pytestmark = pytest.mark.django_db
TODAY = clock_today()


@pytest.fixture(autouse=True)
def _grace(settings):
    settings.COLLECTIONS_GRACE_DAYS = 7


def test_the_job_opens_one_case_per_overdue_invoice_however_often_it_runs(
    collections_process, overdue_invoice, customer
):
    InvoiceFactory(customer=customer, due_date=TODAY + timedelta(days=3))  # not due yet
    InvoiceFactory(  # overdue, but within the grace period
        customer=customer, issue_date=TODAY - timedelta(days=20), due_date=TODAY - timedelta(days=2)
    )
    paid = InvoiceFactory(
        customer=customer,
        issue_date=TODAY - timedelta(days=60),
        due_date=TODAY - timedelta(days=30),
    )
    PaymentFactory(invoice=paid)
    assert len(services.collection_cases_open_overdue(today=TODAY)) == 1
    assert services.collection_cases_open_overdue(today=TODAY) == []
    tasks.open_collection_cases.apply()
    case = CollectionCase.objects.get()
    assert case.invoice == overdue_invoice
    assert case.balance_at_open == Decimal("500.00")
    assert case.instance.stage.name == "Reminder"
    assert case.instance.amount == Decimal("500.00")


def test_a_case_opened_by_hand_is_not_opened_again(
    persona_client, finance_clerk, collections_process, overdue_invoice
):
    client = persona_client(finance_clerk)
    url = reverse("processes:collection_case_open", args=[overdue_invoice.pk])
    response = client.post(url)
    case = CollectionCase.objects.get()
    assert response.url == case.instance.get_absolute_url()
    client.post(url)
    assert services.collection_cases_open_overdue(today=TODAY) == []
    assert CollectionCase.objects.count() == 1


def test_an_invoice_that_is_not_overdue_does_not_go_to_collections(collections_process, customer):
    invoice = InvoiceFactory(customer=customer)
    with pytest.raises(ValidationError):
        services.collection_case_open(invoice=invoice)


def test_the_reminder_goes_to_the_primary_contact_and_is_logged(
    collections_process, overdue_invoice, customer, finance_clerk
):
    ContactPersonFactory(customer=customer, email="billing@acme.example", is_primary=True)
    case = services.collection_case_open(invoice=overdue_invoice, by=finance_clerk)
    (message,) = mail.outbox
    assert message.to == ["billing@acme.example"]
    assert overdue_invoice.number in message.subject
    assert "500" in message.body
    assert Interaction.objects.filter(customer=customer, channel="email").count() == 1

    services.instance_move(
        instance=case.instance, to_stage=stage(collections_process, "Demand"), by=finance_clerk
    )
    assert "Demand for payment" in mail.outbox[1].subject
    services.instance_move(
        instance=case.instance, to_stage=stage(collections_process, "Legal"), by=finance_clerk
    )
    assert len(mail.outbox) == 2  # no e-mail template for the legal stage
    case.refresh_from_db()
    assert case.reminders_sent == 2


def test_amount_recovered_follows_the_payments_and_paid_cases_settle(
    collections_process, overdue_invoice
):
    case = services.collection_case_open(invoice=overdue_invoice)
    PaymentFactory(invoice=overdue_invoice, amount=Decimal("200"))
    case.refresh_from_db()
    assert case.amount_recovered == Decimal("200.00")
    assert services.collection_cases_settle_paid() == 0
    PaymentFactory(invoice=overdue_invoice)
    assert services.collection_cases_settle_paid() == 1
    case.instance.refresh_from_db()
    assert case.instance.outcome == "won"
    assert CollectionCase.objects.get().amount_recovered == Decimal("500.00")


def test_writing_off_needs_a_managers_approval(
    persona_client, collections_process, overdue_invoice, finance_clerk, manager
):
    case = services.collection_case_open(invoice=overdue_invoice, by=finance_clerk)
    with pytest.raises(ValidationError):
        services.instance_move(
            instance=case.instance,
            to_stage=stage(collections_process, "Written off"),
            by=finance_clerk,
            reason="Insolvent",
        )
    client = persona_client(finance_clerk)
    url = reverse("processes:collection_write_off_request", args=[case.pk])
    response = client.post(url, {"reason": ""})
    assert response.context["write_off_form"].errors["reason"]
    client.post(url, {"reason": "Company in liquidation"})
    case.instance.refresh_from_db()
    assert case.instance.is_open
    approval = case.instance.approvals.get()

    services.approval_approve(approval=approval, by=manager, comment="Agreed")
    case.instance.refresh_from_db()
    overdue_invoice.refresh_from_db()
    assert case.instance.outcome == "lost"
    assert overdue_invoice.written_off_at is not None


@pytest.mark.parametrize("rows", [3, 30])
def test_collections_list_query_count_does_not_grow(
    persona_client,
    finance_clerk,
    collections_process,
    customer,
    django_assert_max_num_queries,
    rows,
):
    for i in range(rows):
        invoice = InvoiceFactory(
            customer=customer,
            issue_date=TODAY - timedelta(days=60),
            due_date=TODAY - timedelta(days=30 + i),
        )
        if i % 3:
            services.collection_case_open(invoice=invoice, definition=collections_process)
    client = persona_client(finance_clerk)
    # +2: the saved views and the user's teams (core.lists, the list's tools)
    with django_assert_max_num_queries(11):
        response = client.get(reverse("processes:collection_list"))
    assert response.status_code == 200


def test_registering_the_payment_that_settles_the_invoice_closes_its_case_at_once(
    collections_process, overdue_invoice, finance_clerk
):
    from relationships.services import payment_register

    case = services.collection_case_open(invoice=overdue_invoice, by=finance_clerk)
    services.instance_move(
        instance=case.instance, to_stage=stage(collections_process, "Demand"), by=finance_clerk
    )
    pay = {"currency": overdue_invoice.currency, "paid_on": TODAY, "method": "bank_transfer"}
    payment_register(invoice=overdue_invoice, amount=Decimal("200"), by=finance_clerk, **pay)
    case.instance.refresh_from_db()
    assert case.instance.is_open  # a part payment leaves the case open
    payment_register(invoice=overdue_invoice, amount=Decimal("300"), by=finance_clerk, **pay)
    case.instance.refresh_from_db()
    assert not case.instance.is_open
    assert case.instance.outcome == "won"
    assert case.instance.outcome_reason == "Invoice paid in full."
    assert services.collection_cases_settle_paid() == 0  # the daily job finds nothing left


def test_writing_off_the_invoice_closes_its_case_at_once(
    collections_process, overdue_invoice, finance_clerk
):
    from relationships.services import invoice_write_off

    case = services.collection_case_open(invoice=overdue_invoice, by=finance_clerk)
    invoice_write_off(invoice=overdue_invoice, reason="Company in liquidation", by=finance_clerk)
    case.instance.refresh_from_db()
    assert not case.instance.is_open
    assert case.instance.outcome == "lost"
    assert case.instance.outcome_reason == "Company in liquidation"


def test_the_settled_cases_reason_is_written_in_each_readers_language(
    collections_process, overdue_invoice, finance_clerk, manager, client
):
    """The payment that settles the invoice is registered by a Polish clerk (or the job, in
    nobody's language): the reason is kept in no language and each reader reads their own."""
    from django.utils import translation

    from relationships.services import payment_register

    case = services.collection_case_open(invoice=overdue_invoice, by=finance_clerk)
    pay = {"currency": overdue_invoice.currency, "paid_on": TODAY, "method": "bank_transfer"}
    with translation.override("pl"):
        payment_register(invoice=overdue_invoice, amount=Decimal("500"), by=finance_clerk, **pay)
    instance = case.instance
    instance.refresh_from_db()
    assert instance.outcome_reason == "Invoice paid in full."
    with translation.override("ru"):
        assert instance.outcome_reason_text == "Счёт оплачен полностью."
    client.force_login(manager)
    page = client.get(instance.get_absolute_url(), HTTP_ACCEPT_LANGUAGE="pl").content.decode()
    assert "Faktura opłacona w całości." in page
    assert "Invoice paid in full." not in page
