"""Cost against value: managers' decision rules decide whether a process may start for a
customer (refused with the reason, or held for a manager's approval), for hand-started and
job-started instances alike; the instance page weighs the cost so far against the customer's
value."""

import logging
from datetime import timedelta
from decimal import Decimal

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from core import money
from customers.models import CustomerValue
from processes import services
from processes.models import (
    Approval,
    CollectionCase,
    DecisionRule,
    Notification,
    ProcessInstance,
    RetentionCampaign,
    StageTransition,
)
from tests.dates import clock_today
from tests.factories import (
    CustomerFactory,
    InvoiceFactory,
    ProcessDefinitionFactory,
    SegmentFactory,
    UserFactory,
)

from .conftest import stage

pytestmark = pytest.mark.django_db
TODAY = clock_today()
REFUSE = DecisionRule.OnBreak.REFUSE
APPROVAL = DecisionRule.OnBreak.APPROVAL


def scored(grade="B", ltv="20000", currency="PLN", **fields):
    """A customer the scoring job has valued."""
    return CustomerFactory(
        grade=grade,
        ltv=Decimal(ltv),
        ltv_currency=currency,
        scored_at=timezone.now(),
        **fields,
    )


@pytest.fixture
def make_rule(manager):
    def make(definition, name="Rule", on_break=REFUSE, **conditions):
        return services.decision_rule_create(
            definition=definition,
            data={"name": name, "on_break": on_break, **conditions},
            by=manager,
        )

    return make


@pytest.fixture
def euro_rates(monkeypatch):
    """The scoring parameters' rates: PLN is the base, one euro is 4.30 zloty."""
    monkeypatch.setattr(money, "_rates_provider", lambda: ("PLN", {"EUR": Decimal("4.30")}))


@pytest.fixture
def no_rates(monkeypatch):
    monkeypatch.setattr(money, "_rates_provider", None)


def _open(definition, customer, by, **kwargs):
    return services.instance_open(
        definition=definition, customer=customer, title="Printers", by=by, **kwargs
    )


def _closed(definition, cost, *, days_ago=10, by=None):
    """A closed instance of `definition` that cost `cost`, closed `days_ago` days ago."""
    at = timezone.now() - timedelta(days=days_ago)
    instance = _open(definition, CustomerFactory(), by, at=at - timedelta(days=1))
    lost = definition.stages.filter(outcome="lost").first()
    services.instance_move(instance=instance, to_stage=lost, by=by, reason="Gone", at=at)
    ProcessInstance.objects.filter(pk=instance.pk).update(accrued_cost=Decimal(cost))
    return instance


def _nothing_saved():
    assert not ProcessInstance.objects.exists()
    assert not StageTransition.objects.exists()
    assert not Approval.objects.exists()


# --- Each condition refusing, with its reason -----------------------------------------------


def test_starting_for_a_grade_c_customer_is_refused_with_the_reason(
    sales_process, sales_rep, make_rule
):
    make_rule(sales_process, "Only A/B customers", min_grade="B")
    with pytest.raises(services.DecisionRuleRefusal) as refusal:
        _open(sales_process, scored(grade="C"), sales_rep)
    assert refusal.value.messages == [
        "Rule “Only A/B customers”: the customer is graded C, the rule asks for B or better."
    ]
    _nothing_saved()


@pytest.mark.parametrize(
    ("grade", "passes"), [("A", True), ("B", True), ("C", False), ("D", False)]
)
def test_the_minimum_grade_lets_that_grade_and_better_ones_through(
    sales_process, sales_rep, make_rule, grade, passes
):
    make_rule(sales_process, min_grade="B")
    breaches = services.decision_rules_check(definition=sales_process, customer=scored(grade))
    assert (breaches == []) is passes


def test_a_lifetime_value_below_the_minimum_is_refused(sales_process, sales_rep, make_rule):
    make_rule(sales_process, "Valuable only", min_ltv=Decimal("5000"))
    with pytest.raises(ValidationError) as refusal:
        _open(sales_process, scored(ltv="1200.50"), sales_rep)
    assert refusal.value.messages == [
        "Rule “Valuable only”: the customer's lifetime value is 1,200.50 PLN, the rule asks for "
        "at least 5,000.00 PLN."
    ]
    _nothing_saved()
    assert _open(sales_process, scored(ltv="5000"), sales_rep).pk


def test_the_expected_cost_is_the_average_of_instances_closed_in_the_last_year(
    sales_process, sales_rep, make_rule
):
    _closed(sales_process, "300", by=sales_rep)
    _closed(sales_process, "500", by=sales_rep)
    _closed(sales_process, "90000", days_ago=400, by=sales_rep)  # too long ago to count
    make_rule(sales_process, "Worth the effort", max_cost_to_value_percent=Decimal("10"))
    with pytest.raises(ValidationError) as refusal:
        _open(sales_process, scored(ltv="2000"), sales_rep)
    assert refusal.value.messages == [
        "Rule “Worth the effort”: the cost of 400.00 PLN is 20.00% of the customer's lifetime "
        "value, the rule allows at most 10.00%."
    ]
    assert ProcessInstance.objects.count() == 3
    _open(sales_process, scored(ltv="4000"), sales_rep)  # 400 is 10 % of 4,000: allowed


