"""Staff alerts by e-mail at once, or only in the daily digest, by each user's preference: stall
warnings, SLA breaches, escalations and approvals requested all go through notification_send,
and the digest lists them either way."""

from datetime import timedelta

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from analytics import digest
from core.alerts import alerts_at_once, profile_set_alerts
from core.models import UserProfile
from processes import services
from processes.models import Notification
from tests.factories import ProcessDefinitionFactory

pytestmark = pytest.mark.django_db

DIGEST_ONLY = UserProfile.Alerts.DIGEST


@pytest.fixture(autouse=True)
def _timing(settings):
    settings.PROCESS_STALL_DAYS = 7
    settings.PROCESS_ESCALATION_HOURS = 24


def stalled_deal(customer, owner):
    definition = ProcessDefinitionFactory(name="Sales", kind="sales")
    opened = timezone.now() - timedelta(days=30)
    instance = services.instance_open(
        definition=definition, customer=customer, title="Quiet deal", by=owner, at=opened
    )
    qualified = definition.stages.get(name="Qualified")  # no SLA: only the stall watch applies
    services.instance_move(instance=instance, to_stage=qualified, by=owner, at=opened)
    return instance, opened


def test_alerts_are_emailed_at_once_by_default(customer, sales_rep):
    assert alerts_at_once(sales_rep)
    _instance, opened = stalled_deal(customer, sales_rep)
    services.processes_watch(now=opened + timedelta(days=7, hours=1))
    [warning] = Notification.objects.all()
    assert warning.kind == "stall_warning" and warning.emailed
    assert [m.to for m in mail.outbox] == [[sales_rep.email]]


def test_digest_only_alerts_are_recorded_not_emailed_and_listed_in_the_digest(
    customer, sales_rep, manager
):
    profile_set_alerts(user=sales_rep, alerts_by_email=DIGEST_ONLY)
    profile_set_alerts(user=manager, alerts_by_email=DIGEST_ONLY)
    instance, opened = stalled_deal(customer, sales_rep)
    now = opened + timedelta(days=7 + 2)  # warned, then escalated to the managers
    services.processes_watch(now=now)
    kinds = sorted(Notification.objects.values_list("recipient__username", "kind", "emailed"))
    assert kinds == [
        ("mike_manager", "stall_escalation", False),
        ("sally_sales", "stall_warning", False),
    ]
    assert mail.outbox == []

    # The digest lists them: the owner's warning in the owner's, the escalation in the manager's.
    sent = digest.digest_send(user=sales_rep, now=timezone.now(), today=timezone.localdate())
    assert sent
    [letter] = mail.outbox
    assert "Alerts since your last digest" in letter.body
    assert "Quiet deal" in letter.body and instance.get_absolute_url() in letter.body
    found = digest.digest_for(manager, now=timezone.now(), since=now - timedelta(days=1))
    assert [alert.kind for alert in found.alerts] == ["stall_escalation"]


def test_alerts_emailed_at_once_stay_in_the_digest_too(customer, sales_rep):
    _instance, opened = stalled_deal(customer, sales_rep)
    services.processes_watch(now=opened + timedelta(days=7, hours=1))
    found = digest.digest_for(sales_rep, now=timezone.now(), since=opened)
    assert [alert.kind for alert in found.alerts] == ["stall_warning"]


def test_an_approval_requested_follows_each_managers_preference(customer, sales_rep, manager):
    from tests.factories import UserFactory

    other_manager = UserFactory(username="maria_manager", roles=["manager"])
    profile_set_alerts(user=manager, alerts_by_email=DIGEST_ONLY)
    definition = ProcessDefinitionFactory(name="Sales", kind="sales")
    instance = services.instance_open(
        definition=definition, customer=customer, title="Big deal", by=sales_rep
    )
    mail.outbox.clear()
    services.opportunity_set_discount(
        instance=instance, percent=30, reason="Competitor offer", by=sales_rep
    )
    requested = Notification.objects.filter(kind="approval_requested")
    assert sorted(requested.values_list("recipient__username", "emailed")) == [
        ("maria_manager", True),
        ("mike_manager", False),
    ]
    assert [m.to for m in mail.outbox] == [[other_manager.email]]


def test_sla_breaches_follow_the_preference(customer, service_agent):
    from tests.factories import SlaPolicyFactory

    profile_set_alerts(user=service_agent, alerts_by_email=DIGEST_ONLY)
    support = ProcessDefinitionFactory(name="Support", kind="support")
    SlaPolicyFactory(definition=support, priority="normal", response_hours=1, resolution_hours=4)
    ticket = services.ticket_open(
        definition=support,
        customer=customer,
        subject="Printer offline",
        description="It does not print.",
        by=service_agent,
        priority="normal",
    )
    instance = ticket.instance
    services.processes_watch(now=timezone.now() + timedelta(hours=5))
    kinds = set(Notification.objects.filter(instance=instance).values_list("kind", flat=True))
    assert "response_sla_breach" in kinds or "resolution_sla_breach" in kinds
    assert not Notification.objects.filter(emailed=True, recipient=service_agent).exists()
    assert not [m for m in mail.outbox if m.to == [service_agent.email]]


def test_the_preference_is_chosen_on_my_settings(persona_client, sales_rep):
    client = persona_client(sales_rep)
    page = client.get(reverse("analytics:my_settings")).content.decode()
    assert 'id="alerts-at_once" value="at_once" checked' in page
    response = client.post(
        reverse("alerts_choose"),
        {"alerts_by_email": "digest", "next": reverse("analytics:my_settings")},
    )
    assert response.status_code == 302
    assert not alerts_at_once(UserProfile.objects.get(user=sales_rep).user)
    page = client.get(reverse("analytics:my_settings")).content.decode()
    assert 'id="alerts-digest" value="digest" checked' in page


def test_a_bad_choice_is_refused_and_changes_nothing(persona_client, sales_rep):
    client = persona_client(sales_rep)
    response = client.post(reverse("alerts_choose"), {"alerts_by_email": "hourly"}, follow=True)
    assert "Choose how you hear of alerts" in response.content.decode()
    assert alerts_at_once(sales_rep)
    assert client.get(reverse("alerts_choose")).status_code == 405
