"""Text the CRM stores for people is written in each reader's language when it is read.

The scheduled jobs (Celery workers) run in no one's language: what they record for people, a
collection case's title, why a decision rule holds a start, the notifications of the watch, of
approvals and of exports, is kept as a kind and its values and written on the page in the
reader's language, with the numbers in that language's format. Each test records in a worker's
context (English, LANGUAGE_CODE) and reads the pages as a Polish, Czech and Russian user."""

import importlib
from datetime import timedelta
from decimal import Decimal

import pytest
from django.apps import apps as django_apps
from django.urls import reverse
from django.utils import timezone, translation
from rest_framework.test import APIClient

from api.services import token_create
from core.models import ExportJob, UserProfile
from processes import services, tasks
from processes.models import Approval, CollectionCase, DecisionRule, Notification
from processes.services.notifications import export_finished
from tests.dates import clock_today
from tests.factories import InvoiceFactory

pytestmark = pytest.mark.django_db
NBSP = "\xa0"
TODAY = clock_today()

# What each language writes, from the committed catalogues and the languages' number formats.
EXPECTED = {
    "pl": {
        "title": "Faktura INV-STORED-1",
        "hold": (
            "Reguła „Big debts only”: kwota wynosi 1\xa0234,50 zł, reguła wymaga co "
            "najmniej 5\xa0000,00 zł."
        ),
        "escalation": "Eskalacja: „Faktura INV-STORED-1” (",
        "asked": "„Faktura INV-STORED-1”",
        "export": "(1\xa0234 wiersze) jest gotowy do pobrania.",
    },
    "cs": {
        "title": "Faktura INV-STORED-1",
        "hold": (
            "Pravidlo „Big debts only“: částka je 1\xa0234,50 PLN, pravidlo vyžaduje "
            "alespoň 5\xa0000,00 PLN."
        ),
        "escalation": "Eskalováno: „Faktura INV-STORED-1“ (",
        "asked": "„Faktura INV-STORED-1“",
        "export": "(1\xa0234 řádků) je připraven ke stažení.",
    },
    "ru": {
        "title": "Счёт INV-STORED-1",
        "hold": (
            "Правило «Big debts only»: сумма составляет 1\xa0234,50 PLN, правило требует "
            "не менее 5\xa0000,00 PLN."
        ),
        "escalation": "Эскалация: «Счёт INV-STORED-1» (",
        "asked": "«Счёт INV-STORED-1»",
        "export": "(1\xa0234 строки) готов к скачиванию.",
    },
}
LANGUAGES = sorted(EXPECTED)


def _page(client, name, *args, **params):
    response = client.get(reverse(name, args=args), params)
    assert response.status_code == 200
    return response.content.decode()


@pytest.fixture
def held_case(collections_process, customer, manager):
    """The daily job opens the case of an overdue invoice in a worker's (English) context; a
    decision rule holds it for a manager, who is told."""
    DecisionRule.objects.create(
        definition=collections_process,
        name="Big debts only",
        min_amount=Decimal("5000"),
        on_break=DecisionRule.OnBreak.APPROVAL,
        created_by=manager,
    )
    InvoiceFactory(
        customer=customer,
        number="INV-STORED-1",
        amount=Decimal("1234.50"),
        currency="PLN",
        issue_date=TODAY - timedelta(days=60),
        due_date=TODAY - timedelta(days=30),
    )
    with translation.override("en"):
        assert tasks.open_collection_cases()["opened"] == 1
    return CollectionCase.objects.select_related("instance").get()


@pytest.fixture
def reader(persona_client, manager):
    """`reader(language)`: a client of the manager, who reads in `language` (chosen on the
    profile after the job ran, as anyone may change their language at any time)."""

    def read_in(language):
        UserProfile.objects.update_or_create(user=manager, defaults={"language": language})
        return persona_client(manager)

    return read_in


def test_the_job_stores_english_and_the_kind_of_text(held_case):
    instance = held_case.instance
    assert (instance.title, instance.title_kind, instance.title_params) == (
        "Invoice INV-STORED-1",
        "collection_invoice",
        {"number": "INV-STORED-1"},
    )
    approval = Approval.objects.get(instance=instance)
    assert approval.reason_data == [
        {
            "rule": "Big debts only",
            "reasons": [
                {
                    "code": "amount",
                    "amount": "1234.50",
                    "currency": "PLN",
                    "minimum": "5000.00",
                    "minimum_currency": "PLN",
                }
            ],
        }
    ]
    # English readers read what they always read.
    assert approval.reason_text == (
        "Rule “Big debts only”: the amount is 1,234.50 PLN, the rule asks for at least "
        "5,000.00 PLN."
    )


@pytest.mark.parametrize("language", LANGUAGES)
def test_a_collection_case_title_is_in_the_readers_language(held_case, reader, language):
    client = reader(language)
    expected = EXPECTED[language]["title"]
    assert expected in _page(client, "processes:collection_list")
    detail = _page(client, "processes:instance_detail", held_case.instance.pk)
    assert expected in detail
    assert "Invoice INV-STORED-1" not in detail


