"""A customer with a full history, and a second customer whose records are the hostile ids.

Every URL of the apps gets its path arguments from here (`HostileWorld.pk(key)`), so the
hostile posts reach the deep paths of each view: a payout that waits for approval, a draft
contract to sign, an overdue invoice without a collection case, a pending approval, a task and
a notification of the manager's.
"""

from dataclasses import dataclass, field
from datetime import timedelta
from decimal import Decimal

from django.utils import timezone

from customers.models import DuplicateSuggestion
from processes import services as process_services
from processes.models import DecisionRule
from relationships import services as relationship_services
from relationships.models import Contract, Payout
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
    SegmentFactory,
    SlaPolicyFactory,
)

from .world_apps import build_app_world


@dataclass
class HostileWorld:
    users: dict
    objects: dict = field(default_factory=dict)

    def pk(self, key):
        return self.objects[key].pk

    def __getitem__(self, key):
        return self.objects[key]


def build_world(*, manager, sales_rep, service_agent, finance_clerk) -> HostileWorld:
    today = timezone.localdate()
    world = HostileWorld(
        users={
            "manager": manager,
            "sales": sales_rep,
            "service": service_agent,
            "finance": finance_clerk,
        }
    )
    o = world.objects

    # The processes every kind of view works on.
    o["sales_process"] = ProcessDefinitionFactory(name="Hostile sales", kind="sales")
    o["support_process"] = ProcessDefinitionFactory(name="Hostile support", kind="support")
    SlaPolicyFactory(definition=o["support_process"], priority="normal")
    SlaPolicyFactory(definition=o["support_process"], priority="high")
    o["collections_process"] = ProcessDefinitionFactory(
        name="Hostile collections", kind="collections"
    )
    o["retention_process"] = ProcessDefinitionFactory(name="Hostile win-back", kind="retention")
    o["onboarding_process"] = ProcessDefinitionFactory(name="Hostile onboarding", kind="onboarding")
    o["segment"] = SegmentFactory(name="Hostile key accounts")

    # The customer with a full history.
    customer = o["customer"] = CustomerFactory(
        display_name="Hostile Target Ltd", owner=sales_rep, tax_id="PL5260250274"
    )
    customer.segments.add(o["segment"])
    o["relationship"] = customer.relationships.get()
    o["contact"] = ContactPersonFactory(customer=customer, is_primary=True)
    o["interaction"] = InteractionFactory(customer=customer, contact_person=o["contact"])
    o["contract"] = ContractFactory(
        customer=customer,
        billing_period=Contract.BillingPeriod.MONTHLY,
        start_date=today - timedelta(days=40),
        end_date=today + timedelta(days=300),
    )
    # Six months of monthly periods never billed: more than recurring billing issues unconfirmed,
    # so its page offers "confirm back-billing".
    o["backbilling_contract"] = ContractFactory(
        customer=customer,
        billing_period=Contract.BillingPeriod.MONTHLY,
        start_date=today - timedelta(days=200),
        end_date=today + timedelta(days=300),
    )
    o["draft_contract"] = ContractFactory(
        customer=customer, status=Contract.Status.DRAFT, signed_on=None
    )
    o["invoice"] = InvoiceFactory(customer=customer, contract=o["contract"], amount=Decimal(900))
    PaymentFactory(invoice=o["invoice"], amount=Decimal(100))
    o["overdue_invoice"] = InvoiceFactory(
        customer=customer,
        issue_date=today - timedelta(days=60),
        due_date=today - timedelta(days=30),
        amount=Decimal(500),
    )
    o["collected_invoice"] = InvoiceFactory(
        customer=customer,
        issue_date=today - timedelta(days=90),
        due_date=today - timedelta(days=60),
        amount=Decimal(700),
    )
    o["payout"] = PayoutFactory(customer=customer, amount=Decimal(5000), requested_by=sales_rep)
    o["approved_payout"] = PayoutFactory(
        customer=customer,
        amount=Decimal(50),
        requested_by=sales_rep,
        status=Payout.Status.APPROVED,
    )
    o["asset"] = AssetFactory(customer=customer, contract=o["contract"])
    o["document"] = DocumentFactory(customer=customer, contract=o["contract"])

    o["opportunity"] = process_services.instance_open(
        definition=o["sales_process"],
        customer=customer,
        title="Hostile printers deal",
        by=sales_rep,
        amount=Decimal(10000),
        currency="PLN",
    )
    o["approval"] = process_services.opportunity_set_discount(
        instance=o["opportunity"], percent=Decimal(40), reason="Big order", by=sales_rep
    )
    o["notification"] = manager.process_notifications.order_by("-id").first()
    o["ticket"] = process_services.ticket_open(
        definition=o["support_process"],
        customer=customer,
        subject="Hostile printer jams",
        description="Paper jams on every page.",
        priority="normal",
        contact_person=o["contact"],
        asset=o["asset"],
        by=service_agent,
    ).instance
    o["collection"] = process_services.collection_case_open(
        invoice=o["collected_invoice"],
        by=finance_clerk,
        definition=o["collections_process"],
    ).instance
    o["task"] = process_services.task_create(
        customer=customer,
        title="Call back about toner",
        assignee=manager,
        due_on=today,
        by=sales_rep,
        instance=o["opportunity"],
    )
    o["rule"] = process_services.decision_rule_create(
        definition=o["sales_process"],
        data={"name": "Only real deals", "min_amount": Decimal(1), "on_break": "refuse"},
        by=manager,
    )
    o["inactive_rule"] = process_services.decision_rule_create(
        definition=o["sales_process"],
        data={"name": "Dormant rule", "min_grade": "A", "active": False},
        by=manager,
    )
    assert not DecisionRule.objects.get(pk=o["inactive_rule"].pk).active
    o["kpi_target"] = process_services.kpi_target_create(
        definition=o["sales_process"], data={"metric": "avg_cycle_days", "target": Decimal("30")}
    )
    process_services.definition_record_revision(definition=o["sales_process"], by=manager)
    o["definition_revision"] = o["sales_process"].revisions.get(number=1)
    o["campaign"] = process_services.retention_campaign_start(
        name="Hostile win-back",
        definition=o["retention_process"],
        segment=o["segment"],
        by=manager,
    )

    # A customer whose relationship ended: the page offers to start a new one.
    ended = o["ended_customer"] = CustomerFactory(display_name="Hostile Former Ltd")
    relationship_services.relationship_end(
        relationship=ended.relationships.get(), reason="competitor", by=manager
    )

    # Another customer: its records' ids are posted where the target's belong.
    other = o["other_customer"] = CustomerFactory(display_name="Hostile Other Ltd")
    o["suggestion"] = DuplicateSuggestion.objects.create(
        first=customer, second=other, reasons=["name"]
    )
    o["other_contact"] = ContactPersonFactory(customer=other)
    o["other_contract"] = ContractFactory(customer=other)
    o["other_invoice"] = InvoiceFactory(customer=other, contract=o["other_contract"])
    o["other_asset"] = AssetFactory(customer=other, contract=o["other_contract"])
    o["other_opportunity"] = process_services.instance_open(
        definition=o["sales_process"],
        customer=other,
        title="Other deal",
        by=sales_rep,
        amount=Decimal(500),
        currency="PLN",
    )
    # A saved view of the manager's, so the page that renames and deletes views has its forms.
    from core import lists

    o["saved_view"] = lists.saved_view_create(
        owner=manager, list_key="customers", name="Active ones", query="status=active"
    )
    # Background exports of the manager's: one ready to download, one failed to run again.
    from django.core.files.base import ContentFile

    from core.models import ExportJob

    export = ExportJob(
        user=manager,
        list_key="customers",
        format="csv",
        query="status=active",
        status=ExportJob.Status.DONE,
        rows=1,
        finished_at=timezone.now(),
    )
    export.file.save("customers.csv", ContentFile(b"\xef\xbb\xbfId\r\n1\r\n"), save=False)
    export.save()
    o["export_job"] = export
    o["failed_export"] = ExportJob.objects.create(
        user=manager,
        list_key="customers",
        format="xlsx",
        status=ExportJob.Status.FAILED,
        error="The export could not be written.",
        finished_at=timezone.now(),
    )
    # The newer apps' records: mailboxes, mailings, imports, webhooks, web forms, a person.
    build_app_world(world, manager=manager, sales_rep=sales_rep)
    return world


def other_customers_ids(world: HostileWorld) -> list[str]:
    """Primary keys of records that belong to another customer than the one posted for."""
    keys = [
        "other_customer",
        "other_contact",
        "other_contract",
        "other_invoice",
        "other_asset",
        "other_opportunity",
        "ended_customer",
        "other_message",
    ]
    return [str(world.pk(key)) for key in keys]
