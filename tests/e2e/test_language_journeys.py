"""The main pages in Polish, Czech and Russian, in a real browser: no English interface text.

A user whose language is pl, cs or ru (chosen on their profile, as the language menu
stores it) opens home, the customer list, a customer's page, a board, a ticket, an invoice, the
collections, two reports and the value page. Each page's visible text (and the chart labels and
the titles and placeholders users read) must contain none of the catalogue's English messages
that the language translates differently. Data is not interface: every text stored in the
database (customer, process, stage and user names, titles, notes) is taken out of the page's
text before matching, so a customer called "Green Energy" does not count as English UI.

A screenshot of every page lands in test-artifacts/screenshots/language-<lang>-<page>.png.
"""

import re
from functools import cache
from pathlib import Path

import polib
import pytest
from django.apps import apps
from django.conf import settings
from django.db import models

from analytics import scoring
from core import catalogues
from core.models import UserProfile
from core.permissions import ALL_ROLES
from customers.models import Customer
from demo import datagen
from processes import services as process_services
from processes.models import CollectionCase, ProcessDefinition, Ticket
from relationships.models import Invoice
from tests.e2e.conftest import PASSWORD
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db(transaction=True)

ROOT = Path(__file__).resolve().parents[2]
LANGUAGES = ["pl", "cs", "ru"]
APPS = {"core", "customers", "relationships", "processes", "analytics", "auth"}
# A chooser names each language in that language ("English", "Polski"), whatever the page's.
LANGUAGE_NAMES = {str(name) for _code, name in settings.LANGUAGES}
# English single words that are ordinary words (or names) in the language too: seeing them is
# not seeing English. Only for words of five letters or more; shorter ones are never matched.
SHARED_WORDS = {
    "pl": {"status", "kontrakt", "problem", "system", "model", "minimum", "maximum"},
    "cs": {"status", "kontrakt", "problem", "system", "model", "minimum", "maximum", "email"},
    "ru": set(),
}
PLACEHOLDER = re.compile(
    catalogues.PERCENT_PLACEHOLDER.pattern + "|" + catalogues.BRACE_PLACEHOLDER.pattern
)
TAG = re.compile(r"<[^>]*>")
LETTERS = re.compile(r"[^\W\d_]+")


@cache
def english_phrases(language):
    """The English texts the language's catalogue translates (or should): each message split at
    its placeholders and tags into the parts a page shows whole, kept when a part is two words
    or more, or one word of five letters or more that is not also the language's."""
    catalogue = polib.pofile(str(ROOT / "locale" / language / "LC_MESSAGES" / "django.po"))
    # An English word that is also how the language says something else (Polish "Start", the
    # home page's title, while a contract's start is "Początek") is not English on its page.
    translations = {entry.msgstr for entry in catalogue if entry.msgstr} | {
        form for entry in catalogue for form in entry.msgstr_plural.values()
    }
    phrases = set()
    for entry in catalogue:
        if entry.obsolete:
            continue
        if entry.msgid_plural:
            forms = [entry.msgstr_plural[index] for index in sorted(entry.msgstr_plural)]
            pairs = [(entry.msgid, forms[0]), (entry.msgid_plural, forms[-1])]
        else:
            pairs = [(entry.msgid, entry.msgstr)]
        for english, translated in pairs:
            if english == translated or english in LANGUAGE_NAMES or english in translations:
                continue
            visible = PLACEHOLDER.sub("\n", TAG.sub("\n", english))
            for piece in re.split(r"[\n:;()“”\"·—\u2013/]+", visible):
                words = LETTERS.findall(piece)
                if len(words) >= 2:
                    phrases.add(" ".join(words))
                elif (
                    len(words) == 1
                    and len(words[0]) >= 5
                    and words[0].lower() not in SHARED_WORDS[language]
                ):
                    phrases.add(words[0])
    return phrases


@cache
def phrase_pattern(language):
    # Longest first, so a sentence is reported rather than the word inside it.
    phrases = sorted(english_phrases(language), key=len, reverse=True)
    # Between the words what a page puts there (a comma, a line break), not a select's "-----".
    body = "|".join(r"\W{1,3}".join(map(re.escape, phrase.split())) for phrase in phrases)
    return re.compile(rf"(?<!\w)(?:{body})(?!\w)", re.IGNORECASE)


def stored_texts():
    """Every text the database holds that a page may show as data (choice values aside: pages
    show their translated labels)."""
    texts = set()
    for model in apps.get_models():
        if model._meta.app_label not in APPS:
            continue
        fields = [
            field.name
            for field in model._meta.concrete_fields
            if isinstance(field, models.CharField | models.TextField) and not field.choices
        ]
        if fields:
            for row in model.objects.values_list(*fields):
                texts.update(value for value in row if value and LETTERS.search(value))
    texts.update(str(customer) for customer in Customer.objects.all())
    return texts


def without_data(text, data):
    for value in sorted(data, key=len, reverse=True):
        text = text.replace(value, " ")
    return text


def english_on(text, language, data):
    text = " ".join(without_data(text, data).split())
    return sorted({match.group(0) for match in phrase_pattern(language).finditer(text)})


