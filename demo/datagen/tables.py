"""The tables the generator writes, their columns in row order, and the order to write them in."""

from customers.models import ContactPerson, Customer
from processes.models import CollectionCase, ProcessInstance, StageTransition, Ticket, WorkLog
from relationships.models import (
    Asset,
    Contract,
    Interaction,
    Invoice,
    Payment,
    Payout,
    Relationship,
)


class Table:
    """The columns the generator writes, in row order (attnames, separated by whitespace).

    Generated columns (phone_digits, phone_key) are computed by the database and never listed.
    """

    def __init__(self, model, fields):
        self.model = model
        self.fields = tuple(model._meta.get_field(name) for name in fields.split())
        self.db_table = model._meta.db_table
        self.columns = tuple(field.column for field in self.fields)

    def __repr__(self):
        return f"<Table {self.db_table}>"


CUSTOMERS = Table(
    Customer,
    """
    id kind display_name legal_name tax_id email phone street postal_code city country
    owner_id source first_contact_on notes status relationship_kind last_contact_at
    created_at updated_at created_by_id
    """,
)
CUSTOMER_SEGMENTS = Table(Customer.segments.through, "id customer_id segment_id")
CONTACTS = Table(
    ContactPerson,
    """
    id customer_id first_name last_name title email phone language is_primary
    marketing_consent marketing_consent_at is_active created_at
    """,
)
RELATIONSHIPS = Table(
    Relationship,
    """
    id customer_id status kind started_on started_by_id ended_at ended_by_id end_reason
    end_note
    """,
)
INTERACTIONS = Table(
    Interaction,
    """
    id customer_id relationship_id contact_person_id channel direction subject notes outcome
    occurred_at created_by_id created_at
    """,
)
CONTRACTS = Table(
    Contract,
    """
    id customer_id relationship_id number title product value currency billing_period
    start_date end_date status signed_on terminated_at terminated_by_id termination_reason
    created_by_id created_at
    """,
)
INVOICES = Table(
    Invoice,
    """
    id customer_id contract_id number issue_date due_date amount currency paid_amount
    period_start period_end written_off_at written_off_by_id write_off_reason created_by_id
    created_at
    """,
)
PAYMENTS = Table(
    Payment,
    "id invoice_id customer_id amount currency paid_on method reference recorded_by_id created_at",
)
PAYOUTS = Table(
    Payout,
    """
    id customer_id kind amount currency reason status requested_by_id requested_at
    approved_by_id approved_at rejected_by_id rejected_at rejection_reason paid_at paid_by_id
    """,
)
ASSETS = Table(
    Asset,
    """
    id customer_id contract_id name model serial_number installed_on location status
    created_by_id created_at
    """,
)
INSTANCES = Table(
    ProcessInstance,
    """
    id definition_id customer_id title owner_id stage_id amount currency discount_percent
    expected_close_on outcome outcome_reason accrued_cost campaign_id opened_at opened_by_id
    closed_at stage_entered_at stage_due_at last_activity_at sla_due_at title_kind title_params
    """,
)
TRANSITIONS = Table(StageTransition, "id instance_id from_stage_id to_stage_id at by_id note")
WORK_LOGS = Table(WorkLog, "id instance_id user_id minutes note cost logged_at")
TICKETS = Table(
    Ticket,
    """
    instance_id contact_person_id asset_id priority description response_due_at
    resolution_due_at first_response_at first_response_by_id resolved_at
    """,
)
COLLECTION_CASES = Table(CollectionCase, "instance_id invoice_id balance_at_open reminders_sent")
# Parents before children, for a database that checks foreign keys per statement.
TABLES = (
    CUSTOMERS,
    CUSTOMER_SEGMENTS,
    CONTACTS,
    RELATIONSHIPS,
    INTERACTIONS,
    CONTRACTS,
    INVOICES,
    PAYMENTS,
    PAYOUTS,
    ASSETS,
    INSTANCES,
    TRANSITIONS,
    WORK_LOGS,
    TICKETS,
    COLLECTION_CASES,
)
# Ticket and collection case rows take their instance's key.
KEYED_TABLES = tuple(table for table in TABLES if table not in (TICKETS, COLLECTION_CASES))
TAX_ID_COLUMN = CUSTOMERS.columns.index("tax_id")
