"""The nightly job: every customer, history only on change, idempotent, one run at a time, and
a single customer rescored once a payment, invoice, payout or interaction commits."""

import threading
import time
from datetime import date, timedelta
from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.utils import timezone

from analytics import scoring, scoring_sql
from analytics.models import CustomerScore, ScoringParameters, ScoringRun
from core.permissions import FINANCE
from customers.models import Customer, CustomerValue
from relationships import services as relationship_services
from relationships.models import Payment
from tests.factories import (
    CustomerFactory,
    InteractionFactory,
    InvoiceFactory,
    PaymentFactory,
    UserFactory,
)

from .conftest import AS_OF

pytestmark = pytest.mark.django_db


def paying_customer(amount="20000.00", paid_on=date(2026, 3, 1)):
    customer = CustomerFactory()
    invoice = InvoiceFactory(
        customer=customer,
        amount=Decimal(amount),
        issue_date=date(2026, 2, 1),
        due_date=date(2026, 3, 1),
    )
    PaymentFactory(invoice=invoice, paid_on=paid_on)
    return customer


def test_the_nightly_run_scores_every_customer_in_batches(params):
    customers = [paying_customer() for _ in range(5)] + [CustomerFactory() for _ in range(2)]
    seen = []
    run = scoring.score_all_customers(as_of=AS_OF, batch_size=2, progress=seen.append)
    assert run.status == ScoringRun.Status.DONE
    assert (run.total, run.scored, run.changed) == (7, 7, 7)
    assert len(seen) == 4  # batches of 2, 2, 2 and 1
    assert CustomerScore.objects.current().count() == 7
    customers[0].refresh_from_db()
    assert customers[0].grade == "B"
    assert customers[0].ltv == Decimal("20000.00")
    assert customers[0].ltv_currency == "PLN"


def test_running_twice_over_the_same_data_changes_nothing(params):
    paying_customer()
    CustomerFactory()
    scoring.score_all_customers(as_of=AS_OF)
    before = list(CustomerScore.objects.values_list("pk", "ltv", "grade", "is_current"))
    again = scoring.score_all_customers(as_of=AS_OF)
    assert again.changed == 0
    assert list(CustomerScore.objects.values_list("pk", "ltv", "grade", "is_current")) == before


def test_a_change_adds_a_snapshot_and_keeps_the_old_one_as_history(params):
    customer = paying_customer(amount="5000.00")
    scoring.score_all_customers(as_of=AS_OF)
    later = InvoiceFactory(
        customer=customer,
        amount=Decimal("10000.00"),
        issue_date=date(2026, 4, 1),
        due_date=date(2026, 4, 15),
    )
    PaymentFactory(invoice=later, paid_on=date(2026, 4, 10))
    run = scoring.score_all_customers(as_of=AS_OF)
    assert run.changed == 1
    history = list(CustomerScore.objects.filter(customer=customer).order_by("computed_at", "id"))
    assert [(s.grade, s.ltv, s.is_current) for s in history] == [
        ("C", Decimal("5000.00"), False),
        ("B", Decimal("15000.00"), True),
    ]


def test_a_second_run_while_one_is_running_is_refused(params):
    ScoringRun.objects.create(parameters=params, as_of=AS_OF)
    with pytest.raises(scoring.AlreadyRunning):
        scoring.score_all_customers(as_of=AS_OF)
    assert ScoringRun.objects.count() == 1


def test_another_tasks_run_still_refuses_a_redelivered_task(params):
    ScoringRun.objects.create(parameters=params, as_of=AS_OF, task_id="nightly-task")
    with pytest.raises(scoring.AlreadyRunning):
        scoring.score_all_customers(as_of=AS_OF, task_id="rescore-after-new-parameters")
    assert ScoringRun.objects.get().status == ScoringRun.Status.RUNNING


def test_a_task_delivered_again_takes_over_the_run_its_dead_worker_left(params):
    # acks_late: a worker killed mid-run leaves its run RUNNING, fresh, and the broker hands
    # the same task (same id) to another worker, which must not take its own run for a rival.
    left = ScoringRun.objects.create(parameters=params, as_of=AS_OF, task_id="task-1")
    run = scoring.score_all_customers(as_of=AS_OF, task_id="task-1")
    assert run.status == ScoringRun.Status.DONE
    assert run.task_id == "task-1"
    left.refresh_from_db()
    assert left.status == ScoringRun.Status.FAILED
    assert "delivered again" in left.error


