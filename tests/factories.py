import copy
from datetime import timedelta
from decimal import Decimal

import factory
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db import models
from django.utils import timezone

from customers.models import ContactPerson, Customer, CustomerValue, Segment
from relationships.models import (
    Asset,
    Contract,
    Document,
    Interaction,
    Invoice,
    Payment,
    Payout,
    Relationship,
)


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.com")
    password = factory.PostGenerationMethodCall("set_password", "secret-pass-1")

    @factory.post_generation
    def roles(self, create, extracted, **kwargs):
        if create and extracted:
            # get_or_create: transactional tests (browser, broker) flush the migrated groups.
            self.groups.add(*(Group.objects.get_or_create(name=name)[0] for name in extracted))
        if create:
            self.save()


class SegmentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Segment
        django_get_or_create = ("name",)

    name = factory.Sequence(lambda n: f"Segment {n}")


class CustomerFactory(factory.django.DjangoModelFactory):
    """A customer as the app creates it: with an open (prospect) relationship."""

    class Meta:
        model = Customer
        skip_postgeneration_save = True

    kind = Customer.Kind.ORGANISATION
    display_name = factory.Sequence(lambda n: f"Acme {n}")
    email = factory.Sequence(lambda n: f"office{n}@acme.example")
    phone = factory.Sequence(lambda n: f"+48 600 {n:06d}")
    source = Customer.Source.WEB_FORM
    first_contact_on = factory.LazyFunction(timezone.localdate)
    status = Customer.Status.PROSPECT
    relationship_kind = Relationship.Kind.LASTING

    @factory.post_generation
    def relationship(self, create, extracted, **kwargs):
        if create and extracted is not False:
            Relationship.objects.create(customer=self, started_on=self.first_contact_on)

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        """The customer's value (grade=..., ltv=...) is written into the value row the
        database gave it (customers.value_rows), as the scoring job writes it."""
        value = {name: kwargs.pop(name) for name in VALUE_FIELDS if name in kwargs}
        customer = super()._create(model_class, *args, **kwargs)
        if value:
            CustomerValue.objects.filter(pk=customer.pk).update(**value)
        return customer


VALUE_FIELDS = ("grade", "ltv", "ltv_currency", "payment_reliability", "avg_days_late", "scored_at")


class ContactPersonFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ContactPerson

    customer = factory.SubFactory(CustomerFactory)
    first_name = "Anna"
    last_name = factory.Sequence(lambda n: f"Nowak{n}")
    email = factory.Sequence(lambda n: f"anna{n}@acme.example")


class InteractionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Interaction

    customer = factory.SubFactory(CustomerFactory)
    channel = Interaction.Channel.CALL
    direction = Interaction.Direction.OUTBOUND
    subject = factory.Sequence(lambda n: f"Call {n}")
    occurred_at = factory.LazyFunction(timezone.now)


# --- Contracts, billing, payouts, assets, documents -----------------------------------------


class ContractFactory(factory.django.DjangoModelFactory):
    """An active, signed one-off contract within the customer's open relationship."""

    class Meta:
        model = Contract

    customer = factory.SubFactory(CustomerFactory)
    relationship = factory.LazyAttribute(lambda c: c.customer.relationships.open().first())
    number = factory.Sequence(lambda n: f"C-{n:05d}")
    title = factory.Sequence(lambda n: f"Service agreement {n}")
    product = "Managed printing"
    value = Decimal("1200.00")
    currency = "PLN"
    billing_period = Contract.BillingPeriod.ONE_OFF
    start_date = factory.LazyFunction(timezone.localdate)
    status = Contract.Status.ACTIVE
    signed_on = factory.LazyFunction(timezone.localdate)


class InvoiceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Invoice

    customer = factory.SubFactory(CustomerFactory)
    number = factory.Sequence(lambda n: f"FV/{n:06d}")
    issue_date = factory.LazyFunction(timezone.localdate)
    due_date = factory.LazyAttribute(lambda i: i.issue_date + timedelta(days=14))
    amount = Decimal("100.00")
    currency = "PLN"


