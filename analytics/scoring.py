"""The scoring job: every customer's value, computed set-based in batches of customer ids.

Per batch of ids (in id order, so memory stays flat however many customers there are) a fixed
handful of aggregate queries gathers the figures of all the batch's customers at once (payments,
invoices, payouts, contracts, interactions, open tickets), `analytics.formulas.score` turns them
into scores, and the batch is written in one transaction: a new CustomerScore only for customers
whose score changed, and the headline figures copied into the customer's value row
(customers.CustomerValue) for lists and rules.

The run record is the lock: a unique constraint allows one running run, so a second run started
meanwhile stops at once (AlreadyRunning). A run that stopped making progress an hour ago is taken
for dead and no longer blocks. Running twice over the same data changes nothing the second time.
A single customer is rescored by the same code (`score_customer`), after invoices, payments,
payouts and interactions are saved (analytics.signals).
"""

import logging
import queue
import threading
from datetime import datetime, time, timedelta

from django.conf import settings
from django.db import DatabaseError, IntegrityError, connection, models, transaction
from django.db.models import Count, ExpressionWrapper, F, Func, Q, Sum, Value
from django.db.models.functions import Least
from django.utils import timezone
from django.utils.translation import gettext

from core import bounds
from customers.models import Customer, CustomerValue
from processes.models import Ticket
from relationships.models import Contract, Interaction, Invoice, Payment, Payout

from . import formulas, scoring_sql
from .models import CustomerScore, ScoringParameters, ScoringRun

logger = logging.getLogger(__name__)

BATCH_SIZE = 5000
STALE_AFTER = timedelta(hours=1)
# A run that changed at least this many scores, and at least a fifth of those it scored (the
# first run, new parameters), vacuums and analyses the two tables it rewrote before it ends.
# It leaves a dead row version behind for every score and value row it changed, and until
# autovacuum has been round (it had not a minute after a full rescore at 1M) every later read
# wades through them: the next nightly run took 25 s instead of 9 s at 1M. VACUUM took 3 s.
TIDY_AFTER_CHANGED = 10_000
# The fields that make a score different from the previous one. Days since the last contact
# grows every day by itself, so it is recorded but does not by itself make a new snapshot.
COMPARED = (
    "currency",
    "ltv",
    "net_revenue_12m",
    "payment_reliability",
    "avg_days_late",
    "overdue_amount",
    "interactions_90d",
    "open_tickets",
    "grade",
)
MONEY = models.DecimalField(max_digits=20, decimal_places=2)


class AlreadyRunning(Exception):
    """Another scoring run is in progress."""


class DaysBetween(Func):
    """Whole days from the first date to the second."""

    output_field = models.IntegerField()
    arity = 2

    def as_sql(self, compiler, connection, **extra):
        # PostgreSQL: date - date is an integer number of days.
        start, end = self.get_source_expressions()
        self.set_source_expressions([end, start])
        try:
            return super().as_sql(
                compiler, connection, template="(%(expressions)s)", arg_joiner=" - "
            )
        finally:
            self.set_source_expressions([start, end])

    def as_sqlite(self, compiler, connection, **extra):
        start, end = self.get_source_expressions()
        self.set_source_expressions([end, start])
        try:
            return super().as_sql(
                compiler,
                connection,
                template="CAST(julianday(%(expressions)s) AS INTEGER)",
                arg_joiner=") - julianday(",
            )
        finally:
            self.set_source_expressions([start, end])


def _times(value, factor):
    return ExpressionWrapper(value * factor, output_field=MONEY)


def _by_currency(rows, target, key, *fields):
    """Spread aggregate rows {customer, currency, field...} into the customers' Figures."""
    for row in rows:
        figures = target.get(row[key])
        if figures is None:
            continue
        for name in fields:
            if row[name]:
                getattr(figures, name)[row["currency"]] = row[name]


