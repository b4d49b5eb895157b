"""Recurring billing never issues more than BILLING_MAX_PERIODS_PER_RUN past periods of one
contract without a person confirming them; the contract form shows them before saving."""

import logging
from datetime import date
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils import timezone

from relationships import services
from relationships.models import Contract, Invoice
from relationships.services.billing import _add_months
from tests.factories import ContractFactory

pytestmark = pytest.mark.django_db

TODAY = date(2025, 6, 10)


def months_ago(months, today=None):
    return _add_months((today or timezone.localdate()).replace(day=1), -months)


def test_a_contract_dated_1900_never_bills_thousands_of_invoices_in_one_run(settings, caplog):
    settings.BILLING_MAX_PERIODS_PER_RUN = 3
    contract = ContractFactory(
        billing_period="monthly", start_date=date(1900, 1, 1), value=Decimal("100.00")
    )
    with caplog.at_level(logging.WARNING, logger="relationships.services"):
        assert services.contracts_bill_recurring(today=TODAY) == []
        assert services.contracts_bill_recurring(today=TODAY) == []
    assert not Invoice.objects.exists()
    assert f"Contract {contract.number}: back-billing of 1506 periods" in caplog.text
    pending = services.contract_backbilling(contract, today=TODAY)
    assert (pending.periods, pending.total, pending.first_start, pending.until) == (
        1506,
        Decimal("150600.00"),
        date(1900, 1, 1),
        date(2025, 6, 1),
    )


def test_only_the_contract_over_the_cap_waits(settings):
    settings.BILLING_MAX_PERIODS_PER_RUN = 2
    held = ContractFactory(billing_period="monthly", start_date=date(2025, 4, 1))  # 3 periods
    billed = ContractFactory(billing_period="monthly", start_date=date(2025, 5, 1))  # 2 periods
    created = services.contracts_bill_recurring(today=TODAY)
    assert {i.contract for i in created} == {billed}
    assert len(created) == 2
    assert services.contract_backbilling(held, today=TODAY).periods == 3
    assert services.contract_backbilling(billed, today=TODAY) is None


def test_a_confirmation_issues_the_held_periods_and_records_who(settings, finance_clerk):
    settings.BILLING_MAX_PERIODS_PER_RUN = 3
    contract = ContractFactory(
        billing_period="quarterly", start_date=date(2023, 1, 1), value=Decimal("900.00")
    )
    assert services.contracts_bill_recurring(today=TODAY) == []
    created = services.contract_confirm_backbilling(
        contract=contract, by=finance_clerk, today=TODAY
    )
    assert len(created) == 10  # 2023-01 .. 2025-04, quarterly
    contract.refresh_from_db()
    assert contract.backbilling_confirmed_until == date(2025, 4, 1)
    assert contract.backbilling_confirmed_by == finance_clerk
    assert contract.backbilling_confirmed_at is not None
    assert services.contracts_bill_recurring(today=TODAY) == []
    # The next period is ordinary billing again.
    assert [i.period_start for i in services.contracts_bill_recurring(today=date(2025, 7, 1))] == [
        date(2025, 7, 1)
    ]


def test_only_the_roles_that_bill_or_sell_confirm_back_billing(service_agent):
    contract = ContractFactory(billing_period="monthly", start_date=date(2024, 1, 1))
    with pytest.raises(PermissionDenied):
        services.contract_confirm_backbilling(contract=contract, by=service_agent, today=TODAY)
    assert not Invoice.objects.exists()


def test_nothing_to_confirm_is_refused(manager):
    contract = ContractFactory(billing_period="monthly", start_date=TODAY)
    services.contracts_bill_recurring(today=TODAY)
    with pytest.raises(ValidationError):
        services.contract_confirm_backbilling(contract=contract, by=manager, today=TODAY)


def test_the_contract_page_shows_the_waiting_back_billing_and_its_action(
    settings, persona_client, finance_clerk, service_agent
):
    settings.BILLING_MAX_PERIODS_PER_RUN = 3
    contract = ContractFactory(
        billing_period="monthly", start_date=months_ago(11), value=Decimal("100.00")
    )
    url = reverse("relationships:contract_detail", args=[contract.pk])
    action = reverse("relationships:contract_confirm_backbilling", args=[contract.pk])
    page = persona_client(finance_clerk).get(url).text
    assert "Back-billing of 12 past periods (1,200.00 PLN" in page
    assert action in page
    assert action not in persona_client(service_agent).get(url).text


