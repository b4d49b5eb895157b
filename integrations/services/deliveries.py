"""Webhook deliveries: recorded with the event, POSTed after the commit, retried, logged.

- `deliveries_record(event)` is core.events' receiver: in the event's transaction it writes one
  WebhookDelivery per active subscription to the event and queues its first attempt with
  core.outbox, so a rolled-back write sends nothing and a committed one is delivered even when
  the broker was away at the time.
- `delivery_attempt(delivery_id=…, attempt=…)` (the Celery task `deliver_webhook`) makes attempt
  number `attempt`: it claims the delivery with a conditional UPDATE on the attempt count, so a
  task message delivered twice posts once. A failed attempt is retried after the next pause of
  WEBHOOK_RETRY_SCHEDULE; when every pause is used up the delivery has failed, and after
  WEBHOOK_DISABLE_AFTER failed deliveries in a row the subscription is switched off and its
  owner told.
- `deliveries_send_due()` (the beat task `send_due_webhooks`, every minute) queues the retries
  whose time has come, and any attempt whose worker died (its claim is a lease).
"""

import json
import logging
import time
import urllib.error
import urllib.request
from datetime import timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from core import events
from core.outbox import enqueue
from processes.models import Notification
from processes.services.notifications import notification_send

from ..models import EXCERPT_LENGTH, WebhookAttempt, WebhookDelivery, WebhookSubscription
from ..validators import private_target_error
from .signing import signature

logger = logging.getLogger(__name__)

# An attempt owns its delivery this long; after it the retry job may queue the attempt again
# (a worker that died mid-post). Longer than WEBHOOK_TIMEOUT and a busy queue's wait.
LEASE = timedelta(minutes=2)
USER_AGENT = "CRM-Webhooks/1"
DELIVER_TASK = "integrations.tasks.deliver_webhook"


def payload_of(event: events.Event) -> dict:
    return {
        "id": event.key,
        "event": event.name,
        "occurred_at": events.iso(event.occurred_at),
        "data": event.data,
    }


def deliveries_record(event: events.Event) -> list[WebhookDelivery]:
    """One delivery per active subscription to `event`, queued after the commit."""
    subscriptions = [
        subscription
        for subscription in WebhookSubscription.objects.filter(active=True).only("pk", "events")
        if event.name in subscription.events
    ]
    if not subscriptions:
        return []
    payload = payload_of(event)
    now = timezone.now()
    recorded = []
    for subscription in subscriptions:
        told = WebhookDelivery.objects.filter(
            subscription=subscription, event_key=event.key, redelivery_of__isnull=True
        )
        if told.exists():
            continue
        try:
            with transaction.atomic():
                delivery = WebhookDelivery.objects.create(
                    subscription=subscription,
                    event=event.name,
                    event_key=event.key,
                    payload=payload,
                    created_at=now,
                    next_attempt_at=now + LEASE,
                )
        except IntegrityError:  # recorded by a parallel run of the same job a moment ago
            continue
        enqueue(DELIVER_TASK, delivery.pk, 0)
        recorded.append(delivery)
    return recorded


@transaction.atomic
def delivery_redeliver(*, delivery: WebhookDelivery) -> WebhookDelivery:
    """Send a delivery's payload again, as a new delivery (its own id, the same event id)."""
    subscription = WebhookSubscription.objects.select_for_update().get(pk=delivery.subscription_id)
    if not subscription.active:
        raise ValidationError(_("Activate the subscription before redelivering."))
    now = timezone.now()
    again = WebhookDelivery.objects.create(
        subscription=subscription,
        event=delivery.event,
        event_key=delivery.event_key,
        payload=delivery.payload,
        redelivery_of=delivery.redelivery_of or delivery,
        created_at=now,
        next_attempt_at=now + LEASE,
    )
    enqueue(DELIVER_TASK, again.pk, 0)
    return again


def deliveries_send_due(*, now=None, limit=500) -> int:
    """Queue the attempts whose time has come; returns how many."""
    now = now or timezone.now()
    due = WebhookDelivery.objects.filter(
        state=WebhookDelivery.State.PENDING, next_attempt_at__lte=now
    ).order_by("next_attempt_at", "pk")[:limit]
    queued = 0
    with transaction.atomic():
        for pk, attempts, next_attempt_at in due.values_list("pk", "attempts", "next_attempt_at"):
            claimed = WebhookDelivery.objects.filter(
                pk=pk,
                state=WebhookDelivery.State.PENDING,
                attempts=attempts,
                next_attempt_at=next_attempt_at,
            ).update(next_attempt_at=now + LEASE)
            if claimed:
                enqueue(DELIVER_TASK, pk, attempts)
                queued += 1
    return queued