class PaymentFactory(factory.django.DjangoModelFactory):
    """A payment that also moves its invoice's paid total, as payment_register does."""

    class Meta:
        model = Payment

    invoice = factory.SubFactory(InvoiceFactory)
    amount = factory.LazyAttribute(lambda p: p.invoice.amount - p.invoice.paid_amount)
    currency = factory.LazyAttribute(lambda p: p.invoice.currency)
    paid_on = factory.LazyFunction(timezone.localdate)
    method = Payment.Method.BANK_TRANSFER

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        payment = super()._create(model_class, *args, **kwargs)
        Invoice.objects.filter(pk=payment.invoice_id).update(
            paid_amount=models.F("paid_amount") + payment.amount
        )
        payment.invoice.refresh_from_db()
        return payment


class PayoutFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Payout

    customer = factory.SubFactory(CustomerFactory)
    kind = Payout.Kind.REFUND
    amount = Decimal("100.00")
    currency = "PLN"
    reason = "Returned goods"
    requested_by = factory.SubFactory(UserFactory)


class AssetFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Asset

    customer = factory.SubFactory(CustomerFactory)
    name = "Office printer"
    model = "LaserJet 400"
    serial_number = factory.Sequence(lambda n: f"SN{n:08d}")
    installed_on = factory.LazyFunction(timezone.localdate)
    location = "Reception"


class DocumentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Document

    customer = factory.SubFactory(CustomerFactory)
    title = factory.Sequence(lambda n: f"Signed contract scan {n}")
    file = factory.django.FileField(filename="scan.pdf", data=b"%PDF-1.4 test")
    original_name = "scan.pdf"
    content_type = "application/pdf"
    size = 13


# --- Processes ------------------------------------------------------------------------------


class ProcessDefinitionFactory(factory.django.DjangoModelFactory):
    """A definition with working stages (and terminal stages after them).

    `stages=[("Lead", {"sla_hours": 24}), ("Won", {"outcome": "won"}), ...]` overrides the default
    sales pipeline.
    """

    class Meta:
        model = "processes.ProcessDefinition"
        skip_postgeneration_save = True

    name = factory.Sequence(lambda n: f"Process {n}")
    kind = "sales"
    goal = "Win good customers"
    hourly_rate = Decimal("120.00")
    currency = "PLN"

    @factory.post_generation
    def stages(self, create, extracted, **kwargs):
        if not create:
            return
        from processes.models import Stage

        default = {
            "sales": [
                ("Lead", {"win_probability": 10, "sla_hours": 48}),
                ("Qualified", {"win_probability": 30}),
                ("Proposal", {"win_probability": 60, "fixed_cost": Decimal("50.00")}),
                ("Won", {"outcome": "won", "win_probability": 100}),
                ("Lost", {"outcome": "lost", "win_probability": 0}),
            ],
            "support": [
                ("New", {"sla_hours": 4}),
                ("In progress", {}),
                ("Resolved", {"outcome": "resolved"}),
                ("Cancelled", {"outcome": "cancelled"}),
            ],
            "collections": [
                ("Reminder", {"code": "reminder", "sla_hours": 72}),
                ("Demand", {"code": "demand", "sla_hours": 168}),
                ("Final notice", {"code": "final_notice", "sla_hours": 168}),
                ("Legal", {"code": "legal"}),
                ("Settled", {"outcome": "won"}),
                ("Written off", {"outcome": "lost"}),
            ],
        }
        plan = extracted or default.get(
            self.kind,
            [
                ("Contact", {}),
                ("Talk", {}),
                ("Done", {"outcome": "won"}),
                ("Gone", {"outcome": "lost"}),
            ],
        )
        for position, (name, fields) in enumerate(plan, start=1):
            Stage.objects.create(definition=self, position=position, name=name, **fields)


class SlaPolicyFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "processes.SlaPolicy"
        django_get_or_create = ("definition", "priority")

    definition = factory.SubFactory(ProcessDefinitionFactory, kind="support")
    priority = "normal"
    response_hours = 8
    resolution_hours = 40


def twin_of(obj, **changes):
    """An unsaved copy of a saved `obj` (with `changes`), as a second request would build it:
    for the tests of unique rules that two people race on."""
    twin = copy.copy(obj)
    twin.pk = None
    if hasattr(twin, "id"):
        twin.id = None
    twin._state = copy.copy(obj._state)
    twin._state.adding = True
    twin._state.fields_cache = {}
    for name, value in changes.items():
        setattr(twin, name, value)
    return twin
