"""core.integrity: a unique rule the database refuses becomes the error full_clean would give.

Each case saves a row, then saves its twin as a service does after its full_clean passed and
a parallel request committed the original in between: the database refuses, and the refusal
must come back as the form error, on the right field, with the model's own message. These run
on SQLite and on PostgreSQL, whose errors name the rule differently.
"""

import re
from datetime import date
from decimal import Decimal

import pytest
from django.apps import apps
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db import IntegrityError, connection, transaction

from analytics.models import DigestSubscription, ScoringParameters
from core.integrity import (
    save_or_raise_validation,
    unique_error,
    unique_rules,
    unique_violations_as_errors,
    violated_rule,
)
from customers.models import ConsentPurpose, ContactPerson, Customer, CustomerMerge, Segment
from processes import services as process_services
from processes.models import (
    Approval,
    CollectionCase,
    DecisionRule,
    KpiTarget,
    ProcessDefinition,
    ProcessInstance,
    RetentionCampaign,
    SlaPolicy,
    Stage,
)
from relationships.models import Asset, Contract, Invoice, Relationship
from tests.factories import (
    AssetFactory,
    ContactPersonFactory,
    ContractFactory,
    CustomerFactory,
    InvoiceFactory,
    ProcessDefinitionFactory,
    SegmentFactory,
    SlaPolicyFactory,
    UserFactory,
    twin_of,
)

pytestmark = pytest.mark.django_db


def _customer_tax_id():
    CustomerFactory(tax_id="PL5270000001")
    twin = Customer(
        display_name="Twin",
        tax_id="PL5270000001",
        source="web_form",
        first_contact_on=date(2024, 1, 1),
    )
    return twin, "tax_id", "A customer with this tax id already exists."


def _contract_number():
    original = ContractFactory(number="C-2024/7")
    return twin_of(original), "number", "A contract with this number already exists."


def _invoice_number():
    original = InvoiceFactory(number="FV/2024/7")
    return twin_of(original), "number", "An invoice with this number already exists."


def _invoice_period():
    contract = ContractFactory(billing_period=Contract.BillingPeriod.MONTHLY)
    original = InvoiceFactory(
        customer=contract.customer,
        contract=contract,
        period_start=date(2024, 1, 1),
        period_end=date(2024, 1, 31),
    )
    twin = twin_of(original, number="FV/other")
    return twin, NON_FIELD_ERRORS, "This period of the contract is already invoiced."


def _primary_contact():
    original = ContactPersonFactory(is_primary=True)
    twin = twin_of(original, first_name="Second")
    return twin, "customer", "This customer already has a primary contact person."


def _open_relationship():
    customer = CustomerFactory()  # the factory opens its relationship
    twin = Relationship(customer=customer)
    return twin, "customer", "This customer already has an open relationship."


ASSET_SERIAL_TAKEN = (
    "An asset of this model with this serial number already exists "
    "(capital and small letters count as the same)."
)


def _asset_serial():
    original = AssetFactory(serial_number="SN-1")
    twin = twin_of(original)
    return twin, NON_FIELD_ERRORS, ASSET_SERIAL_TAKEN


def _segment_name():
    SegmentFactory(name="Key accounts")
    return Segment(name="Key accounts"), "name", "A segment with this name already exists."


def _definition_name():
    original = ProcessDefinitionFactory(name="SMB sales")
    return (
        twin_of(original),
        "name",
        "A process definition with this name already exists.",
    )


def _stage_position():
    definition = ProcessDefinitionFactory()
    first = definition.stages.get(position=1)
    twin = twin_of(first, name="Another name")
    return twin, NON_FIELD_ERRORS, "Another stage of this definition has this position."


def _stage_name():
    definition = ProcessDefinitionFactory()
    first = definition.stages.get(position=1)
    twin = twin_of(first, position=definition.stages.count() + 1)
    return twin, NON_FIELD_ERRORS, "Another stage of this definition has this name."


def _sla_priority():
    original = SlaPolicyFactory()
    return (
        twin_of(original),
        NON_FIELD_ERRORS,
        "This definition already has an SLA for this priority.",
    )


def _kpi_target():
    original = KpiTarget.objects.create(
        definition=ProcessDefinitionFactory(), metric="win_rate", target=Decimal("30")
    )
    return (
        twin_of(original, target=Decimal("40")),
        NON_FIELD_ERRORS,
        "This definition already has a target for this KPI.",
    )


def _decision_rule_name():
    original = DecisionRule.objects.create(
        definition=ProcessDefinitionFactory(),
        name="Only A",
        min_grade="A",
        created_by=UserFactory(),
    )
    return twin_of(original), NON_FIELD_ERRORS, "Another rule of this process has this name."


def _open_instance(**fields):
    definition = fields.pop("definition", None) or ProcessDefinitionFactory()
    return process_services.instance_open(
        definition=definition, customer=CustomerFactory(), title="Deal", by=None, **fields
    )