def test_without_closed_instances_the_first_stage_fixed_cost_is_expected(sales_rep, make_rule):
    definition = ProcessDefinitionFactory(
        kind="custom",
        stages=[("Visit", {"fixed_cost": Decimal("150")}), ("Done", {"outcome": "won"})],
    )
    make_rule(definition, max_cost_to_value_percent=Decimal("5"))
    [breach] = services.decision_rules_check(definition=definition, customer=scored(ltv="1000"))
    assert breach.reasons == [
        "the cost of 150.00 PLN is 15.00% of the customer's lifetime value, the rule allows at "
        "most 5.00%"
    ]
    assert services.decision_rules_check(definition=definition, customer=scored(ltv="3000")) == []


def test_an_amount_below_the_minimum_is_refused(collections_process, finance_clerk, make_rule):
    make_rule(collections_process, "Only above 5,000", min_amount=Decimal("5000"))
    customer = scored()
    with pytest.raises(ValidationError) as refusal:
        _open(collections_process, customer, finance_clerk, amount=Decimal("4999.99"))
    assert refusal.value.messages == [
        "Rule “Only above 5,000”: the amount is 4,999.99 PLN, the rule asks for at least "
        "5,000.00 PLN."
    ]
    with pytest.raises(ValidationError) as refusal:
        _open(collections_process, customer, finance_clerk)
    assert "the process has no amount" in refusal.value.messages[0]
    _nothing_saved()
    assert _open(collections_process, customer, finance_clerk, amount=Decimal("5000")).pk


def test_every_broken_rule_is_listed_in_the_refusal(sales_process, sales_rep, make_rule):
    make_rule(sales_process, "A/B", min_grade="B")
    make_rule(sales_process, "Big deals", min_amount=Decimal("1000"), on_break=APPROVAL)
    make_rule(sales_process, "Valuable", min_ltv=Decimal("100"))  # holds
    with pytest.raises(ValidationError) as refusal:
        _open(sales_process, scored(grade="D"), sales_rep, amount=Decimal("10"))
    assert [message.split("”")[0] for message in refusal.value.messages] == [
        "Rule “A/B",
        "Rule “Big deals",
    ]
    _nothing_saved()


def test_inactive_rules_and_other_processes_rules_are_not_checked(
    sales_process, enterprise_sales, sales_rep, make_rule
):
    rule = make_rule(sales_process, min_grade="A")
    make_rule(enterprise_sales, min_grade="A")
    customer = scored(grade="D")
    assert services.decision_rules_check(definition=sales_process, customer=customer)
    services.decision_rule_set_active(rule=rule, active=False)
    assert services.decision_rules_check(definition=sales_process, customer=customer) == []
    assert _open(sales_process, customer, sales_rep).is_open


# --- Conditions that cannot be evaluated count as broken ------------------------------------


def test_an_unscored_customer_breaks_value_rules_because_it_is_not_scored(
    sales_process, sales_rep, make_rule
):
    make_rule(
        sales_process,
        "Good customers",
        min_grade="C",
        min_ltv=Decimal("1"),
        max_cost_to_value_percent=Decimal("50"),
    )
    with pytest.raises(ValidationError) as refusal:
        _open(sales_process, CustomerFactory(), sales_rep)
    assert refusal.value.messages == [
        "Rule “Good customers”: the customer has not been scored yet."
    ]
    _nothing_saved()
    graded_not = CustomerFactory(scored_at=timezone.now(), ltv=Decimal("100"), ltv_currency="PLN")
    [breach] = services.decision_rules_check(definition=sales_process, customer=graded_not)
    assert breach.reasons == ["the customer has no grade"]


def test_a_customer_without_lifetime_value_has_no_cost_ratio(sales_process, make_rule):
    make_rule(sales_process, max_cost_to_value_percent=Decimal("50"))
    [breach] = services.decision_rules_check(definition=sales_process, customer=scored(ltv="0"))
    assert breach.reasons == [
        "the customer's lifetime value is 0.00 PLN, so the cost cannot be weighed against it"
    ]


def test_values_in_other_currencies_are_converted(sales_process, euro_rates, make_rule):
    make_rule(sales_process, "Valuable", min_ltv=Decimal("5000"))
    make_rule(sales_process, "Big", min_amount=Decimal("4000"))
    make_rule(sales_process, "Cheap", max_cost_to_value_percent=Decimal("1"))
    # 1,200 EUR is 5,160 PLN; 1,000 EUR is 4,300 PLN; the expected 0 PLN is 0 % of anything.
    customer = scored(ltv="1200", currency="EUR")
    assert (
        services.decision_rules_check(
            definition=sales_process, customer=customer, amount=Decimal("1000"), currency="EUR"
        )
        == []
    )
    breaches = services.decision_rules_check(
        definition=sales_process,
        customer=scored(ltv="1100", currency="EUR"),
        amount=Decimal("900"),
        currency="EUR",
    )
    assert [b.message for b in breaches] == [
        "Rule “Big”: the amount is 900.00 EUR, the rule asks for at least 4,000.00 PLN.",
        "Rule “Valuable”: the customer's lifetime value is 1,100.00 EUR, the rule asks for at "
        "least 5,000.00 PLN.",
    ]


