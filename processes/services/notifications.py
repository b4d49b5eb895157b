"""Notifications: recorded in the app and e-mailed, once per recipient and event."""

import logging

from django.contrib.auth import get_user_model
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.template.loader import render_to_string
from django.utils import timezone

from core.permissions import MANAGER

from ..models import Notification

logger = logging.getLogger(__name__)


def managers():
    return (
        get_user_model()
        .objects.filter(is_active=True, groups__name=MANAGER)
        .distinct()
        .order_by("pk")
    )


def notification_send(*, recipient, kind, message, occurrence, instance=None) -> bool:
    """Record an in-app notification and e-mail it, once per (recipient, kind, instance,
    occurrence): returns False, sending nothing, when it was sent before."""
    try:
        with transaction.atomic():
            notification = Notification.objects.create(
                recipient=recipient,
                kind=kind,
                instance=instance,
                occurrence=occurrence,
                message=message[:300],
            )
    except IntegrityError:
        return False
    if recipient.email:
        context = {"notification": notification, "instance": instance, "recipient": recipient}
        try:
            send_mail(
                subject=render_to_string(
                    "processes/emails/notification_subject.txt", context
                ).strip(),
                message=render_to_string("processes/emails/notification_body.txt", context),
                from_email=None,
                recipient_list=[recipient.email],
            )
        except Exception:  # The in-app notification stands; the mail server's trouble is logged.
            logger.exception("Could not e-mail notification %s", notification.pk)
        else:
            Notification.objects.filter(pk=notification.pk).update(emailed=True)
    return True


def notification_mark_read(*, user, notification=None) -> int:
    queryset = Notification.objects.filter(recipient=user, read_at__isnull=True)
    if notification is not None:
        queryset = queryset.filter(pk=notification.pk)
    return queryset.update(read_at=timezone.now())