def _pending_approval():
    instance = _open_instance()
    original = Approval.objects.create(
        instance=instance,
        action=Approval.Action.DISCOUNT,
        value=Decimal("10"),
        requested_by=UserFactory(),
    )
    return twin_of(original), NON_FIELD_ERRORS, "This is already waiting for a manager's decision."


def _campaign_instance():
    definition = ProcessDefinitionFactory(kind="retention")
    campaign = RetentionCampaign.objects.create(
        name="Spring", definition=definition, segment=SegmentFactory(), started_by=UserFactory()
    )
    original = _open_instance(definition=definition, campaign=campaign)
    twin = twin_of(original)
    # Django's check of a conditional constraint says it in the constraint's default words.
    return twin, NON_FIELD_ERRORS, ("Constraint “one_instance_per_campaign_customer” is violated.")


def _collection_case_invoice():
    invoice = InvoiceFactory()
    original = CollectionCase.objects.create(
        instance=_open_instance(), invoice=invoice, balance_at_open=invoice.amount
    )
    twin = twin_of(original, instance=_open_instance())
    return twin, "invoice", "Collection case with this Invoice already exists."


def _scoring_version():
    current = ScoringParameters.objects.order_by("-version").first()
    return (
        twin_of(current),
        "version",
        "Scoring parameters with this Version already exists.",
    )


def _digest_subscription():
    original = DigestSubscription.objects.create(user=UserFactory(), enabled=False)
    return (
        twin_of(original),
        "user",
        "Digest subscription with this User already exists.",
    )


def _consent_purpose_code():
    original = ConsentPurpose.objects.get(code="newsletter")
    return (
        twin_of(original, name="Another newsletter", is_default=False),
        "code",
        "A consent purpose with this code already exists.",
    )


def _consent_purpose_name():
    original = ConsentPurpose.objects.get(code="newsletter")
    return (
        twin_of(original, code="another_newsletter", is_default=False),
        "name",
        "A consent purpose with this name already exists.",
    )


def _consent_default_purpose():
    original = ConsentPurpose.objects.get(is_default=True)
    return (
        twin_of(original, code="second_default", name="Second default"),
        "is_default",
        "Another purpose is already the default one.",
    )


def _customer_merged_once():
    from customers.merging import customer_merge

    survivor, merged = CustomerFactory(), CustomerFactory(relationship=False)
    original = customer_merge(
        survivor=survivor, merged=merged, values={}, by=UserFactory(roles=["manager"])
    )
    twin = twin_of(original, survivor=CustomerFactory(relationship=False))
    return twin, "merged", "This customer has already been merged into another one."


CASES = {
    "customer tax id": _customer_tax_id,
    "contract number": _contract_number,
    "invoice number": _invoice_number,
    "one invoice per contract period": _invoice_period,
    "one primary contact": _primary_contact,
    "one open relationship": _open_relationship,
    "asset serial per model": _asset_serial,
    "segment name": _segment_name,
    "process definition name": _definition_name,
    "stage position": _stage_position,
    "stage name": _stage_name,
    "SLA per priority": _sla_priority,
    "KPI target": _kpi_target,
    "decision rule name": _decision_rule_name,
    "one pending approval per action": _pending_approval,
    "one instance per campaign and customer": _campaign_instance,
    "collection case per invoice": _collection_case_invoice,
    "scoring parameters version": _scoring_version,
    "digest subscription per user": _digest_subscription,
    "consent purpose code": _consent_purpose_code,
    "consent purpose name": _consent_purpose_name,
    "one default consent purpose": _consent_default_purpose,
    "a customer is merged once": _customer_merged_once,
}


@pytest.mark.parametrize("case", CASES.values(), ids=CASES.keys())
def test_a_refused_twin_is_the_model_error_on_its_field(case):
    twin, field, message = case()
    model = type(twin)
    count = model.objects.count()
    with pytest.raises(ValidationError) as refused:
        save_or_raise_validation(twin)
    assert refused.value.message_dict == {field: [message]}
    assert model.objects.count() == count
    # The savepoint kept the transaction usable: the test goes on querying after the refusal.
    assert model.objects.exists()


@pytest.mark.parametrize("case", CASES.values(), ids=CASES.keys())
def test_the_message_is_the_one_full_clean_gives_once_it_sees_the_twin(case):
    twin, _field, message = case()
    with pytest.raises(ValidationError) as cleaned:
        twin.full_clean()
    assert message in cleaned.value.messages


def test_a_rule_of_several_fields_can_be_shown_beside_the_field_the_user_typed():
    twin, _field, message = _asset_serial()
    with pytest.raises(ValidationError) as refused:
        save_or_raise_validation(twin, fields={"asset_serial_unique_per_model": "serial_number"})
    assert refused.value.message_dict == {"serial_number": [message]}


def test_another_integrity_error_is_not_disguised_as_a_form_error():
    customer = CustomerFactory()
    customer.status = "bogus"  # breaks a check constraint, not a unique rule
    with pytest.raises(IntegrityError):
        save_or_raise_validation(customer)