def test_the_cost_ratio_converts_the_cost_into_the_customers_value_currency(
    sales_rep, euro_rates, make_rule
):
    definition = ProcessDefinitionFactory(
        kind="custom", stages=[("Visit", {"fixed_cost": Decimal("430")}), ("Done", {})]
    )
    make_rule(definition, max_cost_to_value_percent=Decimal("5"))
    # 430 PLN is 100 EUR: 10 % of 1,000 EUR.
    [breach] = services.decision_rules_check(
        definition=definition, customer=scored(ltv="1000", currency="EUR")
    )
    assert "is 10.00% of the customer's lifetime value" in breach.reasons[0]


def test_without_an_exchange_rate_the_condition_counts_as_broken(
    sales_process, no_rates, make_rule
):
    make_rule(sales_process, min_ltv=Decimal("1"))
    make_rule(sales_process, "Big", min_amount=Decimal("1"))
    breaches = services.decision_rules_check(
        definition=sales_process,
        customer=scored(ltv="99999", currency="EUR"),
        amount=Decimal("99999"),
        currency="EUR",
    )
    assert [b.reasons for b in breaches] == [
        ["no exchange rate links EUR and PLN"],
        ["no exchange rate links PLN and EUR"],
    ]


# --- Approval instead of refusal --------------------------------------------------------------


@pytest.fixture
def held(sales_process, sales_rep, make_rule):
    """An opportunity started despite a rule that asks a manager."""
    make_rule(sales_process, "A/B or ask", min_grade="B", on_break=APPROVAL)
    return _open(sales_process, scored(grade="C"), sales_rep)


def test_a_rule_that_asks_a_manager_opens_the_instance_held_with_the_reasons(
    held, sales_rep, manager
):
    assert held.is_open and held.stage.name == "Lead"
    approval = held.approvals.get()
    assert (approval.action, approval.decision, approval.requested_by) == (
        "start",
        "pending",
        sales_rep,
    )
    assert approval.reason == (
        "Rule “A/B or ask”: the customer is graded C, the rule asks for B or better."
    )
    assert Notification.objects.filter(
        recipient=manager, kind="approval_requested", instance=held
    ).exists()
    assert ProcessInstance.objects.get(pk=held.pk).awaiting_start_approval


def test_a_held_instance_cannot_move(held, sales_process, sales_rep):
    with pytest.raises(ValidationError) as error:
        services.instance_move(
            instance=held, to_stage=stage(sales_process, "Qualified"), by=sales_rep
        )
    assert "waits for a manager's approval" in error.value.messages[0]
    held.refresh_from_db()
    assert held.stage.name == "Lead"
    assert held.transitions.count() == 1


def test_the_board_and_the_page_show_a_held_card_awaiting_approval_without_a_way_to_move_it(
    persona_client, opportunity, held, sales_process, sales_rep
):
    # `opportunity` opened before the rule existed: it moves freely.
    client = persona_client(sales_rep)
    body = client.get(reverse("processes:board", args=[sales_process.pk])).content.decode()
    card = body[body.index(f'id="card-{held.pk}"') :].split("</li>")[0]
    assert "awaiting approval" in card
    assert "data-movable" not in card and "board-move" not in card
    other = body[body.index(f'id="card-{opportunity.pk}"') :].split("</li>")[0]
    assert "awaiting approval" not in other and "data-movable" in other

    response = client.get(held.get_absolute_url())
    body = response.content.decode()
    assert 'id="hold"' in body and "Awaiting a manager's approval." in body
    assert "move_form" not in response.context
    response = client.post(
        reverse("processes:instance_move", args=[held.pk]),
        {"stage": stage(sales_process, "Qualified").pk},
    )
    assert "waits for a manager" in response.context["move_form"].errors["stage"][0]


def test_lists_and_the_customer_page_mark_a_held_instance(persona_client, held, sales_rep):
    client = persona_client(sales_rep)
    for url in (reverse("processes:instance_list"), held.customer.get_absolute_url()):
        body = client.get(url).content.decode()
        row = body[body.index(held.get_absolute_url()) :].split("</tr>")[0].split("</li>")[0]
        assert "awaiting approval" in row, url


def test_approving_the_start_lifts_the_hold(held, sales_process, sales_rep, manager):
    services.approval_approve(approval=held.approvals.get(), by=manager, comment="Strategic")
    assert Notification.objects.filter(
        recipient=sales_rep, kind="approval_decided", instance=held
    ).exists()
    instance = ProcessInstance.objects.get(pk=held.pk)
    assert not instance.awaiting_start_approval
    services.instance_move(
        instance=instance, to_stage=stage(sales_process, "Qualified"), by=sales_rep
    )
    instance.refresh_from_db()
    assert instance.stage.name == "Qualified"


