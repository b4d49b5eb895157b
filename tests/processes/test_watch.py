"""The stall and SLA watch: owners are warned, managers told after a further period, and each
warning goes out exactly once however often the job runs."""

from datetime import timedelta

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from processes import services, tasks
from processes.models import Notification

from .conftest import stage

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _timing(settings):
    settings.PROCESS_STALL_DAYS = 7
    settings.PROCESS_ESCALATION_HOURS = 24


def test_past_the_stage_sla_the_owner_is_warned_once(opportunity, sales_rep, manager):
    # Lead has a 48 h SLA.
    now = opportunity.stage_entered_at + timedelta(hours=49)
    assert services.processes_watch(now=now) == 1
    assert services.processes_watch(now=now) == 0
    assert services.processes_watch(now=now + timedelta(hours=1)) == 0
    (warning,) = Notification.objects.all()
    assert (warning.recipient, warning.kind) == (sales_rep, "stage_sla_warning")
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == [sales_rep.email]
    assert opportunity.title in mail.outbox[0].subject


def test_a_further_period_late_the_managers_are_told_once(opportunity, sales_rep, manager):
    now = opportunity.stage_entered_at + timedelta(hours=48 + 25)
    services.processes_watch(now=now)
    services.processes_watch(now=now + timedelta(hours=2))
    kinds = sorted(Notification.objects.values_list("recipient__username", "kind"))
    assert kinds == [
        ("mike_manager", "stage_sla_escalation"),
        ("sally_sales", "stage_sla_warning"),
    ]
    assert len(mail.outbox) == 2


def test_re_entering_a_stage_is_a_new_occurrence(opportunity, sales_process, sales_rep):
    later = opportunity.stage_entered_at + timedelta(hours=49)
    services.processes_watch(now=later)
    services.instance_move(
        instance=opportunity, to_stage=stage(sales_process, "Qualified"), by=sales_rep, at=later
    )
    services.instance_move(
        instance=opportunity, to_stage=stage(sales_process, "Lead"), by=sales_rep, at=later
    )
    services.processes_watch(now=later + timedelta(hours=49))
    assert Notification.objects.filter(kind="stage_sla_warning").count() == 2


def test_a_stalled_instance_warns_its_owner_once(sales_process, customer, sales_rep):
    # Qualified has no SLA: only the stall watch applies.
    opened = timezone.now() - timedelta(days=30)
    instance = services.instance_open(
        definition=sales_process, customer=customer, title="Quiet deal", by=sales_rep, at=opened
    )
    services.instance_move(
        instance=instance, to_stage=stage(sales_process, "Qualified"), by=sales_rep, at=opened
    )
    now = opened + timedelta(days=7, hours=1)
    services.processes_watch(now=now)
    services.processes_watch(now=now)
    assert list(Notification.objects.values_list("kind", flat=True)) == ["stall_warning"]


def test_activity_resets_the_stall_clock(sales_process, customer, sales_rep):
    opened = timezone.now() - timedelta(days=30)
    instance = services.instance_open(
        definition=sales_process, customer=customer, title="Deal", by=sales_rep, at=opened
    )
    services.instance_move(
        instance=instance, to_stage=stage(sales_process, "Qualified"), by=sales_rep, at=opened
    )
    services.instance_log_work(instance=instance, user=sales_rep, minutes=10)
    assert services.processes_watch(now=timezone.now() + timedelta(days=1)) == 0


def test_a_definition_sets_its_own_stall_period(sales_process, customer, sales_rep):
    sales_process.stall_days = 2
    sales_process.save()
    opened = timezone.now() - timedelta(days=3)
    instance = services.instance_open(
        definition=sales_process, customer=customer, title="Deal", by=sales_rep, at=opened
    )
    services.instance_move(
        instance=instance, to_stage=stage(sales_process, "Qualified"), by=sales_rep, at=opened
    )
    services.processes_watch()
    assert Notification.objects.filter(kind="stall_warning").count() == 1


def test_ticket_breaches_warn_the_owner_once_each(ticket, service_agent, manager):
    now = ticket.resolution_due_at + timedelta(minutes=1)
    tasks.watch_processes.apply()  # the Celery task, eagerly
    services.processes_watch(now=now)
    services.processes_watch(now=now)
    kinds = set(Notification.objects.filter(recipient=service_agent).values_list("kind", flat=True))
    assert {"response_sla_breach", "resolution_sla_breach"} <= kinds
    assert Notification.objects.filter(recipient=service_agent).count() == len(
        set(Notification.objects.filter(recipient=service_agent).values_list("kind", "occurrence"))
    )


def test_closed_instances_are_left_alone(opportunity, sales_process, sales_rep):
    services.instance_move(
        instance=opportunity, to_stage=stage(sales_process, "Lost"), by=sales_rep, reason="No"
    )
    assert services.processes_watch(now=timezone.now() + timedelta(days=60)) == 0


def test_users_see_and_clear_their_notifications(persona_client, opportunity, sales_rep, manager):
    services.processes_watch(now=opportunity.stage_entered_at + timedelta(hours=49))
    client = persona_client(sales_rep)
    response = client.get(reverse("processes:notification_list"), {"unread": "1"})
    (notification,) = response.context["page"]
    assert opportunity.title in response.content.decode()
    client.post(reverse("processes:notification_read", args=[notification.pk]))
    notification.refresh_from_db()
    assert notification.read_at is not None
    assert not client.get(reverse("processes:notification_list"), {"unread": "1"}).context["page"]
