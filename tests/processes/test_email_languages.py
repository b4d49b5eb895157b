"""E-mails in the reader's language: staff in their profile's (else LANGUAGE_CODE), a customer's
contact person in theirs, whoever or whatever sends them.

The catalogues are filled in by translators at their own pace, so these tests check what does
not depend on them: the language active while each e-mail was written (recorded by a probe on
Django's template rendering), and the formats, which Django's own locale data gives."""

import re
from datetime import timedelta
from decimal import Decimal

import pytest
from django.core import mail
from django.test.signals import template_rendered
from django.utils import translation
from django.utils.formats import date_format

from core.models import UserProfile
from processes import services
from processes.models import Notification
from tests.dates import clock_today
from tests.factories import ContactPersonFactory, CustomerFactory, InvoiceFactory

from .conftest import stage

pytestmark = pytest.mark.django_db
NBSP = "\xa0"
TODAY = clock_today()


@pytest.fixture
def rendered_in():
    """{template name: the language active while it was rendered}."""
    languages = {}

    def probe(sender, template, context, **kwargs):
        languages[template.name] = translation.get_language()

    template_rendered.connect(probe)
    yield languages
    template_rendered.disconnect(probe)


def test_a_notification_reaches_a_polish_manager_in_polish_whoever_asked(
    rendered_in, opportunity, sales_rep, manager, settings
):
    UserProfile.objects.create(user=manager, language="pl")
    # Asked for from an English page: the manager still reads Polish.
    with translation.override("en"):
        services.opportunity_set_discount(
            instance=opportunity, percent=Decimal("25"), reason="Big order", by=sales_rep
        )

    (message,) = mail.outbox
    assert message.to == [manager.email]
    assert rendered_in["processes/emails/notification_subject.txt"] == "pl"
    assert rendered_in["processes/emails/notification_body.txt"] == "pl"
    # The stored in-app text is the one the e-mail carries, and its link names the site.
    assert Notification.objects.get(recipient=manager).message in message.body
    assert f"{settings.SITE_URL}{opportunity.get_absolute_url()}" in message.body


def test_a_staff_member_without_a_language_gets_language_code(
    rendered_in, opportunity, sales_rep, manager, settings
):
    settings.LANGUAGE_CODE = "cs"
    with translation.override("pl"):
        services.opportunity_set_discount(
            instance=opportunity, percent=Decimal("25"), reason="Big order", by=sales_rep
        )

    assert rendered_in["processes/emails/notification_body.txt"] == "cs"


def test_the_watch_job_writes_each_recipient_in_their_language(
    opportunity, sales_rep, manager, settings
):
    """One run of the scheduled job: the owner reads Russian, the manager LANGUAGE_CODE."""
    settings.PROCESS_ESCALATION_HOURS = 24
    UserProfile.objects.create(user=sales_rep, language="ru")
    bodies = {}

    def probe(sender, template, context, **kwargs):
        if template.name.endswith("notification_body.txt"):
            bodies[context["recipient"].username] = translation.get_language()

    template_rendered.connect(probe)
    try:
        assert services.processes_watch(now=opportunity.stage_entered_at + timedelta(hours=73))
    finally:
        template_rendered.disconnect(probe)

    assert bodies == {sales_rep.username: "ru", manager.username: settings.LANGUAGE_CODE}


@pytest.fixture
def czech_case(collections_process, finance_clerk):
    customer = CustomerFactory(country="CZ")
    ContactPersonFactory(
        customer=customer, email="ucetni@firma.example", is_primary=True, language="cs"
    )
    invoice = InvoiceFactory(
        customer=customer,
        amount=Decimal("1234.56"),
        currency="CZK",
        issue_date=TODAY - timedelta(days=40),
        due_date=TODAY - timedelta(days=10),
    )
    return invoice


def test_a_payment_reminder_to_a_czech_contact_is_in_czech(rendered_in, czech_case, finance_clerk):
    UserProfile.objects.create(user=finance_clerk, language="pl")
    with translation.override("pl"):  # sent from a Polish clerk's page
        services.collection_case_open(invoice=czech_case, by=finance_clerk)

    (message,) = mail.outbox
    assert message.to == ["ucetni@firma.example"]
    assert rendered_in["processes/emails/collections_reminder.txt"] == "cs"
    assert rendered_in["processes/emails/collections_reminder_subject.txt"] == "cs"
    # The number as Czech writes it; the space before the symbol is the translator's.
    assert re.search(f"1{NBSP}234,56[ {NBSP}]Kč", message.body)
    with translation.override("cs"):
        assert date_format(czech_case.due_date, "DATE_FORMAT") in message.body


def test_the_demand_stage_keeps_the_contacts_language(
    rendered_in, czech_case, collections_process, finance_clerk
):
    case = services.collection_case_open(invoice=czech_case, by=finance_clerk)
    with translation.override("en"):
        services.instance_move(
            instance=case.instance,
            to_stage=stage(collections_process, "Demand"),
            by=finance_clerk,
        )

    assert rendered_in["processes/emails/collections_demand.txt"] == "cs"
    assert re.search(f"1{NBSP}234,56[ {NBSP}]Kč", mail.outbox[-1].body)


def test_without_a_primary_contact_the_customers_country_decides(
    rendered_in, collections_process, finance_clerk
):
    customer = CustomerFactory(country="RU", email="buh@firma.example")
    invoice = InvoiceFactory(
        customer=customer,
        amount=Decimal("99.50"),
        currency="RUB",
        issue_date=TODAY - timedelta(days=40),
        due_date=TODAY - timedelta(days=10),
    )

    services.collection_case_open(invoice=invoice, by=finance_clerk)

    (message,) = mail.outbox
    assert message.to == ["buh@firma.example"]
    assert rendered_in["processes/emails/collections_reminder.txt"] == "ru"
    assert re.search(f"99,50[ {NBSP}]₽", message.body)