def test_rejecting_the_start_closes_the_instance_as_lost_with_the_comment(held, sales_rep, manager):
    services.approval_reject(approval=held.approvals.get(), by=manager, comment="Not worth it")
    held.refresh_from_db()
    assert (held.outcome, held.outcome_reason, held.stage.name) == ("lost", "Not worth it", "Lost")
    assert Notification.objects.filter(recipient=sales_rep, kind="approval_decided").exists()


def test_rejecting_the_start_closes_into_the_cancelled_stage_before_the_lost_one(
    sales_rep, manager, make_rule
):
    definition = ProcessDefinitionFactory(
        kind="custom",
        stages=[
            ("Contact", {}),
            ("Won", {"outcome": "won"}),
            ("Lost", {"outcome": "lost"}),
            ("Dropped", {"outcome": "cancelled"}),
        ],
    )
    make_rule(definition, min_grade="A", on_break=APPROVAL)
    instance = _open(definition, scored(grade="C"), sales_rep)
    services.approval_reject(approval=instance.approvals.get(), by=manager, comment="No")
    instance.refresh_from_db()
    assert (instance.stage.name, instance.outcome) == ("Dropped", "cancelled")


def test_tickets_obey_the_rules_too(standard_support, service_agent, manager):
    services.decision_rule_create(
        definition=standard_support,
        data={"name": "Scored", "min_grade": "D", "on_break": APPROVAL},
        by=manager,
    )
    ticket = services.ticket_open(
        definition=standard_support,
        customer=CustomerFactory(),
        subject="Jam",
        description="Paper jam",
        priority="normal",
        by=service_agent,
    )
    approval = ticket.instance.approvals.get()
    assert "has not been scored yet" in approval.reason
    services.approval_reject(approval=approval, by=manager, comment="Score them first")
    ticket.instance.refresh_from_db()
    assert (ticket.instance.outcome, ticket.instance.outcome_reason) == (
        "cancelled",
        "Score them first",
    )


def test_four_eyes_still_hold_for_a_held_start(sales_process, manager, make_rule):
    make_rule(sales_process, min_grade="A", on_break=APPROVAL)
    instance = _open(sales_process, scored(grade="B"), manager)
    approval = instance.approvals.get()
    assert not Notification.objects.filter(recipient=manager, kind="approval_requested").exists()
    with pytest.raises(ValidationError):
        services.approval_approve(approval=approval, by=manager)
    with pytest.raises(IntegrityError), transaction.atomic():
        Approval.objects.filter(pk=approval.pk).update(
            decision="approved", decided_by=manager, decided_at=timezone.now()
        )
    services.approval_approve(approval=approval, by=UserFactory(roles=["manager"]))
    assert not ProcessInstance.objects.get(pk=instance.pk).awaiting_start_approval


def test_only_a_held_start_may_come_from_no_one(opportunity):
    with pytest.raises(IntegrityError), transaction.atomic():
        Approval.objects.create(instance=opportunity, action="discount", value=30, reason="x")
    assert Approval.objects.create(instance=opportunity, action="start", reason="job").pk


# --- Hand-started in the browser ------------------------------------------------------------


def test_opening_by_hand_shows_the_refusal_above_the_form_and_saves_nothing(
    persona_client, sales_process, sales_rep, make_rule
):
    make_rule(sales_process, "Only A/B customers", min_grade="B")
    customer = scored(grade="C")
    response = persona_client(sales_rep).post(
        reverse("processes:instance_create", args=[customer.pk]),
        {"definition": sales_process.pk, "title": "Fleet", "owner": sales_rep.pk},
    )
    assert response.status_code == 200
    assert response.context["form"].non_field_errors() == [
        "Rule “Only A/B customers”: the customer is graded C, the rule asks for B or better."
    ]
    assert "the rule asks for B or better" in response.content.decode()
    _nothing_saved()


def test_opening_by_hand_against_an_approval_rule_says_it_is_held(
    persona_client, sales_process, sales_rep, make_rule
):
    make_rule(sales_process, min_grade="B", on_break=APPROVAL)
    customer = scored(grade="C")
    response = persona_client(sales_rep).post(
        reverse("processes:instance_create", args=[customer.pk]),
        {"definition": sales_process.pk, "title": "Fleet", "owner": sales_rep.pk},
        follow=True,
    )
    instance = customer.process_instances.get()
    assert response.redirect_chain[-1][0] == instance.get_absolute_url()
    assert "holds it until a manager approves" in response.content.decode()
    assert instance.approvals.get().is_pending


# --- Job-started: retention campaigns and collections ---------------------------------------


@pytest.fixture
def retention(db):
    return ProcessDefinitionFactory(name="Win-back", kind="retention")