def gather(lo, hi, *, as_of, params, last_contacts) -> dict[int, formulas.Figures]:
    """The figures of every customer with lo <= id <= hi, in seven aggregate queries."""
    figures = {pk: formulas.Figures() for pk in last_contacts}
    for pk, last_contact_at in last_contacts.items():
        if last_contact_at:
            figures[pk].last_contact_on = timezone.localtime(last_contact_at).date()
    year_ago = as_of - timedelta(days=365)
    past_due = Q(invoice__due_date__lt=as_of)
    late = past_due & Q(paid_on__gt=F("invoice__due_date"))
    days_late = DaysBetween(F("invoice__due_date"), F("paid_on"))
    payments = (
        Payment.objects.filter(
            invoice__customer_id__gte=lo, invoice__customer_id__lte=hi, paid_on__lte=as_of
        )
        .values("invoice__customer_id", "currency")
        .annotate(
            paid=Sum("amount"),
            paid_12m=Sum("amount", filter=Q(paid_on__gt=year_ago)),
            paid_on_time=Sum("amount", filter=past_due & Q(paid_on__lte=F("invoice__due_date"))),
            paid_late=Sum("amount", filter=late),
            late_amount_days=Sum(_times(F("amount"), days_late), filter=late),
            late_amount_capped_days=Sum(
                _times(F("amount"), Least(days_late, Value(params.late_tolerance_days))),
                filter=late,
            ),
        )
        .order_by()
    )
    _by_currency(
        payments,
        figures,
        "invoice__customer_id",
        "paid",
        "paid_12m",
        "paid_on_time",
        "paid_late",
        "late_amount_days",
        "late_amount_capped_days",
    )
    balance = F("amount") - F("paid_amount")
    invoices = (
        Invoice.objects.filter(customer_id__gte=lo, customer_id__lte=hi)
        .values("customer_id", "currency")
        .annotate(
            count=Count("pk"),
            due=Sum("amount", filter=Q(due_date__lt=as_of)),
            unpaid=Sum(balance, filter=Q(due_date__lt=as_of)),
            overdue=Sum(balance, filter=Q(due_date__lt=as_of, written_off_at__isnull=True)),
        )
        .order_by()
    )
    invoices = list(invoices)
    _by_currency(invoices, figures, "customer_id", "due", "unpaid", "overdue")
    for row in invoices:
        if row["customer_id"] in figures:
            figures[row["customer_id"]].has_invoices = True
    payouts = (
        Payout.objects.filter(
            customer_id__gte=lo,
            customer_id__lte=hi,
            status=Payout.Status.PAID,
            paid_at__date__lte=as_of,
        )
        .values("customer_id", "currency")
        .annotate(
            payouts=Sum("amount"), payouts_12m=Sum("amount", filter=Q(paid_at__date__gt=year_ago))
        )
        .order_by()
    )
    _by_currency(payouts, figures, "customer_id", "payouts", "payouts_12m")
    contracts = (
        Contract.objects.filter(
            customer_id__gte=lo, customer_id__lte=hi, status=Contract.Status.ACTIVE
        )
        .exclude(billing_period=Contract.BillingPeriod.ONE_OFF)
        .values_list("customer_id", "value", "currency", "billing_period", "end_date")
        .order_by()
    )
    for customer_id, *contract in contracts:
        if customer_id in figures:
            figures[customer_id].contracts.append(tuple(contract))
    window_start = timezone.make_aware(datetime.combine(as_of - timedelta(days=89), time.min))
    window_end = timezone.make_aware(datetime.combine(as_of + timedelta(days=1), time.min))
    interactions = (
        Interaction.objects.filter(
            customer_id__gte=lo,
            customer_id__lte=hi,
            occurred_at__gte=window_start,
            occurred_at__lt=window_end,
        )
        .values("customer_id")
        .annotate(n=Count("pk"))
        .order_by()
    )
    for row in interactions:
        if row["customer_id"] in figures:
            figures[row["customer_id"]].interactions_90d = row["n"]
    tickets = (
        Ticket.objects.filter(
            instance__customer_id__gte=lo,
            instance__customer_id__lte=hi,
            instance__closed_at__isnull=True,
        )
        .values("instance__customer_id")
        .annotate(n=Count("pk"))
        .order_by()
    )
    for row in tickets:
        if row["instance__customer_id"] in figures:
            figures[row["instance__customer_id"]].open_tickets = row["n"]
    return figures


