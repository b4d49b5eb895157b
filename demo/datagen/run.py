"""A generator run: the rows it refers to, its batches written one transaction each, and the
few tasks and approvals added through the services at the end."""

import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import DEFAULT_DB_ALIAS, connections, transaction
from django.utils import timezone

from core import audit
from core.permissions import SALES
from customers.models import Customer, CustomerValue
from processes import services as process_services
from processes.models import ProcessDefinition, ProcessInstance

from .definitions import ensure_campaign, ensure_processes, ensure_segments
from .drafts import Ids
from .generator import DataGenerator
from .pools import require_faker
from .staff import ensure_staff
from .tables import CUSTOMERS, TABLES, TAX_ID_COLUMN
from .writers import writer_for

TASK_TITLES = ("Call back about the offer", "Send the signed contract", "Check payment status")


@dataclass
class Progress:
    batch: int
    batches: int
    customers: int
    rows: int
    seconds: float


def generate(
    *,
    customers,
    seed=1,
    batch_size=5000,
    staff=None,
    today=None,
    progress=None,
    using=DEFAULT_DB_ALIAS,
):
    """Write `customers` customers with their history; returns the rows written per model name.

    `staff` defaults to the users holding a role (creating a generated team if nobody does);
    `progress` is called with a `Progress` after every batch.
    """
    if seed < 0:
        raise ValueError("The seed must not be negative.")
    # Before anything is written: the staff and definitions are no use without the pools.
    require_faker()
    connection = connections[using]
    staff = staff or ensure_staff()
    today = today or timezone.localdate()
    tz = timezone.get_current_timezone()
    segments = ensure_segments()
    flows = ensure_processes()
    generator = DataGenerator(
        seed=seed,
        staff=staff,
        segments=segments,
        today=today,
        tz=tz,
        ids=Ids(using),
        flows=flows,
        campaign=ensure_campaign(flows, staff=staff, today=today, tz=tz),
    )
    first_customer = generator.ids.first[CUSTOMERS]
    writer = writer_for(connection)
    totals = dict.fromkeys((table.model._meta.label for table in TABLES), 0)
    spans = [
        range(first, min(first + batch_size, customers))
        for first in range(0, customers, batch_size)
    ]
    started = time.perf_counter()
    # Synthetic rows are nobody's doing: COPY would otherwise fire the audit trigger for each.
    # Every customer's value row comes from the trigger on customers_customer
    # (customers.value_rows), one INSERT ... SELECT per COPY on PostgreSQL.
    filled = [CustomerValue._meta.db_table]
    with audit.suspended(using):
        writer.prepare(TABLES, filled=filled)
        try:
            _write_batches(generator, writer, spans, totals, started, progress, using)
        finally:
            writer.restore()
        writer.finish(TABLES, filled=filled)
    if customers:
        add_worklist(first_customer=first_customer, today=today)
    return totals


def _write_batches(generator, writer, spans, totals, started, progress, using):
    # The next batch is generated while the database indexes and checks the current one: the
    # driver releases the GIL while it waits, so the two overlap on a multi-core machine.
    with ThreadPoolExecutor(max_workers=1) as ahead:
        pending = ahead.submit(generator.batch, spans[0]) if spans else None
        for number, span in enumerate(spans, start=1):
            batch = pending.result()
            if number < len(spans):
                pending = ahead.submit(generator.batch, spans[number])
            _drop_taken_tax_ids(batch, using)
            # One transaction per batch keeps PostgreSQL's deferred foreign-key checks (and
            # memory) bounded, and a failed run leaves only whole customers behind.
            with transaction.atomic(using=using):
                for table in TABLES:
                    writer.write(table, batch.rows[table])
                    totals[table.model._meta.label] += len(batch.rows[table])
                writer.reset_sequences(TABLES)
            if progress:
                progress(
                    Progress(
                        batch=number,
                        batches=len(spans),
                        customers=span.stop,
                        rows=sum(totals.values()),
                        seconds=time.perf_counter() - started,
                    )
                )


def add_worklist(*, first_customer, today):
    """A few tasks (some overdue) and a discount waiting for a manager, on the run's first
    customers, through the services: they are few, and the services notify who they concern."""
    User = get_user_model()
    customers = list(
        Customer.objects.filter(pk__gte=first_customer, status=Customer.Status.ACTIVE)
        .select_related("owner")
        .order_by("pk")[:6]
    )
    for index, customer in enumerate(customers):
        process_services.task_create(
            customer=customer,
            title=TASK_TITLES[index % len(TASK_TITLES)],
            assignee=customer.owner,
            due_on=today + timedelta(days=index * 3 - 7),
            by=customer.owner,
        )
    deal = (
        ProcessInstance.objects.open()
        .filter(
            customer_id__gte=first_customer,
            definition__kind=ProcessDefinition.Kind.SALES,
            owner__groups__name=SALES,
            amount__isnull=False,
        )
        .exclude(approvals__decision="pending")
        .select_related("definition")
        .order_by("pk")
        .first()
    )
    if deal is not None:
        process_services.opportunity_set_discount(
            instance=deal,
            percent=settings.PROCESS_DISCOUNT_APPROVAL_THRESHOLD + 5,
            reason="Multi-year commitment; the competitor offers the same price.",
            by=User.objects.get(pk=deal.owner_id),
        )


def _drop_taken_tax_ids(batch, using):
    """Generated tax ids never repeat each other, but a hand-entered customer may hold one."""
    rows = batch.rows[CUSTOMERS]
    wanted = [row[TAX_ID_COLUMN] for row in rows if row[TAX_ID_COLUMN]]
    # Excluding "" lets PostgreSQL use the partial unique index: it cannot prove that a long
    # IN list implies the index's condition, and would scan the whole table for every batch.
    taken = set(
        Customer.objects.using(using)
        .filter(tax_id__in=wanted)
        .exclude(tax_id="")
        .order_by()
        .values_list("tax_id", flat=True)
    )
    if taken:
        for index, row in enumerate(rows):
            if row[TAX_ID_COLUMN] in taken:
                rows[index] = (*row[:TAX_ID_COLUMN], "", *row[TAX_ID_COLUMN + 1 :])


def parse_size(text):
    """'1000', '100k', '1M' -> an int."""
    text = str(text).strip().lower().replace("_", "")
    factor = 1
    if text.endswith("k"):
        factor, text = 1000, text[:-1]
    elif text.endswith("m"):
        factor, text = 1_000_000, text[:-1]
    value = int(float(text) * factor)
    if value < 0:
        raise ValueError(text)
    return value