def delivery_attempt(*, delivery_id: int, attempt: int) -> WebhookAttempt | None:
    """Make attempt number `attempt` (0: the first) of a delivery, unless it was made already."""
    now = timezone.now()
    claimed = WebhookDelivery.objects.filter(
        pk=delivery_id, state=WebhookDelivery.State.PENDING, attempts=attempt
    ).update(attempts=attempt + 1, next_attempt_at=now + LEASE)
    if not claimed:
        return None
    delivery = WebhookDelivery.objects.select_related("subscription").get(pk=delivery_id)
    subscription = delivery.subscription
    if not subscription.active:
        WebhookDelivery.objects.filter(pk=delivery_id).update(
            state=WebhookDelivery.State.CANCELLED,
            attempts=attempt,
            next_attempt_at=None,
            finished_at=now,
        )
        return None
    result = post(subscription=subscription, delivery=delivery)
    return _record(delivery=delivery, attempt=attempt, result=result)


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    """A receiver's redirect is an answer, not an order: following it could lead the CRM's
    server to an address the target check refused."""

    def redirect_request(self, req, fp, code, msg, headers, newurl):
        return None


# No proxies from the environment either: the target check is about where the POST goes.
_opener = urllib.request.build_opener(urllib.request.ProxyHandler({}), _NoRedirects)


def post(*, subscription: WebhookSubscription, delivery: WebhookDelivery) -> dict:
    """POST the delivery; what happened (status code, answer excerpt, error, duration)."""
    body = json.dumps(delivery.payload, separators=(",", ":"), sort_keys=True).encode()
    timestamp = int(time.time())
    request = urllib.request.Request(
        subscription.target_url,
        data=body,
        method="POST",
        headers={
            "Content-Type": "application/json",
            "User-Agent": USER_AGENT,
            "X-CRM-Event": delivery.event,
            "X-CRM-Delivery": str(delivery.pk),
            "X-CRM-Timestamp": str(timestamp),
            "X-CRM-Signature": signature(
                secret=subscription.secret, timestamp=timestamp, body=body
            ),
        },
    )
    started = time.monotonic()
    result = {"status_code": None, "response_excerpt": "", "error": ""}
    if refused := private_target_error(subscription.target_url):
        result["error"] = refused
    else:
        try:
            with _opener.open(request, timeout=settings.WEBHOOK_TIMEOUT) as response:
                result["status_code"] = response.status
                result["response_excerpt"] = _excerpt(response.read(EXCERPT_LENGTH))
        except urllib.error.HTTPError as answer:
            result["status_code"] = answer.code
            result["response_excerpt"] = _excerpt(answer.read(EXCERPT_LENGTH))
            answer.close()
        except (urllib.error.URLError, OSError, ValueError) as error:
            reason = getattr(error, "reason", None) or error
            result["error"] = f"{type(reason).__name__}: {reason}"[:EXCERPT_LENGTH]
    result["duration_ms"] = int((time.monotonic() - started) * 1000)
    return result


def _excerpt(raw: bytes) -> str:
    # NUL cannot be stored by PostgreSQL; the excerpt is for reading, not for replaying.
    return raw.decode("utf-8", "replace").replace("\x00", "")[:EXCERPT_LENGTH]


@transaction.atomic
def _record(*, delivery: WebhookDelivery, attempt: int, result: dict) -> WebhookAttempt:
    now = timezone.now()
    logged = WebhookAttempt.objects.create(delivery=delivery, number=attempt + 1, at=now, **result)
    schedule = settings.WEBHOOK_RETRY_SCHEDULE
    pending = WebhookDelivery.objects.filter(pk=delivery.pk, state=WebhookDelivery.State.PENDING)
    if logged.succeeded:
        pending.update(state=WebhookDelivery.State.DELIVERED, next_attempt_at=None, finished_at=now)
        WebhookSubscription.objects.filter(
            pk=delivery.subscription_id, consecutive_failures__gt=0
        ).update(consecutive_failures=0)
    elif attempt < len(schedule):
        pending.update(next_attempt_at=now + timedelta(seconds=schedule[attempt]))
    else:
        pending.update(state=WebhookDelivery.State.FAILED, next_attempt_at=None, finished_at=now)
        _count_failure(subscription_id=delivery.subscription_id)
    return logged


def _count_failure(*, subscription_id: int):
    """One more delivery that used up its retries; too many in a row switch the subscription
    off, and its owner hears it (in the CRM and by e-mail)."""
    WebhookSubscription.objects.filter(pk=subscription_id).update(
        consecutive_failures=F("consecutive_failures") + 1
    )
    subscription = (
        WebhookSubscription.objects.select_for_update(of=("self",))
        .select_related("owner__crm_profile")
        .get(pk=subscription_id)
    )
    limit = settings.WEBHOOK_DISABLE_AFTER
    if not subscription.active or subscription.consecutive_failures < limit:
        return
    subscription.active = False
    subscription.disabled_at = timezone.now()
    subscription.save(update_fields=["active", "disabled_at", "updated_at"])
    logger.warning(
        "Webhook subscription %s (%s) switched off after %s failed deliveries.",
        subscription.pk,
        subscription.target_url,
        subscription.consecutive_failures,
    )
    notification_send(
        recipient=subscription.owner,
        kind=Notification.Kind.WEBHOOK_DISABLED,
        occurrence=f"webhook:{subscription.pk}:{subscription.disabled_at:%Y%m%dT%H%M%S.%f}",
        # Written in each reader's language from these values (Notification.text).
        params={
            "name": subscription.name,
            "url": subscription.target_url,
            "count": subscription.consecutive_failures,
        },
    )