@pytest.mark.parametrize("language", LANGUAGES)
def test_a_decision_rule_hold_reason_is_in_the_readers_language_and_number_format(
    held_case, reader, language
):
    client = reader(language)
    expected = EXPECTED[language]["hold"]
    assert expected in _page(client, "processes:instance_detail", held_case.instance.pk)
    assert expected in _page(client, "processes:approval_list")


@pytest.mark.parametrize("language", LANGUAGES)
def test_escalations_are_in_the_readers_language(held_case, reader, settings, language):
    settings.PROCESS_ESCALATION_HOURS = 24
    instance = held_case.instance
    now = timezone.now()
    type(instance).objects.filter(pk=instance.pk).update(stage_due_at=now - timedelta(hours=30))
    with translation.override("en"):
        assert services.processes_watch(now=now)
    escalation = Notification.objects.get(kind=Notification.Kind.STAGE_SLA_ESCALATION)
    assert escalation.message.startswith("Escalated: “Invoice INV-STORED-1”")

    client = reader(language)
    expected = EXPECTED[language]["escalation"]
    assert expected in _page(client, "processes:notification_list")
    assert expected in _page(client, "processes:notification_list", show="escalations")
    assert expected in _page(client, "home")


@pytest.mark.parametrize("language", LANGUAGES)
def test_an_approval_request_of_a_job_is_in_the_readers_language(held_case, reader, language):
    client = reader(language)
    page = _page(client, "processes:notification_list")
    assert EXPECTED[language]["asked"] in page
    assert "A scheduled job asks for approval" not in page
    # The home page's approvals block names the case in the reader's language too.
    assert EXPECTED[language]["title"] in _page(client, "home")


@pytest.mark.parametrize("language", LANGUAGES)
def test_an_export_notification_is_in_the_readers_language_and_number_format(
    reader, manager, language
):
    job = ExportJob.objects.create(
        user=manager,
        list_key="customers",
        format=ExportJob.Format.CSV,
        status=ExportJob.Status.DONE,
        rows=1234,
        file="exports/customers.csv",
        finished_at=timezone.now(),
    )
    with translation.override("en"):
        export_finished(job)
    assert "(1,234 rows)" in Notification.objects.get().message

    assert EXPECTED[language]["export"] in _page(reader(language), "processes:notification_list")


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_api_gives_the_title_in_the_callers_language(held_case, manager, language):
    UserProfile.objects.create(user=manager, language=language)
    _token, secret = token_create(user=manager, name="Tests", access="read")
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {secret}")
    response = client.get(f"/api/v1/processes/{held_case.instance.pk}/")
    assert response.status_code == 200, response.content
    assert response.json()["title"] == EXPECTED[language]["title"]


def test_a_title_edited_as_read_stays_the_crms_and_a_typed_one_replaces_it(
    held_case, reader, manager
):
    instance = held_case.instance
    Approval.objects.filter(instance=instance).delete()  # not held: it may be edited freely
    client = reader("pl")
    url = reverse("processes:instance_edit", args=[instance.pk])
    form = client.get(url).context["form"]
    assert form.initial["title"] == "Faktura INV-STORED-1"
    data = {
        name: form[name].value() if form[name].value() is not None else "" for name in form.fields
    }
    data["expected_close_on"] = ""
    data["amount"] = "1300.00"
    assert client.post(url, data).status_code == 302
    instance.refresh_from_db()
    assert (instance.title_kind, instance.amount) == ("collection_invoice", Decimal("1300.00"))

    form = client.get(url).context["form"]
    data = {
        name: form[name].value() if form[name].value() is not None else "" for name in form.fields
    }
    data["expected_close_on"] = ""
    data["title"] = "Dług firmy Acme"
    assert client.post(url, data).status_code == 302
    instance.refresh_from_db()
    assert (instance.title, instance.title_kind, instance.title_params) == (
        "Dług firmy Acme",
        "",
        {},
    )
    with translation.override("cs"):
        assert instance.display_title == "Dług firmy Acme"


def test_rows_stored_before_keep_their_text(held_case, reader, manager):
    """Notifications and holds recorded before the values were kept show their stored text;
    old collection titles in any language become the CRM's again (the data migration)."""
    instance = held_case.instance
    Notification.objects.filter(recipient=manager).update(params={}, message="Stary tekst")
    Approval.objects.filter(instance=instance).update(reason_data=[], reason="Stary powód")
    type(instance).objects.filter(pk=instance.pk).update(
        title="Faktura INV-STORED-1", title_kind="", title_params={}
    )
    client = reader("cs")
    assert "Stary tekst" in _page(client, "processes:notification_list")
    detail = _page(client, "processes:instance_detail", instance.pk)
    assert "Stary powód" in detail

    migration = importlib.import_module("processes.migrations.0019_stored_text_in_reader_language")
    migration.collection_titles_as_data(django_apps, None)
    instance.refresh_from_db()
    assert (instance.title, instance.title_kind, instance.title_params) == (
        "Invoice INV-STORED-1",
        "collection_invoice",
        {"number": "INV-STORED-1"},
    )
    assert "Счёт INV-STORED-1" in _page(reader("ru"), "processes:instance_detail", instance.pk)
