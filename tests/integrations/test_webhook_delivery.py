"""Webhook deliveries against a real HTTP receiver on 127.0.0.1: signed, sent after the commit,
retried on the schedule, logged, and a subscription that keeps failing switched off."""

import hashlib
import hmac
import json
import time
from datetime import timedelta

import pytest
from django.core import mail
from django.db import transaction
from django.utils import timezone

from core import events
from integrations import services
from integrations.models import WebhookAttempt, WebhookDelivery, WebhookSubscription
from processes.models import Notification


def reference_signature_ok(secret: str, headers: dict, body: bytes, *, tolerance=300) -> bool:
    """How a receiver checks a delivery (the README's example, written out independently)."""
    timestamp = headers["X-CRM-Timestamp"]
    if abs(time.time() - int(timestamp)) > tolerance:
        return False
    expected = hmac.new(
        secret.encode("utf-8"), f"{timestamp}.".encode() + body, hashlib.sha256
    ).hexdigest()
    scheme, _, given = headers["X-CRM-Signature"].partition("=")
    return scheme == "v1" and hmac.compare_digest(expected, given)


def publish_customer_created(key="customer:1"):
    return events.publish(
        events.CUSTOMER_CREATED, data={"customer_id": 1, "display_name": "Acme"}, key=key
    )


@pytest.fixture
def publish(django_capture_on_commit_callbacks):
    """Publish an event in a transaction and run what its commit queues (eager Celery)."""

    def run(**kwargs):
        with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
            event = publish_customer_created(**kwargs)
        return event

    return run


def test_a_delivery_is_signed_and_a_reference_implementation_verifies_it(
    subscription, receiver, publish
):
    event = publish()

    [request] = receiver.requests
    headers, body = request["headers"], request["body"]
    assert reference_signature_ok(subscription.secret, headers, body)
    assert not reference_signature_ok("another secret", headers, body)
    assert not reference_signature_ok(subscription.secret, headers, body + b" ")
    delivery = WebhookDelivery.objects.get()
    assert headers["X-CRM-Event"] == "customer.created"
    assert headers["X-CRM-Delivery"] == str(delivery.pk)
    assert headers["Content-Type"] == "application/json"
    assert json.loads(body) == {
        "id": event.key,
        "event": "customer.created",
        "occurred_at": events.iso(event.occurred_at),
        "data": {"customer_id": 1, "display_name": "Acme"},
    }
    delivery.refresh_from_db()
    assert delivery.state == WebhookDelivery.State.DELIVERED
    [attempt] = delivery.attempt_log.all()
    assert attempt.status_code == 200
    assert attempt.response_excerpt == '{"ok": true}'


def test_nothing_is_recorded_or_sent_when_the_write_rolls_back(
    subscription, receiver, django_capture_on_commit_callbacks
):
    with (
        django_capture_on_commit_callbacks(execute=True) as callbacks,
        pytest.raises(RuntimeError),
        transaction.atomic(),
    ):
        publish_customer_created()
        assert WebhookDelivery.objects.count() == 1
        raise RuntimeError("the payment failed after the event")
    assert callbacks == []
    assert WebhookDelivery.objects.count() == 0
    assert receiver.requests == []


def test_nothing_is_sent_before_the_commit(subscription, receiver):
    with transaction.atomic():
        publish_customer_created()
    # The test's own transaction has not committed: the delivery waits, queued.
    assert WebhookDelivery.objects.get().state == WebhookDelivery.State.PENDING
    assert receiver.requests == []


def test_only_active_subscriptions_to_the_event_get_a_delivery(
    subscription, manager, receiver, publish
):
    WebhookSubscription.objects.create(
        name="Tickets only", owner=manager, target_url=receiver.url, events=["ticket.sla_breached"]
    )
    WebhookSubscription.objects.create(
        name="Off",
        owner=manager,
        target_url=receiver.url,
        events=["customer.created"],
        active=False,
    )
    publish()
    assert list(WebhookDelivery.objects.values_list("subscription__name", flat=True)) == ["ERP"]


def test_an_event_with_a_key_is_delivered_once_however_often_it_is_published(
    subscription, receiver, publish
):
    publish(key="ticket:7:response")
    publish(key="ticket:7:response")
    assert WebhookDelivery.objects.count() == 1
    assert len(receiver.requests) == 1


def test_failed_attempts_are_retried_on_the_schedule_then_the_delivery_fails(
    subscription, receiver, publish, settings, django_capture_on_commit_callbacks
):
    settings.WEBHOOK_RETRY_SCHEDULE = [60, 300, 1800]
    receiver.status = 500
    receiver.body = b"database is down " * 100
    publish()
    delivery = WebhookDelivery.objects.get()
    pauses = []
    for _retry in range(3):
        delivery.refresh_from_db()
        assert delivery.state == WebhookDelivery.State.PENDING
        last = delivery.attempt_log.order_by("-number").first()
        pauses.append(round((delivery.next_attempt_at - last.at).total_seconds()))
        # Not due yet: nothing is queued.
        assert (
            services.deliveries_send_due(now=delivery.next_attempt_at - timedelta(seconds=1)) == 0
        )
        with django_capture_on_commit_callbacks(execute=True):
            assert services.deliveries_send_due(now=delivery.next_attempt_at) == 1
    delivery.refresh_from_db()
    assert pauses == [60, 300, 1800]
    assert delivery.state == WebhookDelivery.State.FAILED
    assert delivery.attempts == 4
    assert len(receiver.requests) == 4
    attempts = list(delivery.attempt_log.order_by("number"))
    assert [a.number for a in attempts] == [1, 2, 3, 4]
    assert all(a.status_code == 500 for a in attempts)
    assert all(len(a.response_excerpt) == 500 for a in attempts)  # bounded
    subscription.refresh_from_db()
    assert subscription.consecutive_failures == 1
    assert subscription.active