def test_a_retention_campaign_skips_customers_a_rule_refuses_and_counts_them(
    persona_client, sales_rep, retention, make_rule
):
    make_rule(retention, "A or B only", min_grade="B")
    segment = SegmentFactory(name="Key accounts")
    good, poor, unscored = scored(grade="A"), scored(grade="C"), CustomerFactory()
    for customer in (good, poor, unscored):
        customer.segments.add(segment)
    client = persona_client(sales_rep)
    response = client.post(
        reverse("processes:campaign_create"),
        {"name": "Spring", "definition": retention.pk, "segment": segment.pk},
        follow=True,
    )
    campaign = RetentionCampaign.objects.get()
    assert list(campaign.instances.values_list("customer", flat=True)) == [good.pk]
    assert campaign.skipped_by_rules == 2
    assert "Decision rules skipped 2 customers." in response.content.decode()
    body = client.get(reverse("processes:campaign_list")).content.decode()
    row = body[body.index(">Spring</a>") :].split("</tr>")[0]
    assert row.rstrip().endswith('<td class="text-end">2</td>')


def test_a_retention_campaign_holds_customers_a_rule_sends_to_a_manager(
    sales_rep, manager, retention, make_rule
):
    make_rule(retention, "A only, else ask", min_grade="A", on_break=APPROVAL)
    segment = SegmentFactory()
    for customer in (scored(grade="A"), scored(grade="B")):
        customer.segments.add(segment)
    campaign = services.retention_campaign_start(
        name="Renewals", definition=retention, segment=segment, by=sales_rep
    )
    assert campaign.skipped_by_rules == 0
    held = campaign.instances.get(customer__value__grade="B")
    assert held.awaiting_start_approval
    assert held.approvals.get().requested_by == sales_rep
    assert not campaign.instances.get(customer__value__grade="A").awaiting_start_approval


@pytest.fixture
def _grace(settings):
    settings.COLLECTIONS_GRACE_DAYS = 7


def _overdue(customer, amount):
    return InvoiceFactory(
        customer=customer,
        issue_date=TODAY - timedelta(days=60),
        due_date=TODAY - timedelta(days=30),
        amount=Decimal(amount),
    )


def _mail_to(customer):
    return [message for message in mail.outbox if message.to == [customer.email]]


@pytest.mark.usefixtures("_grace")
def test_the_collections_job_skips_and_logs_invoices_a_rule_refuses(
    collections_process, make_rule, caplog
):
    make_rule(collections_process, "Only above 5,000", min_amount=Decimal("5000"))
    customer = scored()
    small, large = _overdue(customer, "800"), _overdue(customer, "6000")
    with caplog.at_level(logging.INFO, logger="processes.services"):
        opened = services.collection_cases_open_overdue(today=TODAY)
    assert [case.invoice for case in opened] == [large]
    assert not CollectionCase.objects.filter(invoice=small).exists()
    assert f"No collection case for invoice {small.number}" in caplog.text
    assert "the amount is 800.00 PLN" in caplog.text


@pytest.mark.usefixtures("_grace")
def test_a_held_collection_case_waits_for_a_manager_before_it_emails_the_customer(
    collections_process, make_rule, manager
):
    make_rule(collections_process, "Big debts", min_amount=Decimal("5000"), on_break=APPROVAL)
    customer = scored()
    invoice = _overdue(customer, "800")
    [case] = services.collection_cases_open_overdue(today=TODAY)
    approval = case.instance.approvals.get()
    assert (approval.action, approval.requested_by, approval.is_pending) == ("start", None, True)
    assert "the amount is 800.00 PLN" in approval.reason
    assert Notification.objects.filter(recipient=manager, kind="approval_requested").exists()
    assert _mail_to(customer) == []  # no reminder while the case is held
    assert services.collection_cases_open_overdue(today=TODAY) == []  # one case per invoice

    services.approval_approve(approval=approval, by=manager)
    (reminder,) = _mail_to(customer)
    assert invoice.number in reminder.subject
    assert not ProcessInstance.objects.get(pk=case.pk).awaiting_start_approval


@pytest.mark.usefixtures("_grace")
def test_rejecting_a_held_collection_case_closes_it_without_writing_the_debt_off(
    collections_process, make_rule, manager
):
    make_rule(collections_process, min_amount=Decimal("5000"), on_break=APPROVAL)
    customer = scored()
    invoice = _overdue(customer, "800")
    [case] = services.collection_cases_open_overdue(today=TODAY)
    services.approval_reject(
        approval=case.instance.approvals.get(), by=manager, comment="Too small to chase"
    )
    case.instance.refresh_from_db()
    invoice.refresh_from_db()
    # The factory's collections process has no cancelled stage: it closes as lost.
    assert (case.instance.outcome, case.instance.outcome_reason) == ("lost", "Too small to chase")
    assert invoice.written_off_at is None
    assert _mail_to(customer) == []


@pytest.mark.usefixtures("_grace")
def test_a_paid_invoice_does_not_settle_a_held_case_before_the_decision(
    collections_process, make_rule
):
    from tests.factories import PaymentFactory

    make_rule(collections_process, min_amount=Decimal("5000"), on_break=APPROVAL)
    invoice = _overdue(scored(), "800")
    [case] = services.collection_cases_open_overdue(today=TODAY)
    PaymentFactory(invoice=invoice)
    assert services.collection_cases_settle_paid() == 0
    case.instance.refresh_from_db()
    assert case.instance.is_open


