"""The transactional outbox: background work is saved in the database with the write that asks
for it, and published to the broker once that write commits.

    enqueue(rescore_customer, customer_id)         # in the caller's transaction
    enqueue_once(refresh, key="first-refresh", within=3600)

A row is written in the caller's transaction, so the work exists exactly when the write does (a
rolled-back payment queues nothing; a committed one always has its rescoring). After the commit
the row is published at once; a broker that is away costs the request at most about a second
(the publish timeouts in settings), then the breaker (core.breaker) skips publishing for a few
seconds and the rows wait. The `core.tasks.drain_outbox` beat task (every minute) and `manage.py
drain_outbox` publish what is left, oldest first. Each message is claimed before it is published
(`select_for_update(skip_locked=True)` and a lease), so two drainers never send the same row;
a process that dies between the broker accepting a message and the row being marked sent makes
the drainer send it again after the lease: delivery is at least once, and every queued task is
idempotent (a second run finds the work done).

With CELERY_TASK_ALWAYS_EAGER (tests) publishing runs the task inline, as `.delay()` did.
"""

import logging
from datetime import timedelta

from celery import current_app
from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from kombu.exceptions import OperationalError as BrokerError

from .breaker import Breaker
from .models import OutboxMessage

logger = logging.getLogger(__name__)

# A message being published belongs to its publisher for this long; only then may a drainer
# take it (the web process after its commit, a drainer after claiming a batch).
LEASE = timedelta(seconds=60)
# A message the broker refused for a reason of its own (unknown task, unserialisable arguments)
# is tried again later and later, up to this, so it cannot hold up the others.
MAX_BACKOFF = timedelta(hours=1)
# Sent messages are kept this long for enqueue_once's look-back, then pruned by the drainer.
PRUNE_BATCH = 5000

# Errors meaning "the broker is away", as opposed to "this message is wrong".
BROKER_DOWN = (BrokerError, ConnectionError, TimeoutError, OSError)

_breaker = None


def breaker() -> Breaker:
    global _breaker
    if _breaker is None:
        _breaker = Breaker(name="Celery broker", retry_after=settings.OUTBOX_RETRY_AFTER)
    return _breaker


def _name(task) -> str:
    return task if isinstance(task, str) else task.name


def enqueue(task, *args, **kwargs) -> OutboxMessage:
    """Queue `task(*args, **kwargs)` with the current transaction; published after it commits."""
    message = OutboxMessage.objects.create(
        task=_name(task),
        args=list(args),
        kwargs=kwargs,
        available_at=timezone.now() + LEASE,
    )
    transaction.on_commit(lambda: publish(message))
    return message


def enqueue_once(task, *args, key: str, within: int, **kwargs) -> OutboxMessage | None:
    """Like enqueue, unless a message with `key` was queued in the last `within` seconds or is
    still unsent; None then. For work that page views ask for and one run satisfies."""
    since = timezone.now() - timedelta(seconds=within)
    if OutboxMessage.objects.filter(dedupe_key=key, created_at__gte=since).exists():
        return None
    try:
        with transaction.atomic():
            message = OutboxMessage.objects.create(
                task=_name(task),
                args=list(args),
                kwargs=kwargs,
                dedupe_key=key,
                available_at=timezone.now() + LEASE,
            )
    except IntegrityError:  # an unsent one (core_outbox_one_unsent_per_dedupe_key)
        return None
    transaction.on_commit(lambda: publish(message))
    return message


def publish(message: OutboxMessage) -> bool:
    """Publish one claimed message now; True once the broker accepted it (or, eager, it ran).
    Never raises for a broker that is away: the row stays for the drainer."""
    app = current_app
    if app.conf.task_always_eager:
        # No broker: the task runs here, and its errors reach the caller as .delay()'s did.
        if message.task not in app.tasks:
            app.loader.import_default_modules()  # the apps' tasks modules (autodiscovery)
        app.tasks[message.task].apply_async(args=message.args, kwargs=message.kwargs)
        _mark_sent([message.pk])
        return True
    if not breaker().available:
        _release([message.pk], error="the broker failed moments ago; left for the drainer")
        return False
    return _send(message) is None


def _send(message: OutboxMessage):
    """Publish; None when sent, else the exception (already recorded on the row)."""
    try:
        # By name: the publishing process need not have imported the task's module.
        current_app.send_task(
            message.task,
            args=message.args,
            kwargs=message.kwargs,
            retry=True,
            retry_policy=settings.OUTBOX_PUBLISH_RETRY_POLICY,
        )
    except BROKER_DOWN as error:
        breaker().failed(error)
        _release([message.pk], error=f"{type(error).__name__}: {error}")
        return error
    except Exception as error:
        logger.exception("Outbox message %s (%s) refused; tried again later.", message.pk, message)
        attempts = message.attempts + 1
        OutboxMessage.objects.filter(pk=message.pk).update(
            attempts=attempts,
            last_error=f"{type(error).__name__}: {error}"[:2000],
            available_at=timezone.now() + min(timedelta(seconds=30 * 2**attempts), MAX_BACKOFF),
        )
        return error
    breaker().succeeded()
    _mark_sent([message.pk])
    return None


def _mark_sent(ids):
    OutboxMessage.objects.filter(pk__in=ids).update(sent_at=timezone.now(), last_error="")


def _release(ids, *, error: str):
    """Back to the drainer at once: the broker was away, the messages were not at fault."""
    OutboxMessage.objects.filter(pk__in=ids).update(
        available_at=timezone.now(), attempts=F("attempts") + 1, last_error=error[:2000]
    )


def _claim(limit: int) -> list[OutboxMessage]:
    now = timezone.now()
    with transaction.atomic():
        batch = list(
            OutboxMessage.objects.pending()
            .filter(available_at__lte=now)
            .order_by("available_at", "id")
            .select_for_update(skip_locked=True)[:limit]
        )
        OutboxMessage.objects.filter(pk__in=[m.pk for m in batch]).update(available_at=now + LEASE)
    return batch


def drain(*, limit: int | None = None) -> dict:
    """Publish the unsent messages that are due, oldest first, at most `limit` of them
    (OUTBOX_DRAIN_BATCH); stop at the first sign that the broker is away. Then prune sent
    messages older than OUTBOX_KEEP_SENT_HOURS. Returns the counts."""
    batch = _claim(limit or settings.OUTBOX_DRAIN_BATCH)
    sent = failed = 0
    for position, message in enumerate(batch):
        error = _send(message)
        if error is None:
            sent += 1
            continue
        failed += 1
        if isinstance(error, BROKER_DOWN):
            _release([m.pk for m in batch[position + 1 :]], error="the broker is away")
            break
    pruned = prune()
    left = OutboxMessage.objects.pending().count()
    if sent or failed:
        logger.info("Outbox: %s sent, %s failed, %s unsent left.", sent, failed, left)
    return {"sent": sent, "failed": failed, "pruned": pruned, "unsent": left}


def prune() -> int:
    cutoff = timezone.now() - timedelta(hours=settings.OUTBOX_KEEP_SENT_HOURS)
    old = OutboxMessage.objects.filter(sent_at__lt=cutoff).order_by()
    ids = list(old.values_list("pk", flat=True)[:PRUNE_BATCH])
    deleted, _ = OutboxMessage.objects.filter(pk__in=ids).delete()
    return deleted
