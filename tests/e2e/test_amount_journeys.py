"""Amounts typed in the user's own format, in a real browser: a Polish user's "1 234,56" in an
English browser is saved as 1234.56, not as 123456 (what a number input would post)."""

from decimal import Decimal

import pytest
from django.urls import reverse

from core.models import UserProfile
from relationships.models import Invoice
from tests.factories import CustomerFactory

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_polish_user_types_an_amount_with_a_space_and_a_decimal_comma(login, page, finance_clerk):
    UserProfile.objects.create(user=finance_clerk, language="pl")
    customer = CustomerFactory(display_name="Horák Logistika")
    login(finance_clerk)
    page.goto(reverse("relationships:invoice_create", args=[customer.pk]))

    page.locator("input[name=number]").fill("FV/2026/0100")
    page.locator("input[name=amount]").press_sequentially("1 234,56")
    page.locator("input[name=amount]").evaluate("el => el.form.requestSubmit()")
    page.wait_for_url(lambda url: "/new/" not in url)

    invoice = Invoice.objects.get(number="FV/2026/0100")
    assert invoice.amount == Decimal("1234.56")
