"""Every main page passes axe-core with no critical and no serious violation (contrast, names,
keyboard access to scrollable tables, ...), checked in the browser on pages full of demo data."""

import pytest
from django.urls import reverse

from demo import datagen
from processes.models import ProcessDefinition
from tests.e2e.axe import describe, violations

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def demo_book(sales_rep, service_agent, finance_clerk, manager):
    staff = [sales_rep, service_agent, finance_clerk, manager]
    datagen.generate(customers=25, seed=3, staff=datagen.Staff.from_users(staff))
    from customers.models import Customer

    return Customer.objects.order_by("pk").first()


def main_pages(customer):
    sales = ProcessDefinition.objects.filter(kind=ProcessDefinition.Kind.SALES).first()
    return [
        ("home", reverse("home")),
        ("customer-list", reverse("customers:list")),
        ("customer-page", customer.get_absolute_url()),
        ("board", reverse("processes:board", args=[sales.pk])),
        ("processes", reverse("processes:instance_list")),
        ("tickets", reverse("processes:ticket_list")),
        ("tasks", reverse("processes:task_list")),
        ("approvals", reverse("processes:approval_list")),
        ("collections", reverse("processes:collection_list")),
        ("invoices", reverse("relationships:invoice_list")),
        ("contracts", reverse("relationships:contract_list")),
        ("payouts", reverse("relationships:payout_list")),
        ("value-report", reverse("analytics:value_report")),
        ("segment-report", reverse("analytics:segment_report")),
        ("kpis", reverse("analytics:process_kpis")),
        ("forecast", reverse("analytics:forecast")),
        ("usage", reverse("analytics:usage_report")),
        ("data-quality", reverse("analytics:data_quality")),
        ("kpi-targets", reverse("processes:kpi_target_list")),
        ("decision-rules", reverse("processes:decision_rule_list")),
    ]


def test_the_main_pages_have_no_serious_accessibility_violations(login, page, manager, demo_book):
    login(manager)
    found = {}
    for name, url in main_pages(demo_book):
        page.goto(url)
        page.wait_for_load_state("networkidle")
        problems = violations(page)
        if problems:
            found[name] = describe(problems)
    assert not found, "\n\n".join(f"== {name}\n{text}" for name, text in found.items())