def _current_scores(lo, hi):
    """{customer id: (score id, parameters id, *COMPARED)} of the batch's current scores."""
    rows = (
        CustomerScore.objects.current()
        .filter(customer_id__gte=lo, customer_id__lte=hi)
        .values_list("customer_id", "pk", "parameters_id", *COMPARED)
    )
    return {row[0]: row[1:] for row in rows}


def changed_scores_python(lo, hi, *, params, as_of, last_contacts):
    """[(customer id, previous score id or None, Score, True)] for the batch's customers whose
    score changed: the figures gathered by aggregate queries, the formulas run in Python. (The
    last item, "the customer's headline figures need copying", is always true here.)"""
    figures = gather(lo, hi, as_of=as_of, params=params, last_contacts=last_contacts)
    current = _current_scores(lo, hi)
    rates = params.rates()
    changed = []
    for pk, customer_figures in figures.items():
        score = formulas.score(customer_figures, as_of=as_of, params=params, rates=rates)
        previous = current.get(pk)
        values = tuple(getattr(score, name) for name in COMPARED)
        if previous is None or previous[1] != params.pk or previous[2:] != values:
            changed.append((pk, previous[0] if previous else None, score, True))
    return changed


def _update_values(rows, *, scored_at):
    """Copy the headline figures into the customers' value rows (CustomerValue): [(id, grade,
    ltv, currency, reliability, days late)]."""
    values = [
        CustomerValue(
            customer_id=pk,
            grade=grade,
            ltv=ltv,
            ltv_currency=currency,
            payment_reliability=reliability,
            avg_days_late=days_late,
            scored_at=scored_at,
        )
        for pk, grade, ltv, currency, reliability, days_late in rows
    ]
    CustomerValue.objects.bulk_update(
        values,
        ["grade", "ltv", "ltv_currency", "payment_reliability", "avg_days_late", "scored_at"],
        batch_size=500,
    )


def score_batch(*, after, last, params, as_of, now) -> tuple[int, int]:
    """Score the customers with after < id <= last; returns (customers scored, scores changed).

    The customers whose score changes are locked before it is written, so a single-customer
    rescoring running at the same moment waits instead of writing a second current score.
    PostgreSQL computes and writes the scores in SQL (analytics.scoring_sql); other databases
    gather the figures and run analytics.formulas in Python. Both give the same scores (a test
    holds them to it).
    """
    customers = Customer.objects.current().filter(pk__gt=after, pk__lte=last)
    if connection.vendor != "postgresql":
        return _score_batch_python(customers, params=params, as_of=as_of, now=now)
    # The batch's bounds and size, without bringing its ids over to Python.
    batch = customers.aggregate(lo=models.Min("pk"), hi=models.Max("pk"), size=Count("pk"))
    if not batch["size"]:
        return 0, 0
    lo, hi = batch["lo"], batch["hi"]
    # How many of them have a current score by these parameters: one range of the current
    # scores' index (a first run or new parameters: few or none).
    by_these = (
        CustomerScore.objects.current()
        .filter(customer_id__gte=lo, customer_id__lte=hi, parameters=params)
        .count()
    )
    if by_these * 2 < batch["size"]:
        # Most scores will change: lock the whole batch straight away and score it once.
        changed = None
    else:
        # First without locks: on most nights most customers' scores don't change, and those
        # cost one read and no write (locking rows writes to every one of them).
        changed = scoring_sql.changed_ids(lo, hi, params=params, as_of=as_of)
        if not changed:
            return batch["size"], 0
    with transaction.atomic():
        # The narrow value rows are the lock, not the wide customer rows (locking a row
        # writes to it); a merge takes the same locks first (customers.merging).
        values = CustomerValue.objects.filter(pk__gte=lo, pk__lte=hi)
        if changed is not None:
            values = values.filter(pk__in=changed)
        locked = list(values.order_by("pk").select_for_update().values_list("pk", flat=True))
        # Scored again under the locks (a new statement sees what a rescoring that committed
        # meanwhile wrote) and written where it is computed.
        written = scoring_sql.write_changed(
            lo, hi, params=params, as_of=as_of, now=now, only=locked
        )
    return batch["size"], written


