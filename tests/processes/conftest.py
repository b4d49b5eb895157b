from datetime import timedelta

import pytest
from django.utils import timezone

from processes import services
from tests.factories import (
    ContactPersonFactory,
    InvoiceFactory,
    ProcessDefinitionFactory,
    SlaPolicyFactory,
)


@pytest.fixture
def sales_process(db):
    return ProcessDefinitionFactory(name="SMB sales", kind="sales")


@pytest.fixture
def enterprise_sales(db):
    return ProcessDefinitionFactory(name="Enterprise sales", kind="sales")


def _support(name, matrix):
    definition = ProcessDefinitionFactory(name=name, kind="support")
    for priority, (response, resolution) in matrix.items():
        SlaPolicyFactory(
            definition=definition,
            priority=priority,
            response_hours=response,
            resolution_hours=resolution,
        )
    return definition


@pytest.fixture
def standard_support(db):
    return _support(
        "Standard support",
        {"low": (24, 120), "normal": (8, 40), "high": (4, 16), "urgent": (2, 8)},
    )


@pytest.fixture
def support_24_7(db):
    return _support(
        "24/7 support",
        {"low": (8, 48), "normal": (4, 24), "high": (1, 8), "urgent": (1, 4)},
    )


@pytest.fixture
def collections_process(db):
    return ProcessDefinitionFactory(name="Collections", kind="collections", hourly_rate=90)


@pytest.fixture
def opportunity(sales_process, customer, sales_rep):
    return services.instance_open(
        definition=sales_process,
        customer=customer,
        title="Printers for the new office",
        by=sales_rep,
        amount=10000,
        currency="PLN",
    )


@pytest.fixture
def ticket(standard_support, customer, service_agent):
    contact = ContactPersonFactory(customer=customer)
    return services.ticket_open(
        definition=standard_support,
        customer=customer,
        subject="Printer jams",
        description="Paper jams on every second page.",
        priority="high",
        contact_person=contact,
        by=service_agent,
    )


@pytest.fixture
def overdue_invoice(customer):
    today = timezone.localdate()
    return InvoiceFactory(
        customer=customer,
        issue_date=today - timedelta(days=60),
        due_date=today - timedelta(days=30),
        amount=500,
    )


def stage(definition, name):
    return definition.stages.get(name=name)
