"""The engine: instances open in the first working stage, every move is logged, only allowed
moves happen, terminal stages close the instance for good, and cost accrues."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from processes import services
from processes.models import ProcessInstance, Stage, StageTransition
from tests.factories import CustomerFactory, ProcessDefinitionFactory

from .conftest import stage

pytestmark = pytest.mark.django_db


def test_opening_logs_an_opening_transition_in_the_first_working_stage(opportunity, sales_rep):
    assert opportunity.stage.name == "Lead"
    (opening,) = opportunity.transitions.all()
    assert opening.from_stage is None
    assert opening.to_stage.name == "Lead"
    assert opening.by == sales_rep
    assert opportunity.stage_due_at == opportunity.stage_entered_at + timedelta(hours=48)


def test_every_move_is_logged_with_from_to_when_and_who(opportunity, sales_process, manager):
    services.instance_move(
        instance=opportunity, to_stage=stage(sales_process, "Proposal"), by=manager
    )
    services.instance_move(
        instance=opportunity, to_stage=stage(sales_process, "Qualified"), by=manager
    )
    moves = list(
        opportunity.transitions.order_by("at", "id").values_list(
            "from_stage__name", "to_stage__name", "by__username"
        )
    )
    assert moves == [
        (None, "Lead", "sally_sales"),
        ("Lead", "Proposal", "mike_manager"),
        ("Proposal", "Qualified", "mike_manager"),
    ]
    opportunity.refresh_from_db()
    assert opportunity.stage.name == "Qualified"
    assert opportunity.is_open


def test_a_stage_of_another_definition_is_refused(opportunity, enterprise_sales, sales_rep):
    with pytest.raises(ValidationError):
        services.instance_move(
            instance=opportunity, to_stage=stage(enterprise_sales, "Qualified"), by=sales_rep
        )
    assert opportunity.transitions.count() == 1


def test_moving_to_the_current_stage_is_refused(opportunity, sales_process, sales_rep):
    with pytest.raises(ValidationError):
        services.instance_move(instance=opportunity, to_stage=opportunity.stage, by=sales_rep)


def test_winning_needs_a_reason_and_closes_the_instance(opportunity, sales_process, sales_rep):
    won = stage(sales_process, "Won")
    with pytest.raises(ValidationError):
        services.instance_move(instance=opportunity, to_stage=won, by=sales_rep, reason="  ")
    opportunity.refresh_from_db()
    assert opportunity.is_open

    services.instance_move(instance=opportunity, to_stage=won, by=sales_rep, reason="Best price")
    opportunity.refresh_from_db()
    assert opportunity.outcome == Stage.Outcome.WON
    assert opportunity.outcome_reason == "Best price"
    assert opportunity.closed_at is not None
    assert opportunity.stage_due_at is None


def test_a_closed_instance_cannot_be_reopened(opportunity, sales_process, sales_rep):
    services.instance_move(
        instance=opportunity, to_stage=stage(sales_process, "Lost"), by=sales_rep, reason="Price"
    )
    for name in ("Lead", "Won"):
        with pytest.raises(ValidationError):
            services.instance_move(
                instance=opportunity, to_stage=stage(sales_process, name), by=sales_rep, reason="x"
            )
    opportunity.refresh_from_db()
    assert opportunity.outcome == "lost"
    assert opportunity.transitions.count() == 2


def test_cost_accrues_from_work_and_fixed_stage_costs(opportunity, sales_process, sales_rep):
    services.instance_log_work(instance=opportunity, user=sales_rep, minutes=30, note="Call")
    services.instance_move(
        instance=opportunity, to_stage=stage(sales_process, "Proposal"), by=sales_rep
    )
    opportunity.refresh_from_db()
    # 30 min x 120 PLN/h = 60 PLN, plus the proposal stage's fixed 50 PLN.
    assert opportunity.accrued_cost == Decimal("110.00")
    assert opportunity.work.get().cost == Decimal("60.00")


def test_work_must_be_a_positive_number_of_minutes(opportunity, sales_rep):
    with pytest.raises(ValidationError):
        services.instance_log_work(instance=opportunity, user=sales_rep, minutes=0)
    opportunity.refresh_from_db()
    assert opportunity.accrued_cost == 0


def test_a_definition_has_at_most_eight_stages(db):
    definition = ProcessDefinitionFactory(
        stages=[(f"S{i}", {}) for i in range(1, 8)] + [("Done", {"outcome": "won"})]
    )
    ninth = Stage(definition=definition, position=8, name="Ninth")
    with pytest.raises(ValidationError):
        ninth.full_clean()
    with pytest.raises(IntegrityError), transaction.atomic():
        Stage.objects.create(definition=definition, position=9, name="Ninth")


def test_several_variants_of_a_kind_run_side_by_side(sales_process, enterprise_sales, sales_rep):
    customer = CustomerFactory()
    smb = services.instance_open(
        definition=sales_process, customer=customer, title="SMB deal", by=sales_rep
    )
    big = services.instance_open(
        definition=enterprise_sales, customer=customer, title="Enterprise deal", by=sales_rep
    )
    assert smb.stage.definition == sales_process
    assert big.stage.definition == enterprise_sales


def test_an_inactive_definition_opens_nothing(sales_process, customer, sales_rep):
    sales_process.active = False
    sales_process.save()
    with pytest.raises(ValidationError):
        services.instance_open(definition=sales_process, customer=customer, title="x", by=sales_rep)
    assert not ProcessInstance.objects.exists()


def test_the_database_refuses_a_closed_instance_without_an_outcome(opportunity):
    with pytest.raises(IntegrityError), transaction.atomic():
        ProcessInstance.objects.filter(pk=opportunity.pk).update(closed_at=opportunity.opened_at)
    assert StageTransition.objects.count() == 1


def test_weighted_amount_uses_the_stage_probability_and_discount(opportunity, sales_process):
    opportunity.discount_percent = Decimal("10")
    assert opportunity.net_amount == Decimal("9000.00")
    assert opportunity.weighted_amount == Decimal("900.00")  # Lead: 10 %