def _score_batch_python(customers, *, params, as_of, now):
    """score_batch on databases other than PostgreSQL: the batch is locked first, its
    figures gathered by aggregate queries and scored by analytics.formulas."""
    with transaction.atomic():
        rows = list(
            customers.order_by("pk")
            .select_for_update(of=("self",))
            .values_list("pk", "last_contact_at")
        )
        if not rows:
            return 0, 0
        changed = changed_scores_python(
            rows[0][0], rows[-1][0], params=params, as_of=as_of, last_contacts=dict(rows)
        )
        _write(changed, params=params, as_of=as_of, now=now)
        return len(rows), len(changed)


SCORE_FIELDS = (*COMPARED, "days_since_last_contact")


def _write(changed, *, params, as_of, now):
    """The changed scores become current (the previous ones stay as history), and their
    headline figures are copied into the customers' value rows (the Python path's writes;
    PostgreSQL's are analytics.scoring_sql.write_changed)."""
    retired = [previous for _, previous, _, _ in changed if previous is not None]
    if retired:
        CustomerScore.objects.filter(pk__in=retired).update(is_current=False)
    CustomerScore.objects.bulk_create(
        [
            CustomerScore(
                customer_id=pk,
                computed_at=now,
                as_of=as_of,
                parameters=params,
                is_current=True,
                **{name: getattr(score, name) for name in SCORE_FIELDS},
            )
            for pk, _, score, _ in changed
        ],
        batch_size=1000,
    )
    # The value row is rewritten only when what it shows changed.
    _update_values(
        [
            (
                pk,
                score.grade,
                score.ltv,
                score.currency,
                score.payment_reliability,
                score.avg_days_late,
            )
            for pk, _, score, headline_changed in changed
            if headline_changed
        ],
        scored_at=now,
    )


def score_customer(customer_id, *, as_of=None) -> bool:
    """Rescore one customer now; True when the score changed."""
    params = ScoringParameters.objects.current()
    as_of = as_of or timezone.localdate()
    _, changed = score_batch(
        after=customer_id - 1,
        last=customer_id,
        params=params,
        as_of=as_of,
        now=timezone.now(),
    )
    return bool(changed)


def _start_run(*, params, as_of, task_id="") -> ScoringRun:
    now = timezone.now()
    running = ScoringRun.objects.filter(status=ScoringRun.Status.RUNNING)
    running.filter(heartbeat_at__lt=now - STALE_AFTER).update(
        status=ScoringRun.Status.FAILED,
        finished_at=now,
        error=gettext("Abandoned: no progress for an hour."),
    )
    if task_id:
        # The same Celery task delivered again: its worker died mid-run (acks_late redelivers
        # it), so the run it left RUNNING is its own and must not make it a no-op.
        running.filter(task_id=task_id).update(
            status=ScoringRun.Status.FAILED,
            finished_at=now,
            error=gettext("Abandoned: its worker was lost; the task was delivered again."),
        )
    try:
        with transaction.atomic():
            return ScoringRun.objects.create(
                parameters=params,
                as_of=as_of,
                started_at=now,
                heartbeat_at=now,
                task_id=task_id,
                total=Customer.objects.count(),
            )
    except IntegrityError as error:
        raise AlreadyRunning("Another scoring run is in progress.") from error