def test_opening_a_collection_case_by_hand_shows_the_refusal(
    persona_client, finance_clerk, collections_process, make_rule
):
    make_rule(collections_process, "Only above 5,000", min_amount=Decimal("5000"))
    invoice = _overdue(scored(), "800")
    response = persona_client(finance_clerk).post(
        reverse("processes:collection_case_open", args=[invoice.pk]), follow=True
    )
    assert response.status_code == 200
    assert "the amount is 800.00 PLN, the rule asks for at least 5,000.00 PLN" in (
        response.content.decode()
    )
    assert not CollectionCase.objects.exists()


# --- Managers edit the rules in the browser -------------------------------------------------


@pytest.fixture
def rule(sales_process, make_rule):
    return make_rule(sales_process, "Only A/B customers", min_grade="B")


RULE_PAGES = [
    ("processes:decision_rule_list", None),
    ("processes:decision_rule_create", "definition"),
    ("processes:decision_rule_edit", "rule"),
]
RULE_POSTS = [
    ("processes:decision_rule_activate", "rule"),
    ("processes:decision_rule_deactivate", "rule"),
]
MANAGERS = {"manager", "admin_user"}
PERSONAS = ["sales_rep", "service_agent", "finance_clerk", "manager", "outsider", "admin_user"]


def _rule_url(name, target, rule):
    args = {None: [], "definition": [rule.definition_id], "rule": [rule.pk]}[target]
    return reverse(name, args=args)


@pytest.mark.parametrize(("name", "target"), RULE_PAGES + RULE_POSTS)
def test_anonymous_users_are_sent_to_log_in_from_the_rule_pages(client, rule, name, target):
    url = _rule_url(name, target, rule)
    response = client.post(url) if (name, target) in RULE_POSTS else client.get(url)
    assert response.status_code == 302
    assert response.url.startswith(reverse("login"))


@pytest.mark.parametrize("persona", PERSONAS)
@pytest.mark.parametrize(("name", "target"), RULE_PAGES)
def test_only_managers_reach_the_rule_pages(request, client, rule, persona, name, target):
    client.force_login(request.getfixturevalue(persona))
    response = client.get(_rule_url(name, target, rule))
    assert response.status_code == (200 if persona in MANAGERS else 403)


@pytest.mark.parametrize("persona", PERSONAS)
@pytest.mark.parametrize(("name", "target"), RULE_POSTS)
def test_only_managers_switch_rules_on_and_off(request, client, rule, persona, name, target):
    client.force_login(request.getfixturevalue(persona))
    response = client.post(_rule_url(name, target, rule))
    rule.refresh_from_db()
    if persona in MANAGERS:
        assert response.status_code == 302
        assert rule.active is (name == "processes:decision_rule_activate")
    else:
        assert response.status_code == 403
        assert rule.active


@pytest.mark.parametrize(("name", "target"), RULE_POSTS)
def test_switching_a_rule_refuses_get(client, manager, rule, name, target):
    client.force_login(manager)
    assert client.get(_rule_url(name, target, rule)).status_code == 405
    rule.refresh_from_db()
    assert rule.active


def test_a_manager_adds_a_rule_in_the_browser(persona_client, manager, collections_process):
    response = persona_client(manager).post(
        reverse("processes:decision_rule_create", args=[collections_process.pk]),
        {
            "name": "Legal only above 5,000",
            "min_grade": "",
            "min_amount": "5000",
            "on_break": "approval",
            "active": "on",
        },
    )
    rule = DecisionRule.objects.get()
    assert response.url == (
        f"{reverse('processes:decision_rule_list')}#definition-{collections_process.pk}"
    )
    assert (rule.definition, rule.created_by, rule.min_amount, rule.on_break, rule.active) == (
        collections_process,
        manager,
        Decimal("5000"),
        "approval",
        True,
    )
    assert rule.min_ltv is None and rule.max_cost_to_value_percent is None


def test_a_rule_without_a_condition_is_refused_above_the_form(
    persona_client, manager, sales_process
):
    response = persona_client(manager).post(
        reverse("processes:decision_rule_create", args=[sales_process.pk]),
        {"name": "Empty", "on_break": "refuse", "active": "on"},
    )
    assert response.status_code == 200
    assert response.context["form"].non_field_errors() == ["Set at least one condition."]
    assert "Set at least one condition." in response.content.decode()
    assert not DecisionRule.objects.exists()


def test_bad_rule_values_are_shown_beside_their_fields(persona_client, manager, rule):
    response = persona_client(manager).post(
        reverse("processes:decision_rule_create", args=[rule.definition_id]),
        {
            "name": rule.name,
            "min_grade": "E",
            "min_ltv": "-1",
            "max_cost_to_value_percent": "0",
            "min_amount": "-5",
            "on_break": "maybe",
        },
    )
    errors = response.context["form"].errors
    assert set(errors) == {
        "name",
        "min_grade",
        "min_ltv",
        "max_cost_to_value_percent",
        "min_amount",
        "on_break",
    }
    assert errors["name"] == ["Another rule of this process has this name."]
    assert DecisionRule.objects.count() == 1


