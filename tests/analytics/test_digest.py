"""The daily digest: what it says, that it goes out once per user and day, and who gets none;
and the page where users turn it off and on."""

import re
from datetime import date, datetime, timedelta
from decimal import Decimal

import pytest
from django.conf import settings
from django.core import mail
from django.core.mail import EmailMultiAlternatives
from django.test.signals import template_rendered
from django.urls import reverse
from django.utils import timezone, translation

from analytics import digest
from analytics.models import CustomerScore, DigestLog, DigestSubscription
from analytics.tasks import send_daily_digests
from core.models import UserProfile
from processes import services as process_services
from processes.models import ProcessInstance, Ticket
from tests.factories import CustomerFactory, ProcessDefinitionFactory, SlaPolicyFactory

pytestmark = pytest.mark.django_db

# 07:00 in Warsaw on 30 June; the last digest went out a day before.
NOW = timezone.make_aware(datetime(2026, 6, 30, 7, 0))
SINCE = NOW - timedelta(days=1)
TODAY = date(2026, 6, 30)


def score(customer, params, *, at, grade, overdue="0", current=True):
    if current:
        CustomerScore.objects.filter(customer=customer, is_current=True).update(is_current=False)
    return CustomerScore.objects.create(
        customer=customer,
        computed_at=at,
        as_of=at.date(),
        parameters=params,
        currency="PLN",
        ltv=Decimal("1000"),
        net_revenue_12m=Decimal("0"),
        overdue_amount=Decimal(overdue),
        interactions_90d=0,
        open_tickets=0,
        grade=grade,
        is_current=current,
    )


@pytest.fixture
def sally_day(params, sales_rep, service_agent):
    """Sally's morning: what belongs in her digest, and what looks like it but does not."""
    earlier, overnight = SINCE - timedelta(days=3), SINCE + timedelta(hours=20)
    owned = {
        name: CustomerFactory(display_name=name, owner=sales_rep)
        for name in ("Alfa", "Beta", "Gamma", "Delta", "Epsilon")
    }
    score(owned["Alfa"], params, at=earlier, grade="B")
    score(owned["Alfa"], params, at=overnight, grade="C")  # reported: B → C
    score(owned["Beta"], params, at=earlier, grade="A")
    score(owned["Beta"], params, at=overnight, grade="A", overdue="1200.50")  # reported: overdue
    score(owned["Gamma"], params, at=earlier, grade="B", overdue="500")
    score(owned["Gamma"], params, at=overnight, grade="B", overdue="300")  # paid some: not news
    score(owned["Delta"], params, at=overnight, grade="D")  # first score: reported, none → D
    score(owned["Epsilon"], params, at=earlier, grade="A")  # changed before the last digest
    theirs = CustomerFactory(display_name="Zeta", owner=service_agent)
    score(theirs, params, at=earlier, grade="A")
    score(theirs, params, at=overnight, grade="D")  # Sam's customer: not in Sally's digest

    alfa = owned["Alfa"]
    for title, assignee, due_on in [
        ("Call back about the offer", sales_rep, TODAY - timedelta(days=2)),
        ("Send the brochure", sales_rep, TODAY),  # due today: not overdue yet
        ("Sam's chore", service_agent, TODAY - timedelta(days=5)),
    ]:
        process_services.task_create(
            customer=alfa, title=title, assignee=assignee, due_on=due_on, by=sales_rep
        )
    done = process_services.task_create(
        customer=alfa,
        title="Already done",
        assignee=sales_rep,
        due_on=TODAY - timedelta(days=9),
        by=sales_rep,
    )
    process_services.task_complete(task=done, by=sales_rep)

    sales = ProcessDefinitionFactory(name="SMB sales", kind="sales")
    for title, due in [
        ("Late deal", NOW - timedelta(hours=3)),
        ("Deal due soon", NOW + timedelta(hours=5)),
        ("Deal due next week", NOW + timedelta(days=7)),
        ("Closed late deal", NOW - timedelta(days=2)),
    ]:
        instance = process_services.instance_open(
            definition=sales, customer=alfa, title=title, by=sales_rep
        )
        ProcessInstance.objects.filter(pk=instance.pk).update(stage_due_at=due)
    ProcessInstance.objects.filter(title="Closed late deal").update(
        closed_at=NOW - timedelta(days=1), outcome="lost"
    )

    support = ProcessDefinitionFactory(name="Support", kind="support")
    SlaPolicyFactory(definition=support, priority="normal")
    for subject, response_due, responded, resolution_due in [
        ("Printer jams", NOW + timedelta(hours=2), False, NOW + timedelta(hours=30)),
        ("Toner empty", NOW - timedelta(hours=1), True, NOW + timedelta(hours=40)),
    ]:
        ticket = process_services.ticket_open(
            definition=support,
            customer=alfa,
            subject=subject,
            description="…",
            priority="normal",
            by=sales_rep,
        )
        Ticket.objects.filter(pk=ticket.pk).update(
            response_due_at=response_due,
            resolution_due_at=resolution_due,
            first_response_at=NOW - timedelta(hours=2) if responded else None,
            first_response_by=sales_rep if responded else None,
        )
        ProcessInstance.objects.filter(pk=ticket.pk).update(stage_due_at=None)
    return owned


