from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from customers import services as customer_services
from customers.models import ConsentPurpose, Customer
from processes import services as process_services
from processes.models import Task
from tests.factories import (
    AssetFactory,
    ContactPersonFactory,
    ContractFactory,
    CustomerFactory,
    DocumentFactory,
    InteractionFactory,
    InvoiceFactory,
    PaymentFactory,
    PayoutFactory,
    ProcessDefinitionFactory,
    SlaPolicyFactory,
)


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    """Uploaded documents land in a temporary folder, never in var/media."""
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


def _file_of(owner, *, name, sales_rep, marker):
    """A person (an individual customer) with one record of every kind, each naming `marker`."""
    customer = CustomerFactory(
        kind=Customer.Kind.PERSON,
        display_name=f"{name} {marker}",
        email=f"{marker}@home.example",
        phone="+48 601 222 333" if marker == "jan" else "+48 602 444 555",
        street=f"{marker} street 1",
        tax_id=f"PL{abs(hash(marker)) % 10**10:010d}",
        notes=f"Prefers mornings ({marker})",
        owner=owner,
    )
    contact = ContactPersonFactory(
        customer=customer, first_name=name, last_name=marker, email=f"{marker}@mail.example"
    )
    InteractionFactory(
        customer=customer,
        contact_person=contact,
        subject=f"Call with {marker}",
        notes=f"{marker} asked about prices",
    )
    contract = ContractFactory(customer=customer, value=Decimal("1500.00"))
    invoice = InvoiceFactory(customer=customer, contract=contract, amount=Decimal("1500.00"))
    PaymentFactory(invoice=invoice, customer=customer)
    PayoutFactory(customer=customer, amount=Decimal("20.00"))
    AssetFactory(customer=customer, location=f"{marker}'s living room")
    DocumentFactory(
        customer=customer, title=f"ID scan of {marker}", original_name=f"{marker}-id.pdf"
    )
    DocumentFactory(
        customer=customer, invoice=invoice, title=f"Invoice of {marker}", original_name="fv.pdf"
    )
    support = ProcessDefinitionFactory(kind="support")
    SlaPolicyFactory(definition=support, priority="normal")
    process_services.ticket_open(
        definition=support,
        customer=customer,
        subject=f"Broken ({marker})",
        description=f"{marker} says it is broken",
        priority="normal",
        contact_person=contact,
        by=sales_rep,
    )
    Task.objects.create(
        customer=customer,
        title="Call back",
        assignee=sales_rep,
        created_by=sales_rep,
        due_on=timezone.localdate() + timedelta(days=1),
        notes=f"{marker} wants a call",
    )
    customer_services.consent_record(
        contact=contact,
        purpose=ConsentPurpose.objects.get(code="newsletter"),
        given=True,
        source="form",
        by_person=True,
    )
    return customer


@pytest.fixture
def person(sales_rep):
    return _file_of(sales_rep, name="Jan", sales_rep=sales_rep, marker="jan")


@pytest.fixture
def other_person(sales_rep):
    return _file_of(sales_rep, name="Ewa", sales_rep=sales_rep, marker="ewa")