def test_a_manager_edits_a_rule(persona_client, manager, rule, sales_process, sales_rep):
    client = persona_client(manager)
    url = reverse("processes:decision_rule_edit", args=[rule.pk])
    assert client.get(url).context["form"].initial["min_grade"] == "B"
    response = client.post(
        url, {"name": "Only A customers", "min_grade": "A", "on_break": "approval", "active": "on"}
    )
    assert response.status_code == 302
    rule.refresh_from_db()
    assert (rule.name, rule.min_grade, rule.on_break) == ("Only A customers", "A", "approval")
    instance = _open(sales_process, scored(grade="B"), sales_rep)
    assert instance.awaiting_start_approval


def test_the_database_refuses_rules_that_make_no_sense(sales_process, manager):
    base = {"definition": sales_process, "name": "x", "created_by": manager}
    for bad in (
        {},  # no condition
        {"max_cost_to_value_percent": Decimal("0")},
        {"min_amount": Decimal("-1")},
        {"min_ltv": Decimal("-1")},
        {"min_grade": "E"},
        {"min_grade": "A", "on_break": "shrug"},
    ):
        with pytest.raises(IntegrityError), transaction.atomic():
            DecisionRule.objects.create(**base, **bad)
    assert not DecisionRule.objects.exists()


def test_the_rules_page_lists_each_process_with_its_rules(
    persona_client, manager, sales_process, collections_process, make_rule
):
    make_rule(sales_process, "Only A/B customers", min_grade="B")
    make_rule(
        collections_process,
        "Big debts",
        min_amount=Decimal("5000"),
        max_cost_to_value_percent=Decimal("12.5"),
        on_break=APPROVAL,
    )
    body = persona_client(manager).get(reverse("processes:decision_rule_list")).content.decode()
    collections = body[body.index(f'id="definition-{collections_process.pk}"') :]
    assert "Big debts" in collections
    assert "cost at most 12.50% of the lifetime value; amount at least 5,000.00 PLN" in collections
    assert "Ask a manager" in collections
    sales = body[body.index(f'id="definition-{sales_process.pk}"') :].split("</section>")[0]
    assert "grade B or better" in sales and "Big debts" not in sales


@pytest.mark.parametrize("rules", [1, 12])
def test_the_rules_page_query_count_does_not_grow(
    persona_client, manager, make_rule, django_assert_max_num_queries, rules
):
    for i in range(rules):
        make_rule(ProcessDefinitionFactory(), f"Rule {i}", min_grade="B")
    client = persona_client(manager)
    # Session, user, roles, definitions, their rules (with who created them).
    with django_assert_max_num_queries(6):  # + the bell's unread count
        response = client.get(reverse("processes:decision_rule_list"))
    assert response.content.decode().count("grade B or better") == rules


def test_managers_find_the_rules_page_from_the_menu_and_the_overview(
    persona_client, manager, sales_rep
):
    link = reverse("processes:decision_rule_list")
    assert link in persona_client(manager).get(reverse("processes:overview")).content.decode()
    assert link in persona_client(manager).get(reverse("processes:task_list")).content.decode()
    assert link not in persona_client(sales_rep).get(reverse("processes:overview")).content.decode()


# --- The instance page: cost against value --------------------------------------------------


def _panel(response):
    body = response.content.decode()
    return body[body.index('id="cost-value"') :].split("</div>\n</div>")[0]


def test_the_instance_page_weighs_the_cost_so_far_against_the_customers_value(
    persona_client, sales_process, sales_rep, make_rule
):
    customer = scored(grade="B", ltv="2000", payment_reliability=Decimal("87"))
    instance = _open(sales_process, customer, sales_rep)
    services.instance_log_work(instance=instance, user=sales_rep, minutes=60)  # 120 PLN
    make_rule(sales_process, "Cheap", max_cost_to_value_percent=Decimal("5"))
    make_rule(sales_process, "Generous", max_cost_to_value_percent=Decimal("50"))
    response = persona_client(sales_rep).get(instance.get_absolute_url())
    panel = _panel(response)
    assert "120.00 PLN" in panel
    assert "text-bg-primary grade-badge" in panel and ">B</span>" in panel
    assert "2,000.00 PLN" in panel
    assert "87%" in panel
    assert "6.00%" in panel and "text-bg-danger" in panel
    assert "Above the 5% that rule “Cheap” allows." in panel
    assert "Generous" not in panel
    assert response.context["value"]["exceeded"] == [("Cheap", Decimal("5.00"))]


def test_within_the_limits_the_ratio_is_not_highlighted(
    persona_client, opportunity, sales_process, sales_rep, make_rule
):
    CustomerValue.objects.filter(pk=opportunity.customer_id).update(
        grade="A", ltv=Decimal("1000"), ltv_currency="PLN", scored_at=timezone.now()
    )
    services.instance_log_work(instance=opportunity, user=sales_rep, minutes=30)  # 60 PLN
    make_rule(sales_process, max_cost_to_value_percent=Decimal("10"))
    panel = _panel(persona_client(sales_rep).get(opportunity.get_absolute_url()))
    assert "6.00%" in panel
    assert "text-bg-danger" not in panel
    assert "Within the rules (at most 10%)." in panel