def recipients():
    return sorted(address for message in mail.outbox for address in message.to)


def sallys_mail():
    [message] = [m for m in mail.outbox if m.to == ["sally_sales@example.com"]]
    return message


def test_the_digest_lists_the_owners_changed_customers_overdue_tasks_and_sla_risks(
    sally_day, sales_rep
):
    content = digest.digest_for(sales_rep, now=NOW, since=SINCE)
    assert [
        (c.customer.display_name, c.grade_before, c.grade_now, c.overdue_now)
        for c in content.changes
    ] == [
        ("Alfa", "B", "C", Decimal("0")),
        ("Beta", "A", "A", Decimal("1200.50")),
        ("Delta", None, "D", Decimal("0")),
    ]
    assert [task.title for task in content.tasks] == ["Call back about the offer"]
    assert [(r.instance.title, str(r.deadline), r.is_late) for r in content.risks] == [
        ("Late deal", "stage “Lead”", True),
        ("Printer jams", "first response", False),
        ("Deal due soon", "stage “Lead”", False),
    ]
    assert content.size == 7


def test_the_digest_is_read_in_a_few_queries(sally_day, sales_rep, django_assert_num_queries):
    # value changes, overdue tasks, instances near a stage deadline, tickets near an SLA, alerts
    with django_assert_num_queries(5):
        digest.digest_for(sales_rep, now=NOW, since=SINCE)


def test_the_email_has_text_and_html_with_absolute_links(sally_day, sales_rep, settings):
    settings.SITE_URL = "https://crm.example.com"
    assert digest.digests_send(now=NOW) == 2  # Sam has his own news
    message = sallys_mail()
    assert message.subject == "[CRM] Your daily digest, June 30, 2026"
    alfa = sally_day["Alfa"]
    assert "- Alfa: grade B → C" in message.body
    assert "- Beta: overdue 0.00 → 1,200.50 PLN" in message.body
    assert f"https://crm.example.com/customers/{alfa.pk}/" in message.body
    assert "Call back about the offer (Alfa)" in message.body
    assert "Late deal (Alfa), stage “Lead”: was due" in message.body
    assert "https://crm.example.com/my-settings/" in message.body
    [(html, mimetype)] = message.alternatives
    assert mimetype == "text/html"
    assert f'<a href="https://crm.example.com/customers/{alfa.pk}/">Alfa</a>' in html
    assert "Gamma" not in message.body and "Zeta" not in message.body


def test_each_digest_is_written_in_its_readers_language(sally_day, sales_rep, service_agent):
    """Sally chose Polish; Sam did not (LANGUAGE_CODE). One run of the job writes both."""
    UserProfile.objects.create(user=sales_rep, language="pl")
    languages = {}

    def probe(sender, template, context, **kwargs):
        languages[(context["user"].username, template.name)] = translation.get_language()

    template_rendered.connect(probe)
    try:
        with translation.override("ru"):  # whatever the worker's language
            assert digest.digests_send(now=NOW) == 2
    finally:
        template_rendered.disconnect(probe)

    subject, text, html = (
        "analytics/emails/digest_subject.txt",
        "analytics/emails/digest.txt",
        "analytics/emails/digest.html",
    )
    for name in (subject, text, html):
        assert languages[(sales_rep.username, name)] == "pl"
        assert languages[(service_agent.username, name)] == settings.LANGUAGE_CODE
    message = sallys_mail()
    assert "30 czerwca 2026" in message.subject  # Polish dates
    # Polish amounts; the space before the symbol is the translator's.
    assert re.search("1\xa0200,50[ \xa0]zł", message.body)
    [(page, _mimetype)] = message.alternatives
    assert '<html lang="pl">' in page


def test_running_the_job_twice_sends_once_and_the_next_day_reports_only_new_changes(
    sally_day, sales_rep
):
    assert digest.digests_send(now=NOW) == 2
    assert digest.digests_send(now=NOW + timedelta(hours=2)) == 0
    assert recipients() == ["sally_sales@example.com", "sam_service@example.com"]
    assert DigestLog.objects.get(user=sales_rep).items == 7
    assert set(DigestLog.objects.values_list("day", flat=True)) == {TODAY}

    mail.outbox.clear()
    assert digest.digests_send(now=NOW + timedelta(days=1)) == 2
    message = sallys_mail()
    assert "Alfa: grade" not in message.body  # reported yesterday
    assert "Call back about the offer" in message.body  # still overdue