def test_a_success_after_failures_delivers_and_clears_the_failure_count(
    subscription, receiver, publish, django_capture_on_commit_callbacks
):
    WebhookSubscription.objects.filter(pk=subscription.pk).update(consecutive_failures=3)
    receiver.statuses = [503]
    publish()
    delivery = WebhookDelivery.objects.get()
    with django_capture_on_commit_callbacks(execute=True):
        services.deliveries_send_due(now=delivery.next_attempt_at)
    delivery.refresh_from_db()
    assert delivery.state == WebhookDelivery.State.DELIVERED
    assert [a.status_code for a in delivery.attempt_log.order_by("number")] == [503, 200]
    subscription.refresh_from_db()
    assert subscription.consecutive_failures == 0


def test_a_repeated_task_message_makes_its_attempt_once(subscription, receiver, publish):
    publish()
    delivery = WebhookDelivery.objects.get()
    # The broker delivers at least once: the first attempt's message arrives again.
    assert services.delivery_attempt(delivery_id=delivery.pk, attempt=0) is None
    assert len(receiver.requests) == 1
    assert WebhookAttempt.objects.count() == 1


def test_a_receiver_that_does_not_answer_times_out_and_the_attempt_is_logged(
    subscription, receiver, publish, settings
):
    settings.WEBHOOK_TIMEOUT = 0.3
    receiver.hang = True
    publish()
    attempt = WebhookAttempt.objects.get()
    assert attempt.status_code is None
    assert "timed out" in attempt.error.lower()
    assert attempt.duration_ms >= 250
    assert WebhookDelivery.objects.get().state == WebhookDelivery.State.PENDING


def test_a_redirect_is_not_followed(subscription, receiver, publish):
    receiver.status = 302
    publish()
    attempt = WebhookAttempt.objects.get()
    assert attempt.status_code == 302
    assert len(receiver.requests) == 1
    assert WebhookDelivery.objects.get().state == WebhookDelivery.State.PENDING


def test_a_private_target_is_refused_at_delivery_when_not_allowed(
    subscription, receiver, publish, settings
):
    settings.WEBHOOK_ALLOW_PRIVATE_TARGETS = False
    publish()
    attempt = WebhookAttempt.objects.get()
    assert attempt.status_code is None
    assert "private" in attempt.error
    assert receiver.requests == []


def test_repeated_failed_deliveries_switch_the_subscription_off_and_tell_its_owner(
    subscription, receiver, publish, settings, manager
):
    settings.WEBHOOK_RETRY_SCHEDULE = []  # every failed attempt is a failed delivery
    settings.WEBHOOK_DISABLE_AFTER = 2
    receiver.status = 500
    publish(key="a")
    subscription.refresh_from_db()
    assert subscription.active and subscription.consecutive_failures == 1
    assert not Notification.objects.exists()

    publish(key="b")
    subscription.refresh_from_db()
    assert not subscription.active
    assert subscription.disabled_at is not None
    notification = Notification.objects.get()
    assert notification.recipient == manager
    assert notification.kind == Notification.Kind.WEBHOOK_DISABLED
    assert "ERP" in notification.message and receiver.url in notification.message
    [message] = mail.outbox
    assert message.to == [manager.email]
    assert "ERP" in message.body

    publish(key="c")  # switched off: nothing more is recorded or sent
    assert WebhookDelivery.objects.count() == 2
    assert len(receiver.requests) == 2


def test_deliveries_pending_when_the_subscription_is_switched_off_are_cancelled(
    subscription, receiver, publish, django_capture_on_commit_callbacks
):
    receiver.status = 500
    publish()
    services.subscription_set_active(subscription=subscription, active=False)
    delivery = WebhookDelivery.objects.get()
    with django_capture_on_commit_callbacks(execute=True):
        services.deliveries_send_due(now=delivery.next_attempt_at)
    delivery.refresh_from_db()
    assert delivery.state == WebhookDelivery.State.CANCELLED
    assert len(receiver.requests) == 1


def test_a_delivery_whose_worker_died_is_queued_again_after_its_lease(
    subscription, receiver, django_capture_on_commit_callbacks
):
    with transaction.atomic():
        publish_customer_created()  # its commit (and so its first attempt) never comes here
    delivery = WebhookDelivery.objects.get()
    assert services.deliveries_send_due() == 0  # the publisher still holds it
    later = timezone.now() + timedelta(minutes=3)
    with django_capture_on_commit_callbacks(execute=True):
        assert services.deliveries_send_due(now=later) == 1
    delivery.refresh_from_db()
    assert delivery.state == WebhookDelivery.State.DELIVERED
    assert len(receiver.requests) == 1


def test_redelivering_sends_the_same_event_as_a_new_delivery(
    subscription, receiver, publish, django_capture_on_commit_callbacks
):
    publish()
    first = WebhookDelivery.objects.get()
    with django_capture_on_commit_callbacks(execute=True):
        again = services.delivery_redeliver(delivery=first)
    assert again.pk != first.pk
    assert again.redelivery_of == first
    assert [r["headers"]["X-CRM-Delivery"] for r in receiver.requests] == [
        str(first.pk),
        str(again.pk),
    ]
    assert json.loads(receiver.bodies[0])["id"] == json.loads(receiver.bodies[1])["id"]


def test_a_rotated_secret_signs_the_next_delivery(subscription, receiver, publish):
    old = subscription.secret
    services.subscription_rotate_secret(subscription=subscription)
    publish()
    [request] = receiver.requests
    assert subscription.secret != old
    assert reference_signature_ok(subscription.secret, request["headers"], request["body"])
    assert not reference_signature_ok(old, request["headers"], request["body"])
