"""The daily digest: one e-mail a morning telling each user what needs them.

Four sections, each about the user's own work: their customers whose value changed since the
last digest (another grade, or more money overdue), their overdue tasks, their open
processes and tickets past a deadline or within DIGEST_SLA_HOURS of one, and the alerts they
were sent since the last digest (whether e-mailed at once or not: core.alerts). A user with nothing
in any section gets no e-mail; so does a user who turned the digest off (DigestSubscription) or
who has no e-mail address.

Sent at most once per user and day, however many times the job runs and however many workers
run it at once: a DigestLog row (unique per user and day) is inserted before the e-mail goes out.
"""

import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import IntegrityError, transaction
from django.db.models import OuterRef, Q, Subquery
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _

from core.i18n import user_language
from core.users import staff_users
from customers.models import Customer
from processes.models import Notification, ProcessInstance, Task, Ticket
from processes.services import ALERT_KINDS

from .models import CustomerScore, DigestLog, DigestSubscription

logger = logging.getLogger(__name__)

MAX_ITEMS = 25  # per section; beyond it the e-mail links to the full list
# The first digest reports the last day's changes; after a long pause, the last week's at most.
FIRST_LOOKBACK = timedelta(days=1)
MAX_LOOKBACK = timedelta(days=7)


def absolute_url(path):
    """A link that works from an e-mail: the request that would give the host is missing."""
    return f"{settings.SITE_URL}{path}"


@dataclass(frozen=True)
class ValueChange:
    customer: Customer
    grade_before: str | None
    grade_now: str | None
    overdue_before: Decimal
    overdue_now: Decimal
    currency: str

    @property
    def grade_changed(self):
        return self.grade_before != self.grade_now

    @property
    def overdue_rose(self):
        return self.overdue_now > self.overdue_before

    @property
    def url(self):
        return absolute_url(self.customer.get_absolute_url())


@dataclass(frozen=True)
class SlaRisk:
    instance: ProcessInstance
    deadline: str
    due_at: datetime
    is_late: bool

    @property
    def url(self):
        return absolute_url(self.instance.get_absolute_url())


@dataclass
class Digest:
    user: object
    since: datetime
    now: datetime
    changes: list[ValueChange] = field(default_factory=list)
    tasks: list[Task] = field(default_factory=list)
    risks: list[SlaRisk] = field(default_factory=list)
    alerts: list[Notification] = field(default_factory=list)
    more_changes: bool = False
    more_tasks: bool = False
    more_risks: bool = False
    more_alerts: bool = False

    @property
    def is_empty(self):
        return not (self.changes or self.tasks or self.risks or self.alerts)

    @property
    def size(self):
        return len(self.changes) + len(self.tasks) + len(self.risks) + len(self.alerts)


# --- What goes in it ------------------------------------------------------------------------


def value_changes(user, *, since, limit=MAX_ITEMS):
    """The user's customers whose current score, computed after `since`, has another grade or
    more overdue than the score they had at `since` (none: a first score with a grade counts)."""
    before = CustomerScore.objects.filter(
        customer=OuterRef("customer_id"), computed_at__lte=since
    ).order_by("-computed_at", "-id")  # score_customer_idx
    scores = (
        CustomerScore.objects.current()
        .filter(customer__owner=user, computed_at__gt=since)
        .annotate(
            grade_before=Subquery(before.values("grade")[:1]),
            overdue_before=Subquery(before.values("overdue_amount")[:1]),
        )
        .select_related("customer")
        .order_by("customer__display_name", "customer_id")
    )
    changes = []
    # Only customers rescored since the last digest come back: the scoring job writes a new
    # snapshot only when something in it changed. Most changes (LTV, contact figures) are not
    # news for the owner, hence the filter here.
    for score in scores.iterator(chunk_size=500):
        change = ValueChange(
            customer=score.customer,
            grade_before=score.grade_before,
            grade_now=score.grade,
            overdue_before=score.overdue_before or Decimal(0),
            overdue_now=score.overdue_amount,
            currency=score.currency,
        )
        if change.grade_changed or change.overdue_rose:
            changes.append(change)
            if len(changes) > limit:
                break
    return changes


def overdue_tasks(user, *, today, limit=MAX_ITEMS):
    return list(
        Task.objects.open()
        .filter(assignee=user, due_on__lt=today)  # task_assignee_idx
        .select_related("customer", "instance")
        .order_by("due_on", "id")[: limit + 1]
    )


def sla_risks(user, *, now, hours, limit=MAX_ITEMS):
    """The user's open instances whose stage deadline, and open tickets whose response or
    resolution deadline, has passed or falls within `hours`; the soonest first."""
    horizon = now + timedelta(hours=hours)
    instances = (
        ProcessInstance.objects.open()
        .filter(owner=user, stage_due_at__lte=horizon)  # instance_owner_idx
        .select_related("customer", "stage")
        .order_by("stage_due_at", "id")[: limit + 1]
    )
    risks = [
        SlaRisk(
            instance=instance,
            deadline=_("stage “%(stage)s”") % {"stage": instance.stage},
            due_at=instance.stage_due_at,
            is_late=instance.stage_due_at < now,
        )
        for instance in instances
    ]
    tickets = (
        Ticket.objects.filter(instance__owner=user, instance__closed_at__isnull=True)
        .filter(
            Q(first_response_at__isnull=True, response_due_at__lte=horizon)
            | Q(resolved_at__isnull=True, resolution_due_at__lte=horizon)
        )
        .select_related("instance__customer")
        .order_by("resolution_due_at", "instance_id")[: limit + 1]
    )
    for ticket in tickets:
        deadlines = [
            (_("first response"), ticket.response_due_at, ticket.first_response_at),
            (_("resolution"), ticket.resolution_due_at, ticket.resolved_at),
        ]
        for label, due_at, done_at in deadlines:
            if done_at is None and due_at is not None and due_at <= horizon:
                risks.append(
                    SlaRisk(
                        instance=ticket.instance,
                        deadline=label,
                        due_at=due_at,
                        is_late=due_at < now,
                    )
                )
    risks.sort(key=lambda risk: (risk.due_at, risk.instance.pk))
    return risks