def test_the_instance_page_says_why_the_ratio_cannot_be_computed(
    persona_client, sales_process, sales_rep, no_rates
):
    client = persona_client(sales_rep)
    unscored = _open(sales_process, CustomerFactory(), sales_rep)
    panel = _panel(client.get(unscored.get_absolute_url()))
    assert "Not scored yet" in panel and "The customer has not been scored yet" in panel
    in_euro = _open(sales_process, scored(ltv="500", currency="EUR"), sales_rep)
    panel = _panel(client.get(in_euro.get_absolute_url()))
    assert "500.00 EUR" in panel and "No exchange rate links PLN and EUR" in panel


@pytest.mark.parametrize("rows", [1, 10])
def test_instance_page_query_count_does_not_grow(
    persona_client, sales_process, sales_rep, make_rule, django_assert_max_num_queries, rows
):
    instance = _open(sales_process, scored(grade="B", ltv="100"), sales_rep)
    for i in range(rows):
        make_rule(sales_process, f"Limit {i}", max_cost_to_value_percent=Decimal(i + 1))
        services.instance_log_work(instance=instance, user=sales_rep, minutes=10 + i)
        services.task_create(
            customer=instance.customer,
            instance=instance,
            title=f"Call {i}",
            assignee=sales_rep,
            due_on=TODAY,
            by=sales_rep,
        )
    client = persona_client(sales_rep)
    # Session, user, roles, instance, approvals, transitions, work, tasks, the rules' limits,
    # the move form's stages.
    with django_assert_max_num_queries(11):  # + the bell's unread count
        response = client.get(instance.get_absolute_url())
    assert len(response.context["value"]["exceeded"]) == rows


def test_an_admin_adds_a_rule_in_django_admin(admin_client, admin_user, sales_process):
    response = admin_client.post(
        reverse("admin:processes_decisionrule_add"),
        {
            "definition": sales_process.pk,
            "name": "A only",
            "active": "on",
            "min_grade": "A",
            "on_break": "refuse",
        },
    )
    assert response.status_code == 302
    rule = DecisionRule.objects.get()
    assert (rule.name, rule.created_by) == ("A only", admin_user)
    assert admin_client.get(reverse("admin:processes_decisionrule_changelist")).status_code == 200


def test_the_preview_counts_the_customers_a_rule_as_typed_admits_today_and_saves_nothing(
    client, manager, sales_process
):
    scored(grade="A", ltv="50000")
    scored(grade="B", ltv="20000")
    scored(grade="C", ltv="90000")
    CustomerFactory(scored_at=None)  # not scored: no grade condition can admit it
    client.force_login(manager)
    url = reverse("processes:decision_rule_create", args=[sales_process.pk])
    form = {"name": "Good ones", "min_grade": "B", "on_break": "refuse", "active": "on"}

    response = client.post(url, {**form, "preview": "1"})

    assert response.status_code == 200
    assert response.context["preview"].admitted == 2
    assert response.context["preview"].customers == 4
    assert "for <strong>2</strong> of 4 customers" in response.content.decode()
    assert not DecisionRule.objects.exists()

    response = client.post(url, {**form, "min_ltv": "30000", "preview": "1"})
    assert response.context["preview"].admitted == 1  # A with 50,000 PLN

    assert client.post(url, form).status_code == 302
    assert DecisionRule.objects.filter(name="Good ones").exists()


def test_the_preview_admits_exactly_the_customers_the_rule_lets_start(make_rule, sales_process):
    from processes.selectors import decision_rule_preview

    stage = sales_process.first_stage()
    stage.fixed_cost = Decimal("100")
    stage.save()
    customers = [
        scored(grade=grade, ltv=ltv)
        for grade, ltv in [
            ("A", "500"),
            ("A", "2000"),
            ("B", "999.99"),
            ("B", "1000"),
            ("C", "5000"),
            ("B", "0"),
        ]
    ] + [CustomerFactory(scored_at=None)]
    rule = make_rule(sales_process, "Cheap enough", max_cost_to_value_percent=Decimal("10"))

    admitted = [
        customer
        for customer in customers
        if not services.decision_rules_check(definition=sales_process, customer=customer)
    ]

    # 2,000, 1,000, 5,000 and 999.99 (10.0001 %, which the rule rounds to 10.00 %)
    assert decision_rule_preview(rule).admitted == len(admitted) == 4


def test_a_rule_only_on_the_amount_admits_every_customer_in_the_preview(sales_process):
    from processes.selectors import decision_rule_preview

    scored(grade="D", ltv="1")
    CustomerFactory(scored_at=None)
    rule = DecisionRule(definition=sales_process, name="Big", min_amount=Decimal("5000"))

    preview = decision_rule_preview(rule)

    assert (preview.admitted, preview.customers, preview.amount_condition) == (2, 2, True)