def test_a_unique_rule_of_another_model_is_not_mistaken_for_one_of_this_model():
    InvoiceFactory(number="FV/1")
    invoice = InvoiceFactory.build(number="FV/1", customer=CustomerFactory())
    with pytest.raises(IntegrityError), unique_violations_as_errors(Contract()):
        invoice.save()


def test_the_rule_is_named_from_the_database_error():
    ContractFactory(number="C-1")
    twin = ContractFactory.build(number="C-1", customer=CustomerFactory())
    with pytest.raises(IntegrityError) as refused, transaction.atomic():
        twin.save()
    rule = violated_rule(refused.value, Contract, Customer)
    assert (rule.model, rule.fields) == (Contract, ("number",))
    assert violated_rule(refused.value, Customer) is None


def test_unique_error_answers_for_a_rule_a_service_checks_itself():
    customer = Customer(display_name="Twin", tax_id="PL1")
    error = unique_error(customer, "customer_tax_id_unique_when_given")
    assert error.message_dict == {"tax_id": ["A customer with this tax id already exists."]}
    with pytest.raises(LookupError):
        unique_error(customer, "no_such_rule")


def test_every_unique_rule_of_the_domain_has_a_case():
    """A new unique rule needs a case above (and a look at the services that write it)."""
    covered = {
        (Customer, "customer_tax_id_unique_when_given"),
        (Contract, "number"),
        (Invoice, "number"),
        (Invoice, "one_invoice_per_contract_period"),
        (ContactPerson, "one_primary_contact_per_customer"),
        (Relationship, "one_open_relationship_per_customer"),
        (Asset, "asset_serial_unique_per_model"),
        (Segment, "name"),
        (ProcessDefinition, "name"),
        (Stage, "stage_position_unique"),
        (Stage, "stage_name_unique"),
        (SlaPolicy, "one_sla_per_definition_priority"),
        (KpiTarget, "one_kpi_target_per_metric_and_period"),
        (DecisionRule, "decision_rule_name_unique"),
        (Approval, "one_pending_approval_per_action"),
        (ProcessInstance, "one_instance_per_campaign_customer"),
        (CollectionCase, "invoice"),
        (ScoringParameters, "version"),
        (DigestSubscription, "user"),
        (ConsentPurpose, "code"),
        (ConsentPurpose, "name"),
        (ConsentPurpose, "consent_one_default_purpose"),
        (CustomerMerge, "merged"),
    }
    # Rows written only by jobs and the request middleware, which settle their own conflicts.
    written_by_jobs = {
        "one_current_score_per_customer",
        "one_running_scoring_run",
        "user_activity_once_per_day",
        "usage_day_once_per_user",
        "usage_day_computed",
        "digest_once_per_user_and_day",
        "score",  # GradeChange, one per score, written by the scoring job
        "forecast_snapshot_unique",
        "forecast_snapshot_unique_unowned",
        "kpi_day_once",
        "kpi_day_computed",
        "stage_kpi_day_once",
        "notification_once_per_event",
        # The current consent per person and purpose, and its event: written only by
        # customers.services.consent_record, under a lock on the person's row.
        "consent_state_unique",
        "event",
        "duplicate_pair_unique",  # customers.duplicates' get_or_create settles a twin itself
        # A definition's revisions: written only by processes.services.definitions, under a
        # lock on the definition's row (or for a definition the same transaction creates).
        "one_definition_revision_per_number",
    }
    found = {
        (model, rule.name)
        for app in ("customers", "relationships", "processes", "analytics")
        for model in apps.get_app_config(app).get_models()
        for rule in unique_rules(model)
        if rule.model is model and rule.name not in written_by_jobs
    }
    assert found == covered


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL names the constraint")
def test_postgresql_names_a_partial_unique_index_by_its_constraint():
    CustomerFactory(tax_id="PL9")
    with pytest.raises(IntegrityError) as refused, transaction.atomic():
        Customer.objects.create(
            display_name="Twin", tax_id="PL9", source="web_form", first_contact_on=date(2024, 1, 1)
        )
    assert refused.value.__cause__.diag.constraint_name == "customer_tax_id_unique_when_given"
    assert violated_rule(refused.value, Customer).name == "customer_tax_id_unique_when_given"


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL names the constraint")
def test_postgresql_a_unique_field_is_found_by_its_constraint_name_alone(monkeypatch):
    """The detail naming the columns is translated with the server's lc_messages."""
    ContractFactory(number="C-1")
    twin = ContractFactory.build(number="C-1", customer=CustomerFactory())
    with pytest.raises(IntegrityError) as refused, transaction.atomic():
        twin.save()
    monkeypatch.setattr("core.integrity._PG_KEY_COLUMNS", re.compile(r"^Schlüssel \((.+)\)"))
    rule = violated_rule(refused.value, Contract)
    assert (rule.model, rule.name) == (Contract, "number")