def alerts_since(user, *, since, limit=MAX_ITEMS):
    """The alerts the user was sent since the last digest (stall warnings, SLA breaches,
    escalations, approvals requested), newest first: listed whether or not they were e-mailed
    when they happened (core.alerts)."""
    return list(
        Notification.objects.filter(recipient=user, kind__in=ALERT_KINDS, created_at__gt=since)
        .select_related("instance")
        .order_by("-created_at", "-id")[: limit + 1]
    )


def digest_for(user, *, now, since) -> Digest:
    """What the user's digest would say at `now`, reporting value changes after `since`."""
    changes = value_changes(user, since=since)
    tasks = overdue_tasks(user, today=timezone.localdate(now))
    risks = sla_risks(user, now=now, hours=settings.DIGEST_SLA_HOURS)
    alerts = alerts_since(user, since=since)
    return Digest(
        user=user,
        since=since,
        now=now,
        changes=changes[:MAX_ITEMS],
        tasks=tasks[:MAX_ITEMS],
        risks=risks[:MAX_ITEMS],
        alerts=alerts[:MAX_ITEMS],
        more_alerts=len(alerts) > MAX_ITEMS,
        more_changes=len(changes) > MAX_ITEMS,
        more_tasks=len(tasks) > MAX_ITEMS,
        more_risks=len(risks) > MAX_ITEMS,
    )


def digest_recipients(*, today):
    """Users who should get today's digest: active members of a role with an e-mail address,
    not opted out, not yet sent one today; each with the time of their last digest."""
    last_sent = (
        DigestLog.objects.filter(user=OuterRef("pk"))
        .order_by("-day")  # digest_once_per_user_and_day
        .values("sent_at")[:1]
    )
    return (
        staff_users()
        .exclude(email="")
        .exclude(digest_subscription__enabled=False)
        .exclude(digest_logs__day=today)
        .annotate(last_digest_at=Subquery(last_sent))
        .select_related("crm_profile")  # the language each digest is written in
        .order_by("pk")
    )


# --- Sending --------------------------------------------------------------------------------


def _task_path(task):
    return (task.instance or task.customer).get_absolute_url()


def digest_email(digest: Digest) -> EmailMultiAlternatives:
    context = {
        "digest": digest,
        "user": digest.user,
        "day": timezone.localdate(digest.now),
        "site_url": settings.SITE_URL,
        "tasks_url": absolute_url(reverse("processes:task_list") + "?state=overdue"),
        "tasks": [(task, absolute_url(_task_path(task))) for task in digest.tasks],
        "processes_url": absolute_url(
            reverse("processes:instance_list") + f"?state=open&owner={digest.user.pk}&ordering=due"
        ),
        "settings_url": absolute_url(reverse("analytics:my_settings")),
        "alerts": [
            (alert, absolute_url(alert.instance.get_absolute_url()) if alert.instance else "")
            for alert in digest.alerts
        ],
        "notifications_url": absolute_url(reverse("processes:notification_list")),
    }
    subject = render_to_string("analytics/emails/digest_subject.txt", context)
    message = EmailMultiAlternatives(
        subject=" ".join(subject.split()),
        body=render_to_string("analytics/emails/digest.txt", context),
        to=[digest.user.email],
    )
    message.attach_alternative(
        render_to_string("analytics/emails/digest.html", context), "text/html"
    )
    return message


def digest_send(*, user, now, today) -> bool:
    """Compute and send `user`'s digest for `today`; False when there was nothing to report or
    another run sent it first."""
    # Written in the user's language (their profile's, else LANGUAGE_CODE): the texts the
    # sections compute, the subject, the body, its dates and amounts.
    with translation.override(user_language(user)):
        return _digest_send(user=user, now=now, today=today)


def _digest_send(*, user, now, today) -> bool:
    last_sent = getattr(user, "last_digest_at", None)  # annotated by digest_recipients
    since = max(last_sent or now - FIRST_LOOKBACK, now - MAX_LOOKBACK)
    digest = digest_for(user, now=now, since=since)
    if digest.is_empty:
        return False
    try:
        with transaction.atomic():
            log = DigestLog.objects.create(user=user, day=today, sent_at=now, items=digest.size)
    except IntegrityError:
        return False  # another run (or worker) claimed today's digest for this user
    try:
        digest_email(digest).send()
    except Exception:
        # Free the day again, so a later run today can retry; the other digests still go out.
        logger.exception("Could not e-mail the daily digest to user %s", user.pk)
        DigestLog.objects.filter(pk=log.pk).delete()
        return False
    return True


def digests_send(*, now=None) -> int:
    """Today's digests for everyone who has something to read; returns how many were sent."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    return sum(
        digest_send(user=user, now=now, today=today)
        for user in digest_recipients(today=today).iterator(chunk_size=200)
    )


def digest_subscription_set(*, user, enabled) -> DigestSubscription:
    """Turn the user's digest on or off (the row is created on the first change)."""
    subscription, _created = DigestSubscription.objects.update_or_create(
        user=user, defaults={"enabled": enabled}
    )
    return subscription