def score_all_customers(
    *, as_of=None, batch_size=BATCH_SIZE, workers=None, progress=None, task_id=""
) -> ScoringRun:
    """Rescore every customer; `progress(run)` is called after each batch.

    On PostgreSQL `workers` (default settings.SCORING_WORKERS) batches are scored at once, each
    on its own connection: the database does the work, so one worker per core it has is the
    most that helps. Inside a transaction (tests) the batches run one after the other, because
    other connections could not see its data. Raises AlreadyRunning when another run holds
    the lock.
    """
    params = ScoringParameters.objects.current()
    as_of = as_of or timezone.localdate()
    workers = workers or settings.SCORING_WORKERS
    if connection.vendor != "postgresql" or connection.in_atomic_block:
        workers = 1
    run = _start_run(params=params, as_of=as_of, task_id=task_id)
    batches = _parallel if workers > 1 else _serial
    try:
        for scored, changed in batches(
            workers=workers, limit=batch_size, params=params, as_of=as_of, now=run.started_at
        ):
            run.scored += scored
            run.changed += changed
            run.heartbeat_at = timezone.now()
            run.save(update_fields=["scored", "changed", "heartbeat_at"])
            if progress:
                progress(run)
    except Exception as error:
        run.status = ScoringRun.Status.FAILED
        run.finished_at = timezone.now()
        run.error = f"{type(error).__name__}: {error}"[: bounds.LONG_TEXT]
        run.save(update_fields=["status", "finished_at", "error"])
        logger.exception("Scoring run %s failed after %s customers", run.pk, run.scored)
        raise
    _tidy_after(run)
    run.status = ScoringRun.Status.DONE
    run.finished_at = timezone.now()
    run.total = max(run.total, run.scored)
    run.save(update_fields=["status", "finished_at", "total"])
    logger.info(
        "Scoring run %s: %s customers scored, %s changed, in %s",
        run.pk,
        run.scored,
        run.changed,
        run.duration,
    )
    return run


def _tidy_after(run):
    """VACUUM (ANALYZE) the score and value tables after a run that rewrote many of their rows
    (see TIDY_AFTER_CHANGED); never inside a transaction, where VACUUM cannot run. A VACUUM
    that fails (a role that does not own the tables) is logged and the run still counts."""
    if connection.vendor != "postgresql" or connection.in_atomic_block:
        return
    if run.changed < TIDY_AFTER_CHANGED or run.changed * 5 < run.scored:
        return
    tables = ", ".join(
        connection.ops.quote_name(model._meta.db_table) for model in (CustomerValue, CustomerScore)
    )
    try:
        with connection.cursor() as cursor:
            cursor.execute(f"VACUUM (ANALYZE) {tables}")
    except DatabaseError:
        logger.warning("Scoring run %s: VACUUM of %s failed", run.pk, tables, exc_info=True)


def _serial(*, workers, limit, **score):
    """(scored, changed) of each batch, one batch after the other."""
    for after, last in _ranges(limit):
        yield score_batch(after=after, last=last, **score)


def _ranges(limit):
    """(after, last) id bounds of consecutive batches of `limit` customers: the limit-th id
    after the previous batch, or the last id when fewer are left."""
    after = 0
    while True:
        following = Customer.objects.filter(pk__gt=after).order_by("pk")
        last = following.values_list("pk", flat=True)[limit - 1 : limit].first()
        if last is None:
            last = following.aggregate(last=models.Max("pk"))["last"]
            if last is None:
                return
        yield after, last
        after = last


def _parallel(*, workers, limit, **score):
    """(scored, changed) of each batch as the `workers` threads finish them; the first error
    stops them all and is raised here."""
    ranges = _ranges(limit)
    taking = threading.Lock()
    stop = threading.Event()
    results = queue.Queue()

    def work():
        try:
            while not stop.is_set():
                with taking:
                    bounds = next(ranges, None)
                if bounds is None:
                    break
                scored, changed = score_batch(after=bounds[0], last=bounds[1], **score)
                results.put((scored, changed, None))
        except Exception as error:
            stop.set()
            results.put((0, 0, error))
        finally:
            connection.close()  # this thread's own connection
            results.put(None)

    threads = [threading.Thread(target=work, daemon=True) for _ in range(workers)]
    for thread in threads:
        thread.start()
    running = len(threads)
    try:
        while running:
            result = results.get()
            if result is None:
                running -= 1
                continue
            scored, changed, error = result
            if error is not None:
                raise error
            yield scored, changed
    finally:
        stop.set()
        for thread in threads:
            thread.join()