READ_TEXT = """() => {
    const parts = [document.title, document.body.innerText];
    document.querySelectorAll("[title], [placeholder], [aria-label], [alt]").forEach((el) => {
        for (const name of ["title", "placeholder", "aria-label", "alt"]) {
            if (el.getAttribute(name)) parts.push(el.getAttribute(name));
        }
    });
    // The charts are drawn from JSON: their labels and titles are text users read.
    document.querySelectorAll('script[type="application/json"]').forEach((el) => {
        JSON.parse(el.textContent, (key, value) => {
            if ((key === "label" || key === "text") && typeof value === "string") parts.push(value);
            if (key === "labels" && Array.isArray(value)) parts.push(...value.map(String));
            return value;
        });
    });
    return parts.join("\\n");
}"""


@pytest.fixture
def world(db):
    """A populated CRM (the demo's generator, small) and a user who holds every role."""
    user = UserFactory(username="lena_languages", roles=list(ALL_ROLES))
    datagen.generate(customers=25, seed=3, staff=datagen.Staff.from_users([user]))
    process_services.processes_watch()
    scoring.score_all_customers()
    customer = (
        Customer.objects.annotate(history=models.Count("interactions"))
        .order_by("-history", "pk")
        .first()
    )
    return {
        "user": user,
        "customer": customer,
        "board": ProcessDefinition.objects.filter(kind="sales").order_by("pk").first(),
        "ticket": Ticket.objects.select_related("instance").order_by("pk").first(),
        "invoice": Invoice.objects.order_by("-pk").first(),
    }


def main_pages(world):
    assert world["board"] and world["ticket"] and world["invoice"], "the generator changed"
    assert CollectionCase.objects.exists()
    return [
        ("home", "/"),
        ("customers", "/customers/"),
        ("customer", world["customer"].get_absolute_url()),
        ("board", f"/processes/{world['board'].pk}/board/"),
        ("ticket", f"/processes/instances/{world['ticket'].instance.pk}/"),
        ("invoice", f"/invoices/{world['invoice'].pk}/"),
        ("collections", "/collections/"),
        ("report-process-kpis", "/reports/process-kpis/"),
        ("report-customer-value", "/reports/customer-value/"),
        ("value", "/value/"),
    ]


def log_in(page, live_server, user, language):
    # The language the user chose, as the language menu stores it: on their profile. The browser
    # itself stays en-US, so the pages prove that the user's choice wins over the browser's.
    UserProfile.objects.update_or_create(user=user, defaults={"language": language})
    page.goto("/login/")
    page.locator("#id_username").fill(user.username)
    page.locator("#id_password").fill(PASSWORD)
    page.locator("form:has(#id_username) button[type=submit]").click()
    page.wait_for_url(re.compile(r".*/$"))


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_main_pages_show_no_english(page, live_server, screenshot, world, language):
    log_in(page, live_server, world["user"], language)
    data = stored_texts() | {world["user"].username}
    found = {}
    for name, url in main_pages(world):
        response = page.goto(url)
        assert response.status == 200, f"{url}: {response.status}"
        assert page.locator("html").get_attribute("lang") == language
        screenshot(f"language-{language}-{name}")
        english = english_on(page.evaluate(READ_TEXT), language, data)
        if english:
            found[f"{name} ({url})"] = english
    assert not found, f"English interface text in {language}:\n" + "\n".join(
        f"  {page_name}: {' | '.join(texts)}" for page_name, texts in found.items()
    )


# The matcher itself, without a browser.


def test_the_matcher_finds_english_interface_text_and_not_data(monkeypatch):
    monkeypatch.setattr(
        "tests.e2e.test_language_journeys.english_phrases",
        lambda language: {"Open a process", "Overdue", "Last contact", "New ticket"},
    )
    phrase_pattern.cache_clear()
    try:
        data = {"Overdue Holdings sp. z o.o.", "Novák Tisk s.r.o."}
        text = (
            "Klienci\nOverdue Holdings sp. z o.o. · Novák Tisk s.r.o.\nLast\n  contact: wczoraj\n"
            "Otwórz proces · Overdues · new TICKET"
        )
        assert english_on(text, "pl", data) == ["Last contact", "new TICKET"]
        assert english_on("Ostatni kontakt: wczoraj", "pl", data) == []
    finally:
        phrase_pattern.cache_clear()


def test_the_catalogue_gives_phrases_of_two_words_or_a_long_word():
    phrases = english_phrases("ru")
    assert "Customers" in phrases or "customers" in phrases
    assert not any(len(LETTERS.findall(phrase)) == 1 and len(phrase) < 5 for phrase in phrases)
    assert "CRM" not in phrases


def test_an_english_page_fails_the_check(page, live_server, world):
    """The same pages in English: the check must find English on every one of them."""
    log_in(page, live_server, world["user"], "en")
    data = stored_texts() | {world["user"].username}
    for name, url in main_pages(world):
        page.goto(url)
        assert english_on(page.evaluate(READ_TEXT), "ru", data), f"{name}: nothing found"