def test_a_concurrent_run_that_claims_the_day_first_wins(sally_day, sales_rep, monkeypatch):
    compute = digest.digest_for

    def another_worker_gets_there_first(user, **kwargs):
        content = compute(user, **kwargs)
        DigestLog.objects.create(user=user, day=TODAY, sent_at=NOW)
        return content

    monkeypatch.setattr(digest, "digest_for", another_worker_gets_there_first)
    assert digest.digests_send(now=NOW) == 0
    assert mail.outbox == []
    assert DigestLog.objects.filter(user=sales_rep).count() == 1
    assert DigestLog.objects.count() == 2  # Sam's too, each once


def test_a_failed_send_frees_the_day_for_a_retry(sally_day, monkeypatch):
    def smtp_down(self, fail_silently=False):
        raise ConnectionRefusedError("smtp down")

    with monkeypatch.context() as patched:
        patched.setattr(EmailMultiAlternatives, "send", smtp_down)
        assert digest.digests_send(now=NOW) == 0
    assert not DigestLog.objects.exists()
    assert digest.digests_send(now=NOW + timedelta(minutes=15)) == 2
    assert recipients() == ["sally_sales@example.com", "sam_service@example.com"]


def test_users_who_turned_it_off_or_have_no_address_get_nothing(
    sally_day, sales_rep, service_agent
):
    digest.digest_subscription_set(user=sales_rep, enabled=False)
    service_agent.email = ""
    service_agent.save()
    assert digest.digests_send(now=NOW) == 0
    assert mail.outbox == []
    assert not DigestLog.objects.exists()

    digest.digest_subscription_set(user=sales_rep, enabled=True)
    assert digest.digests_send(now=NOW) == 1
    assert recipients() == ["sally_sales@example.com"]


def test_nothing_to_report_sends_nothing(sales_rep, manager, customer):
    assert digest.digests_send(now=NOW) == 0
    assert mail.outbox == []
    assert not DigestLog.objects.exists()


def test_the_morning_task_is_scheduled_and_sends(sally_day):
    assert settings.CELERY_BEAT_SCHEDULE["analytics-send-daily-digests"]["task"] == (
        "analytics.tasks.send_daily_digests"
    )
    # Sally's tasks are overdue whatever day the test runs; her SLA risks are in the past.
    assert send_daily_digests.delay().get() == 2
    assert recipients() == ["sally_sales@example.com", "sam_service@example.com"]


# --- My settings ----------------------------------------------------------------------------

SETTINGS_URL = reverse("analytics:my_settings")


def test_my_settings_needs_a_login(client):
    response = client.get(SETTINGS_URL)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_the_digest_is_on_until_the_user_turns_it_off(persona_client, sales_rep):
    client = persona_client(sales_rep)
    page = client.get(SETTINGS_URL)
    assert page.status_code == 200
    assert page.context["form"]["enabled"].value() is True
    assert not DigestSubscription.objects.exists()  # looking changes nothing
    assert f'href="{SETTINGS_URL}"' in page.content.decode()  # in the user menu

    response = client.post(SETTINGS_URL, {})  # an unticked box sends nothing
    assert response.status_code == 302
    assert response["Location"] == SETTINGS_URL
    assert DigestSubscription.objects.get(user=sales_rep).enabled is False
    assert "no longer get the daily digest" in client.get(SETTINGS_URL).content.decode()

    client.post(SETTINGS_URL, {"enabled": "on"})
    assert DigestSubscription.objects.get(user=sales_rep).enabled is True


def test_my_settings_refuses_other_methods(persona_client, sales_rep):
    assert persona_client(sales_rep).delete(SETTINGS_URL).status_code == 405
    assert not DigestSubscription.objects.exists()


@pytest.mark.parametrize("model", ["useractivity", "digestsubscription", "digestlog"])
def test_admins_list_activity_subscriptions_and_digests_sent(client, admin_user, sales_rep, model):
    digest.digest_subscription_set(user=sales_rep, enabled=False)
    DigestLog.objects.create(user=sales_rep, day=TODAY, sent_at=NOW, items=3)
    client.force_login(admin_user)  # records today's activity
    response = client.get(reverse(f"admin:analytics_{model}_changelist"), {"q": "a"})
    assert response.status_code == 200
    assert len(response.context["cl"].result_list) == 1