def test_the_confirm_action_is_a_post_for_the_roles_that_may(
    settings, client, persona_client, sales_rep, service_agent, manager
):
    settings.BILLING_MAX_PERIODS_PER_RUN = 3
    contract = ContractFactory(billing_period="monthly", start_date=months_ago(5))
    url = reverse("relationships:contract_confirm_backbilling", args=[contract.pk])
    assert client.post(url).status_code == 302 and "login" in client.post(url).url
    assert persona_client(service_agent).post(url).status_code == 403
    assert persona_client(manager).get(url).status_code == 405
    response = persona_client(sales_rep).post(url)
    assert response.status_code == 302 and response.url == contract.get_absolute_url()
    assert Invoice.objects.filter(contract=contract).count() == 6
    contract.refresh_from_db()
    assert contract.backbilling_confirmed_by == sales_rep


def _contract_post(start, **extra):
    return {
        "number": "K-77",
        "title": "Support",
        "product": "Support plan",
        "value": "100.00",
        "currency": "PLN",
        "billing_period": "monthly",
        "start_date": start.isoformat(),
        "end_date": "",
        "signed_on": "",
        **extra,
    }


def test_the_contract_form_shows_the_back_billing_before_saving(
    settings, persona_client, sales_rep, customer
):
    settings.BILLING_MAX_PERIODS_PER_RUN = 3
    client = persona_client(sales_rep)
    url = reverse("relationships:contract_create", args=[customer.pk])
    response = client.post(url, _contract_post(months_ago(22)))
    assert response.status_code == 200
    form = response.context["form"]
    message = " ".join(form.errors["start_date"])
    assert "This will issue 23 invoices totalling 2,300.00 PLN for past periods" in message
    assert 'type="checkbox" name="confirm_backbilling"' in response.text
    assert not Contract.objects.exists()

    response = client.post(
        url, _contract_post(months_ago(22), confirm_backbilling="on", signed_on=str(TODAY))
    )
    assert response.status_code == 302
    contract = Contract.objects.get()
    assert contract.backbilling_confirmed_by == sales_rep
    assert contract.backbilling_confirmed_until == months_ago(0)
    created = services.contracts_bill_recurring(today=timezone.localdate())
    assert len(created) == 23


def test_a_start_within_the_current_period_needs_no_confirmation(
    persona_client, sales_rep, customer
):
    url = reverse("relationships:contract_create", args=[customer.pk])
    response = persona_client(sales_rep).post(url, _contract_post(timezone.localdate()))
    assert response.status_code == 302
    assert Contract.objects.get().backbilling_confirmed_until is None


def test_editing_the_start_date_into_the_past_asks_again(persona_client, sales_rep, customer):
    contract = ContractFactory(
        customer=customer, billing_period="monthly", start_date=timezone.localdate()
    )
    url = reverse("relationships:contract_edit", args=[contract.pk])
    data = _contract_post(months_ago(6), number=contract.number)
    response = persona_client(sales_rep).post(url, data)
    assert response.status_code == 200
    assert "This will issue 7 invoices" in " ".join(response.context["form"].errors["start_date"])
    response = persona_client(sales_rep).post(url, {**data, "confirm_backbilling": "on"})
    assert response.status_code == 302
    contract.refresh_from_db()
    assert contract.start_date == months_ago(6)
    assert contract.backbilling_confirmed_by == sales_rep


@pytest.mark.parametrize("start", ["0001-01-01", "1899-12-31", "2101-01-01", "9999-12-31"])
def test_a_start_date_outside_the_window_is_refused_beside_the_field(
    persona_client, sales_rep, customer, start
):
    url = reverse("relationships:contract_create", args=[customer.pk])
    data = _contract_post(TODAY)
    data["start_date"] = start
    response = persona_client(sales_rep).post(url, data)
    assert response.status_code == 200
    assert "between" in " ".join(response.context["form"].errors["start_date"])
    assert not Contract.objects.exists()
