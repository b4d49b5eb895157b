"""The task outbox: queued work is saved with the write, survives a broker outage and is sent
once the broker is back (issue 13, "writes that queue background work save it durably first")."""

import threading
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.db import connection, transaction
from django.urls import reverse
from django.utils import timezone

from analytics.models import ScoringParameters
from core import outbox
from core.models import OutboxMessage
from relationships import services as relationship_services
from relationships.models import Payment
from tests import servers
from tests.factories import CustomerFactory, InvoiceFactory


def closed_port_url():
    return f"redis://127.0.0.1:{servers.spare_port()}/0"


def unsent(task):
    return list(OutboxMessage.objects.pending().filter(task=task).values_list("args", flat=True))


def register_payment(invoice, clerk):
    return relationship_services.payment_register(
        invoice=invoice,
        amount=invoice.amount,
        currency=invoice.currency,
        paid_on=timezone.localdate(),
        method=Payment.Method.BANK_TRANSFER,
        by=clerk,
    )


@pytest.mark.django_db
def test_queued_work_is_saved_with_the_write_and_gone_with_its_rollback(finance_clerk):
    invoice = InvoiceFactory(amount=Decimal("500.00"))
    OutboxMessage.objects.all().delete()
    with pytest.raises(RuntimeError), transaction.atomic():
        register_payment(invoice, finance_clerk)
        # The payment and its invoice's paid amount: each saved row asks for the rescoring.
        assert {*map(tuple, unsent("analytics.tasks.rescore_customer"))} == {(invoice.customer_id,)}
        raise RuntimeError("the request failed after the payment")
    assert not OutboxMessage.objects.exists()


@pytest.mark.django_db
def test_queued_work_runs_once_the_write_commits(finance_clerk, django_capture_on_commit_callbacks):
    invoice = InvoiceFactory(amount=Decimal("500.00"))
    OutboxMessage.objects.all().delete()  # the factory's, whose commit a test never sees
    with django_capture_on_commit_callbacks(execute=True):
        register_payment(invoice, finance_clerk)
    invoice.customer.refresh_from_db()
    assert invoice.customer.ltv == Decimal("500.00")
    assert unsent("analytics.tasks.rescore_customer") == []
    assert OutboxMessage.objects.filter(task="analytics.tasks.rescore_customer").exists()


@pytest.mark.django_db
def test_with_the_broker_away_the_work_waits_and_is_sent_once_the_broker_is_back(
    finance_clerk, redis_server, broker_at, django_capture_on_commit_callbacks
):
    invoice = InvoiceFactory(amount=Decimal("500.00"))
    OutboxMessage.objects.all().delete()
    redis_server.stop()
    with broker_at(redis_server.url):
        with django_capture_on_commit_callbacks(execute=True):
            register_payment(invoice, finance_clerk)  # does not raise
        waiting = list(OutboxMessage.objects.pending())
        assert waiting and {m.args[0] for m in waiting} == {invoice.customer_id}
        assert all(m.attempts == 1 for m in waiting)
        assert "Connection refused" in waiting[0].last_error
        assert outbox.drain()["sent"] == 0  # still away

        redis_server.start()
        sent = len(waiting)
        assert outbox.drain() == {"sent": sent, "failed": 0, "pruned": 0, "unsent": 0}
    assert redis_server.command("LLEN", "celery").strip() == f":{sent}"  # really queued


@pytest.mark.django_db
def test_saving_the_scoring_parameters_with_the_broker_away_saves_and_keeps_the_rescoring(
    persona_client, manager, broker_at, django_capture_on_commit_callbacks
):
    current = ScoringParameters.objects.current()
    form = {
        name: getattr(current, name)
        for name in [
            "ltv_horizon_months",
            "annual_discount_rate",
            "late_tolerance_days",
            "overdue_penalty",
            "grade_a_min_ltv",
            "grade_a_min_reliability",
            "grade_b_min_ltv",
            "grade_b_min_reliability",
            "grade_c_min_ltv",
            "grade_c_min_reliability",
        ]
    }
    form.update(base_currency="PLN", exchange_rates="EUR 4.3", note="During an outage")
    with broker_at(closed_port_url()), django_capture_on_commit_callbacks(execute=True):
        response = persona_client(manager).post(reverse("analytics:scoring_parameters_edit"), form)
    assert response.status_code == 302
    assert ScoringParameters.objects.current().version == current.version + 1
    assert unsent("analytics.tasks.score_all_customers") == [[]]


@pytest.mark.django_db
def test_work_queued_once_is_not_queued_again_within_its_window(
    django_capture_on_commit_callbacks, broker_at
):
    with broker_at(closed_port_url()), django_capture_on_commit_callbacks(execute=True):
        first = outbox.enqueue_once("analytics.tasks.refresh_report_snapshots", key="k", within=60)
        again = outbox.enqueue_once("analytics.tasks.refresh_report_snapshots", key="k", within=60)
    assert first is not None and again is None
    OutboxMessage.objects.filter(pk=first.pk).update(sent_at=timezone.now())
    task = "analytics.tasks.refresh_report_snapshots"
    assert outbox.enqueue_once(task, key="k", within=60) is None
    OutboxMessage.objects.filter(pk=first.pk).update(
        created_at=timezone.now() - timezone.timedelta(seconds=61)
    )
    assert outbox.enqueue_once(task, key="k", within=60)


@pytest.mark.django_db
def test_the_drain_command_sends_what_waits(redis_server, broker_at):
    customer = CustomerFactory()
    OutboxMessage.objects.all().delete()
    OutboxMessage.objects.create(task="analytics.tasks.rescore_customer", args=[customer.pk])
    with broker_at(redis_server.url):
        out = __import__("io").StringIO()
        call_command("drain_outbox", stdout=out)
    assert out.getvalue().strip() == "1 sent, 0 unsent left."
    assert redis_server.command("LLEN", "celery").strip() == ":1"


@pytest.mark.django_db(transaction=True)
def test_two_drainers_never_claim_the_same_message():
    if connection.vendor != "postgresql":
        pytest.skip("Row locks that skip locked rows are PostgreSQL's.")
    OutboxMessage.objects.bulk_create(
        OutboxMessage(task="analytics.tasks.rescore_customer", args=[n]) for n in range(4)
    )
    locked = threading.Event()
    release = threading.Event()

    def other_drainer():
        with transaction.atomic():
            rows = OutboxMessage.objects.order_by("id").select_for_update()[:2]
            assert len(list(rows)) == 2
            locked.set()
            release.wait(10)
        connection.close()

    thread = threading.Thread(target=other_drainer)
    thread.start()
    try:
        assert locked.wait(10)
        claimed = outbox._claim(10)  # does not wait for the other drainer's rows
    finally:
        release.set()
        thread.join()
    assert sorted(m.args[0] for m in claimed) == [2, 3]
    # Once the other drainer lets go, its rows are free; claimed ones are leased, not handed
    # out twice.
    assert sorted(m.args[0] for m in outbox._claim(10)) == [0, 1]
    assert outbox._claim(10) == []
