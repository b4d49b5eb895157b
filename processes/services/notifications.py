"""Notifications: recorded in the app and e-mailed, once per recipient and event."""

import logging

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation

from core.alerts import alerts_at_once
from core.i18n import user_language
from core.models import ExportJob
from core.permissions import MANAGER

from ..models import Notification

logger = logging.getLogger(__name__)

# The alerts staff choose to get by e-mail at once or only in the daily digest (core.alerts);
# the digest lists them in either case.
ALERT_KINDS = (
    Notification.Kind.STALL_WARNING,
    Notification.Kind.STALL_ESCALATION,
    Notification.Kind.STAGE_SLA_WARNING,
    Notification.Kind.STAGE_SLA_ESCALATION,
    Notification.Kind.RESPONSE_SLA_BREACH,
    Notification.Kind.RESOLUTION_SLA_BREACH,
    Notification.Kind.APPROVAL_REQUESTED,
)


def managers():
    return (
        get_user_model()
        .objects.filter(is_active=True, groups__name=MANAGER)
        .select_related("crm_profile")  # each is written to in their language
        .distinct()
        .order_by("pk")
    )


def notification_send(
    *, recipient, kind, occurrence, params=None, message="", instance=None, link=""
) -> bool:
    """Record an in-app notification and e-mail it (unless the recipient takes alerts in the
    digest only), once per (recipient, kind, instance, occurrence): returns False, sending
    nothing, when it was sent before.

    What it says is stored as `params` (plain values: names, codes, numbers) that the
    notification's kind writes as a sentence (Notification.text) in the language of whoever
    reads it, whenever they read it; the e-mail and `message` (the text as sent) are written
    in the recipient's language (their profile's, else LANGUAGE_CODE), whoever triggered them.
    Without `params`, `message` is a text that is shown as it is, in every language (one that
    is not the CRM's to translate).
    """
    with translation.override(user_language(recipient)):
        notification = Notification(
            recipient=recipient,
            kind=kind,
            instance=instance,
            occurrence=occurrence,
            params=params or {},
            message=message,
        )
        notification.message = str(notification.text)[:300]
        notification.link = link
        try:
            with transaction.atomic():
                notification.save()
        except IntegrityError:
            return False
        # By e-mail at once unless the recipient chose the digest only (core.alerts); the
        # digest lists every alert either way.
        if recipient.email and alerts_at_once(recipient):
            _email(notification, recipient=recipient, instance=instance)
    return True


def _email(notification, *, recipient, instance):
    context = {
        "notification": notification,
        "instance": instance,
        "recipient": recipient,
        # The e-mail is read outside the CRM: its link names the site (SITE_URL).
        "instance_url": f"{settings.SITE_URL}{instance.get_absolute_url()}" if instance else "",
        "link_url": f"{settings.SITE_URL}{notification.link}" if notification.link else "",
    }
    try:
        send_mail(
            subject=render_to_string("processes/emails/notification_subject.txt", context).strip(),
            message=render_to_string("processes/emails/notification_body.txt", context),
            from_email=None,
            recipient_list=[recipient.email],
        )
    except Exception:  # The in-app notification stands; the mail server's trouble is logged.
        logger.exception("Could not e-mail notification %s", notification.pk)
    else:
        Notification.objects.filter(pk=notification.pk).update(emailed=True)


def notification_mark_read(*, user, notification=None) -> int:
    queryset = Notification.objects.filter(recipient=user, read_at__isnull=True)
    if notification is not None:
        queryset = queryset.filter(pk=notification.pk)
    return queryset.update(read_at=timezone.now())


def export_finished(job) -> None:
    """A background export is ready (or failed): its owner is told, with the link to its file
    (or to My exports to try again). Registered with core.export_jobs.on_finished."""
    done = job.status == ExportJob.Status.DONE
    if done:
        link = reverse("export_download", args=[job.pk])
        params = {"list": job.list_key, "rows": job.rows}
    else:
        link = reverse("export_list")
        params = {"list": job.list_key, "error": job.error}
    notification_send(
        recipient=job.user,
        kind=Notification.Kind.EXPORT_READY if done else Notification.Kind.EXPORT_FAILED,
        params=params,
        # A failed export run again is another occurrence.
        occurrence=f"export:{job.pk}:{job.finished_at:%Y%m%d%H%M%S%f}",
        link=link,
    )