def test_a_run_that_stopped_making_progress_no_longer_blocks(params):
    an_hour_ago = timezone.now() - timedelta(hours=1, minutes=1)
    dead = ScoringRun.objects.create(parameters=params, as_of=AS_OF, heartbeat_at=an_hour_ago)
    run = scoring.score_all_customers(as_of=AS_OF)
    assert run.status == ScoringRun.Status.DONE
    dead.refresh_from_db()
    assert dead.status == ScoringRun.Status.FAILED and "Abandoned" in dead.error


def break_the_writes(monkeypatch):
    """Every write of scores fails: PostgreSQL's (in SQL) and the Python path's."""

    def broken(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(scoring, "_write", broken)
    monkeypatch.setattr(scoring_sql, "write_changed", broken)


def test_a_failing_run_is_recorded_and_releases_the_lock(params, monkeypatch):
    CustomerFactory()
    break_the_writes(monkeypatch)
    with pytest.raises(RuntimeError):
        scoring.score_all_customers(as_of=AS_OF)
    run = ScoringRun.objects.get()
    assert run.status == ScoringRun.Status.FAILED and "disk full" in run.error
    monkeypatch.undo()
    assert scoring.score_all_customers(as_of=AS_OF).status == ScoringRun.Status.DONE


@pytest.mark.django_db(transaction=True)
def test_a_run_started_while_another_is_mid_way_is_refused(transactional_db):
    if connection.vendor != "postgresql":
        pytest.skip("Two connections writing at once need PostgreSQL (CI's database).")
    for _ in range(3):
        paying_customer()
    holding, tried = threading.Event(), threading.Event()
    outcome = {}

    def pause_after_first_batch(run):
        holding.set()
        tried.wait(timeout=20)

    def first_run():
        try:
            outcome["first"] = scoring.score_all_customers(
                as_of=AS_OF, batch_size=1, progress=pause_after_first_batch
            ).status
        finally:
            connection.close()

    thread = threading.Thread(target=first_run)
    thread.start()
    assert holding.wait(timeout=20)
    try:
        with pytest.raises(scoring.AlreadyRunning):
            scoring.score_all_customers(as_of=AS_OF)
    finally:
        tried.set()
        thread.join()
    assert outcome["first"] == ScoringRun.Status.DONE
    assert CustomerScore.objects.current().count() == 3
    assert ScoringRun.objects.count() == 1


def test_a_payment_rescores_its_customer_once_the_transaction_commits(
    params, django_capture_on_commit_callbacks
):
    clerk = UserFactory(roles=[FINANCE])
    customer = CustomerFactory()
    invoice = InvoiceFactory(
        customer=customer, amount=Decimal("12000.00"), due_date=timezone.localdate()
    )
    with django_capture_on_commit_callbacks(execute=False) as pending:
        relationship_services.payment_register(
            invoice=invoice,
            amount=Decimal("12000.00"),
            currency="PLN",
            paid_on=timezone.localdate(),
            method=Payment.Method.BANK_TRANSFER,
            by=clerk,
        )
    customer.refresh_from_db()
    assert customer.scored_at is None  # nothing before the commit
    for callback in pending:
        callback()
    customer.refresh_from_db()
    assert customer.ltv == Decimal("12000.00")
    assert customer.grade == "B"


def test_logging_an_interaction_rescores_the_customer(
    params, sales_rep, django_capture_on_commit_callbacks
):
    customer = CustomerFactory(owner=sales_rep)
    with django_capture_on_commit_callbacks(execute=True):
        relationship_services.interaction_log(
            customer=customer,
            by=sales_rep,
            channel="call",
            direction="outbound",
            subject="Renewal",
        )
    score = CustomerScore.objects.get(customer=customer, is_current=True)
    assert score.interactions_90d == 1


def test_nothing_is_rescored_before_the_transaction_commits(params):
    customer = CustomerFactory()
    InvoiceFactory(customer=customer)  # the test's transaction never commits
    assert not CustomerScore.objects.filter(customer=customer).exists()


def test_the_command_shows_progress_and_the_totals(params):
    paying_customer()
    CustomerFactory()
    out = StringIO()
    call_command("score_customers", "--batch-size", "1", stdout=out)
    text = out.getvalue()
    assert "[###############---------------]  50%  1/2" in text
    assert "Scored 2 customers, 2 changed" in text


@pytest.mark.parametrize(("option", "value"), [("--batch-size", "0"), ("--workers", "0")])
def test_the_command_refuses_nonsense_sizes(params, option, value):
    with pytest.raises(CommandError, match="at least"):
        call_command("score_customers", option, value, stdout=StringIO())
    assert not ScoringRun.objects.exists()


def test_the_command_refuses_while_a_run_is_in_progress(params):
    ScoringRun.objects.create(parameters=params, as_of=AS_OF)
    with pytest.raises(CommandError, match="in progress"):
        call_command("score_customers", stdout=StringIO())


def test_new_parameters_rescore_everyone_with_the_new_version(params):
    customer = paying_customer(amount="20000.00")
    scoring.score_all_customers(as_of=AS_OF)
    newer = ScoringParameters.objects.create(
        version=params.version + 1,
        grade_a_min_ltv=Decimal("15000"),
        grade_b_min_ltv=Decimal("10000"),
        grade_a_min_reliability=Decimal("90"),
    )
    run = scoring.score_all_customers(as_of=AS_OF)
    assert run.parameters == newer and run.changed == 1
    current = CustomerScore.objects.get(customer=customer, is_current=True)
    assert (current.parameters, current.grade) == (newer, "A")


def test_a_customer_row_is_rewritten_only_when_what_it_shows_changes(params):
    customer = paying_customer()
    scoring.score_all_customers(as_of=AS_OF)
    customer.refresh_from_db()
    first_scored_at = customer.scored_at
    # A new interaction changes the snapshot (interactions in the last 90 days), not the
    # grade, LTV or reliability the customer row shows.
    InteractionFactory(
        customer=customer, occurred_at=timezone.make_aware(timezone.datetime(2026, 6, 1))
    )
    run = scoring.score_all_customers(as_of=AS_OF)
    assert run.changed == 1
    assert CustomerScore.objects.filter(customer=customer).count() == 2
    customer.refresh_from_db()
    if connection.vendor == "postgresql":
        assert customer.scored_at == first_scored_at
    assert customer.grade == "B" and customer.ltv == Decimal("20000.00")


def _row_version(table, key, pk):
    """PostgreSQL's xmin of a row: it changes whenever the row is written (locks included)."""
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT xmin::text FROM {table} WHERE {key} = %s", [pk])
        return cursor.fetchone()[0]


def test_scoring_writes_the_value_row_never_the_customer_row(params):
    customer = paying_customer()
    written = Customer.objects.filter(pk=customer.pk).values_list("updated_at", flat=True)
    before = written.get()
    if connection.vendor == "postgresql":
        customer_row = _row_version("customers_customer", "id", customer.pk)
    scoring.score_all_customers(as_of=AS_OF)
    value = CustomerValue.objects.get(pk=customer.pk)
    assert (value.grade, value.ltv, value.ltv_currency) == ("B", Decimal("20000.00"), "PLN")
    assert written.get() == before
    if connection.vendor == "postgresql":
        assert _row_version("customers_customer", "id", customer.pk) == customer_row
        # Nothing it shows changed: the value row is not rewritten (a lock sets xmax only).
        value_row = _row_version("customers_customervalue", "customer_id", customer.pk)
        InteractionFactory(
            customer=customer, occurred_at=timezone.make_aware(timezone.datetime(2026, 6, 1))
        )
        assert scoring.score_all_customers(as_of=AS_OF).changed == 1
        assert _row_version("customers_customervalue", "customer_id", customer.pk) == value_row
        assert _row_version("customers_customer", "id", customer.pk) == customer_row


def _shown(customers):
    return {
        customer.pk: (customer.grade, customer.ltv, customer.payment_reliability)
        for customer in customers
    }


def test_the_second_pass_scores_only_the_locked_customers(params):
    if connection.vendor != "postgresql":
        pytest.skip("The SQL path is PostgreSQL's.")
    first, second = paying_customer(), paying_customer()
    current = ScoringParameters.objects.current()
    everyone = scoring_sql.changed_scores(first.pk, second.pk, params=current, as_of=AS_OF)
    assert [row[0] for row in everyone] == [first.pk, second.pk]
    assert scoring_sql.changed_ids(first.pk, second.pk, params=current, as_of=AS_OF) == [
        first.pk,
        second.pk,
    ]
    only = scoring_sql.changed_scores(
        first.pk, second.pk, params=current, as_of=AS_OF, only=[second.pk]
    )
    assert [row[0] for row in only] == [second.pk]


def test_a_payment_recorded_between_the_two_passes_is_in_the_score_written(params, monkeypatch):
    """The first pass reads without locks; what it found changed is read again once locked, so
    a payment that committed in between is not lost to a stale score."""
    if connection.vendor != "postgresql":
        pytest.skip("The two passes are the SQL path's.")
    customer = paying_customer(amount="20000.00")
    scoring.score_all_customers(as_of=AS_OF)  # so the next run takes the two passes
    late_invoice = InvoiceFactory(
        customer=customer,
        amount=Decimal("5000.00"),
        issue_date=date(2026, 4, 1),
        due_date=date(2026, 5, 1),
    )
    read = scoring_sql.changed_ids

    def pay_after_the_first_read(*args, **kwargs):
        ids = read(*args, **kwargs)
        PaymentFactory(invoice=late_invoice, paid_on=date(2026, 5, 1))
        return ids

    monkeypatch.setattr(scoring_sql, "changed_ids", pay_after_the_first_read)
    scoring.score_all_customers(as_of=AS_OF)
    customer.refresh_from_db()
    assert customer.ltv == Decimal("25000.00")
    assert CustomerScore.objects.current().get(customer=customer).ltv == Decimal("25000.00")


@pytest.mark.django_db(transaction=True)
def test_parallel_workers_score_exactly_as_one_worker_does(transactional_db):
    if connection.vendor != "postgresql":
        pytest.skip("Parallel batches need PostgreSQL (CI's database).")
    ScoringParameters.objects.current()
    customers = [paying_customer(amount=f"{n}000.00") for n in range(1, 8)]
    customers += [CustomerFactory() for _ in range(3)]
    run = scoring.score_all_customers(as_of=AS_OF, batch_size=2, workers=2)
    assert (run.status, run.scored, run.changed) == (ScoringRun.Status.DONE, 10, 10)
    parallel = _shown(Customer.objects.select_related("value"))
    CustomerScore.objects.all().delete()
    CustomerValue.objects.update(grade=None, ltv=0, payment_reliability=None, scored_at=None)
    serial = scoring.score_all_customers(as_of=AS_OF, batch_size=2, workers=1)
    assert serial.changed == 10
    assert _shown(Customer.objects.select_related("value")) == parallel
    assert parallel[customers[6].pk][1] == Decimal("7000.00")
    assert CustomerScore.objects.current().count() == 10


@pytest.mark.django_db(transaction=True)
def test_a_batch_failing_in_a_worker_fails_the_run_and_releases_the_lock(
    transactional_db, monkeypatch
):
    if connection.vendor != "postgresql":
        pytest.skip("Parallel batches need PostgreSQL (CI's database).")
    ScoringParameters.objects.current()
    for _ in range(4):
        paying_customer()
    break_the_writes(monkeypatch)
    with pytest.raises(RuntimeError, match="disk full"):
        scoring.score_all_customers(as_of=AS_OF, batch_size=1, workers=2)
    run = ScoringRun.objects.get()
    assert run.status == ScoringRun.Status.FAILED and "disk full" in run.error
    monkeypatch.undo()
    assert scoring.score_all_customers(as_of=AS_OF, workers=2).changed == 4


def _waiting_for_a_lock(timeout=10):
    """Whether another connection to this database waits for a row lock, polled up to
    `timeout` seconds."""
    deadline = time.monotonic() + timeout
    with connection.cursor() as cursor:
        while time.monotonic() < deadline:
            cursor.execute(
                "SELECT count(*) FROM pg_stat_activity "
                "WHERE datname = current_database() AND wait_event_type = 'Lock'"
            )
            if cursor.fetchone()[0]:
                return True
            time.sleep(0.05)
    return False


@pytest.mark.django_db(transaction=True)
def test_a_payment_rescored_during_a_full_rescore_waits_for_it_and_is_not_lost(
    transactional_db, monkeypatch
):
    """A full rescore (new parameters) locks each batch's value rows before it reads the
    figures; a payment's rescoring of one of those customers waits for the batch to commit,
    then writes its own score over the batch's, never a second current one."""
    if connection.vendor != "postgresql":
        pytest.skip("Two connections writing at once need PostgreSQL (CI's database).")
    params = ScoringParameters.objects.current()
    customer = paying_customer(amount="20000.00")  # rescored as its payment commits
    others = [paying_customer(amount="3000.00") for _ in range(2)]
    late_invoice = InvoiceFactory(
        customer=customer,
        amount=Decimal("5000.00"),
        issue_date=date(2026, 4, 1),
        due_date=date(2026, 5, 1),
    )
    newer = ScoringParameters.objects.create(version=params.version + 1)
    locked, go = threading.Event(), threading.Event()
    outcome = {}
    write = scoring_sql.write_changed

    def pause_once_locked(*args, **kwargs):
        if threading.current_thread().name == "full-rescore":
            locked.set()
            go.wait(timeout=20)
        return write(*args, **kwargs)

    monkeypatch.setattr(scoring_sql, "write_changed", pause_once_locked)

    def full_rescore():
        try:
            outcome["run"] = scoring.score_all_customers(workers=1)
        finally:
            connection.close()

    def pay():
        try:
            PaymentFactory(invoice=late_invoice, paid_on=date(2026, 5, 1))  # rescores on commit
        finally:
            connection.close()

    rescoring = threading.Thread(target=full_rescore, name="full-rescore")
    rescoring.start()
    try:
        assert locked.wait(timeout=20)
        paying = threading.Thread(target=pay)
        paying.start()
        try:
            assert _waiting_for_a_lock()  # the payment's rescoring waits for the batch
        finally:
            go.set()
            paying.join()
    finally:
        go.set()
        rescoring.join()

    assert outcome["run"].status == ScoringRun.Status.DONE
    assert outcome["run"].changed == 3
    current = CustomerScore.objects.current()
    assert current.count() == 3
    assert set(current.values_list("parameters", flat=True)) == {newer.pk}
    score = current.get(customer=customer)
    assert score.ltv == Decimal("25000.00")
    assert CustomerValue.objects.get(pk=customer.pk).ltv == Decimal("25000.00")
    assert {value.ltv for value in CustomerValue.objects.filter(pk__in=others)} == {
        Decimal("3000.00")
    }


def _vacuums(table):
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_stat_clear_snapshot()")
        cursor.execute(
            "SELECT vacuum_count, analyze_count FROM pg_stat_user_tables WHERE relname = %s",
            [table],
        )
        return cursor.fetchone()


@pytest.mark.django_db(transaction=True)
def test_a_run_that_rewrote_many_rows_vacuums_them_and_a_quiet_night_does_not(
    transactional_db, monkeypatch
):
    """A full rescore leaves a dead version of every score and value row it rewrote; the run
    vacuums and analyses both tables before it ends, so the next night does not read them."""
    if connection.vendor != "postgresql":
        pytest.skip("VACUUM is PostgreSQL's (CI's database).")
    monkeypatch.setattr(scoring, "TIDY_AFTER_CHANGED", 3)
    for _ in range(4):
        paying_customer()
    tables = [CustomerValue._meta.db_table, CustomerScore._meta.db_table]
    before = [_vacuums(table) for table in tables]
    run = scoring.score_all_customers(as_of=AS_OF, workers=1)
    assert (run.status, run.changed) == (ScoringRun.Status.DONE, 4)
    after = [_vacuums(table) for table in tables]
    for (vacuumed, analysed), (vacuumed_after, analysed_after) in zip(before, after, strict=True):
        assert vacuumed_after == vacuumed + 1 and analysed_after == analysed + 1
    quiet = scoring.score_all_customers(as_of=AS_OF, workers=1)
    assert quiet.changed == 0
    assert [_vacuums(table) for table in tables] == after
