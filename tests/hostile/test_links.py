"""No page offers a way to a refusal: every link and button a record page shows its viewer leads
somewhere that viewer may go.

A page asks the same access layer its targets ask (the role's permission and whose record it
is), so a rep who reads another office's customer sees no "Edit", finance no "Upload document"
on an invoice of a customer it may not change, and a service agent no "Add task" on a process
of someone else's customer. For each persona the record pages (the customer with its contract,
invoice and process pages, and the lists that carry row actions) are opened twice: the customer
owned by the persona, and owned by a stranger outside the persona's team (seen, in "all" mode,
but not theirs to change). Every same-site link on them is followed and every form's post sent,
each in a savepoint rolled back afterwards, and none may answer 403.
"""

from html.parser import HTMLParser
from urllib.parse import urlsplit

import pytest
from django.core.cache import cache
from django.db import transaction
from django.test import Client
from django.urls import reverse

from customers.models import Customer
from tests.factories import UserFactory

from .probe import base_payload
from .targets import parse_forms, url_name_of

PERSONAS = ("sales", "service", "finance", "manager")

# (url name, world object): the pages that show a record and what can be done with it.
RECORD_PAGES = (
    ("customers:detail", "customer"),
    ("customers:history", "customer"),
    ("customers:contact_consents", "contact"),
    ("relationships:contract_detail", "contract"),
    ("relationships:contract_detail", "backbilling_contract"),
    ("relationships:contract_detail", "draft_contract"),
    ("relationships:invoice_detail", "invoice"),
    ("relationships:invoice_detail", "overdue_invoice"),
    ("relationships:invoice_detail", "collected_invoice"),
    ("processes:instance_detail", "opportunity"),
    ("processes:instance_detail", "ticket"),
    ("processes:instance_detail", "collection"),
)
# Lists whose rows carry actions (pay, approve, tick off): their rows include the world's.
LIST_PAGES = (
    "relationships:contract_list",
    "relationships:invoice_list",
    "relationships:payout_list",
    "processes:instance_list",
    "processes:ticket_list",
    "processes:collection_list",
    "processes:task_list",
    "processes:approval_list",
)
# Links every page has that lead away from the records: the session and the language.
NOT_FOLLOWED = ("logout", "set_language", "language_choose", "alerts_choose")


class _Links(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.hrefs = []

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "a" and a.get("href"):
            self.hrefs.append(a["href"])
        elif a.get("hx-get"):
            self.hrefs.append(a["hx-get"])


def same_site_links(html, page):
    """The page's links to other pages of the site, each once (its own sorting, paging and
    filtering links, to the page itself, and the session's and language's, left out)."""
    parser = _Links()
    parser.feed(html)
    links = []
    for href in parser.hrefs:
        parts = urlsplit(href)
        if parts.scheme or parts.netloc or not parts.path or parts.path == urlsplit(page).path:
            continue  # another site, mailto:/tel:, an anchor or the page itself
        if url_name_of(parts.path) in NOT_FOLLOWED or href in links:
            continue
        links.append(href)
    return links


def _rolled_back(send):
    cache.clear()
    with transaction.atomic():
        try:
            return send()
        finally:
            transaction.set_rollback(True)
            cache.clear()


def _pages(world):
    pages = [reverse(name, args=[world.pk(obj)]) for name, obj in RECORD_PAGES]
    return pages + [reverse(name) for name in LIST_PAGES]


def _refusals(world, persona):
    """(page, "GET"/"POST", target, status) for every link or form that answers 403."""
    client = Client(raise_request_exception=False)
    client.force_login(world.users[persona])
    refused = []
    for page in _pages(world):
        response = _rolled_back(lambda page=page: client.get(page))
        if response.status_code != 200:
            continue  # a page the persona may not open at all offers them nothing
        html = response.content.decode()
        for href in same_site_links(html, page):
            answer = _rolled_back(lambda href=href: client.get(href))
            if answer.status_code == 403:
                refused.append((page, "GET", href, 403))
        for form in parse_forms(html, page):
            if form.method != "post" or url_name_of(form.action) in NOT_FOLLOWED:
                continue
            payload = base_payload(form, persona)
            answer = _rolled_back(
                lambda form=form, payload=payload: client.post(form.action, payload)
            )
            if answer.status_code == 403:
                refused.append((page, "POST", form.action, 403))
    return refused


def _report(refused):
    return "refused:\n" + "\n".join(
        f"  {method} {target} (on {page})" for page, method, target, _status in refused
    )


def _own(world, persona, owner):
    Customer.objects.filter(pk=world.pk("customer")).update(owner=owner)


@pytest.mark.parametrize("persona", PERSONAS)
def test_pages_of_an_own_customer_offer_nothing_that_is_refused(hostile, persona):
    world = hostile.world
    _own(world, persona, world.users[persona])
    refused = _refusals(world, persona)
    assert not refused, _report(refused)


@pytest.mark.parametrize("persona", PERSONAS)
def test_pages_of_a_customer_seen_but_not_editable_offer_nothing_that_is_refused(hostile, persona):
    world = hostile.world
    # A stranger in no team of the persona's: the customer is seen ("all" mode), not theirs.
    _own(world, persona, UserFactory(username="stella_stranger"))
    refused = _refusals(world, persona)
    assert not refused, _report(refused)


def test_finance_in_team_mode_is_offered_nothing_refused_on_a_customer_it_only_reads(
    hostile, settings
):
    """In "team" mode finance reads the customers of its ledger without owning them: their
    invoice, contract and collection pages offer it the finance actions and nothing else."""
    settings.CRM_VISIBILITY = "team"
    world = hostile.world
    _own(world, "finance", UserFactory(username="stella_stranger"))
    refused = _refusals(world, "finance")
    assert not refused, _report(refused)
