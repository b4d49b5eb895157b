"""The navigation bar's global search (customers:search, core.search): every kind of record,
grouped, bounded, only what the user may see, one query per kind."""

import pytest
from django.urls import reverse

from core import search
from core.models import Team
from processes import services as process_services
from tests.factories import (
    ContactPersonFactory,
    ContractFactory,
    CustomerFactory,
    InvoiceFactory,
    ProcessDefinitionFactory,
    SlaPolicyFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db
URL = reverse("customers:search")
HTMX = {"HTTP_HX_REQUEST": "true"}


def _found(client, term, **params):
    """The hits per kind, from the dropdown (which never redirects to a single hit)."""
    response = client.get(URL, {"q": term, **params}, **HTMX)
    assert response.status_code == 200, response
    return response.context["found"]


def _deal(customer, title, by, owner=None):
    definition = ProcessDefinitionFactory(kind="sales")
    return process_services.instance_open(
        definition=definition, customer=customer, title=title, by=by, owner=owner
    )


def _ticket(customer, subject, by, owner=None):
    definition = ProcessDefinitionFactory(kind="support")
    SlaPolicyFactory(definition=definition, priority="normal")
    return process_services.ticket_open(
        definition=definition,
        customer=customer,
        subject=subject,
        description="It does not print.",
        priority="normal",
        by=by,
        owner=owner,
    ).instance


@pytest.fixture
def records(sales_rep, service_agent):
    """One of each kind, and a decoy of each that the terms below must not find."""
    acme = CustomerFactory(
        display_name="Quokka Printing",
        legal_name="Quokka Printing Sp. z o.o.",
        tax_id="PL5261040828",
    )
    other = CustomerFactory(display_name="Wombat Logistics", email="desk@wombat.example")
    return {
        "customer": acme,
        "other": other,
        "contact": ContactPersonFactory(
            customer=acme, first_name="Zofia", last_name="Quokkanen", email="zofia@quokka.example"
        ),
        "contract": ContractFactory(customer=acme, number="UM/2026/0042", title="Printers"),
        "other_contract": ContractFactory(customer=other, number="UM/2025/0001"),
        "invoice": InvoiceFactory(customer=acme, number="FV/2026/0042/1"),
        "other_invoice": InvoiceFactory(customer=other, number="FV/2025/7777"),
        "deal": _deal(acme, "Quokka fleet renewal", sales_rep),
        "ticket": _ticket(acme, "Quokka printer jams on tray 2", service_agent),
    }


# --- Each kind ----------------------------------------------------------------------------


def test_each_kind_is_found_by_what_a_user_types(persona_client, manager, records):
    client = persona_client(manager)
    found = _found(client, "quokka")
    assert found["customers"] == [records["customer"]]
    assert found["contacts"] == [records["contact"]]
    assert found["deals"] == [records["deal"]]
    assert found["tickets"] == [records["ticket"]]
    assert found["contracts"] == [] and found["invoices"] == []

    assert _found(client, "fv/2026/00")["invoices"] == [records["invoice"]]  # any case
    assert _found(client, "UM/2026")["contracts"] == [records["contract"]]
    # The number from its start: a middle part is not a number anyone types.
    assert _found(client, "2026/0042")["invoices"] == []


def test_e_mails_tax_ids_and_full_names_match_exactly(persona_client, manager, records):
    client = persona_client(manager)
    hits = _found(client, "ZOFIA@quokka.example", kind="contacts")
    assert hits["contacts"] == [records["contact"]]
    found = _found(client, "pl 526-104-08-28")
    assert found["customers"] == [records["customer"]]
    found = _found(client, "Zofia Quokkanen", kind="contacts")
    assert found["contacts"] == [records["contact"]]
    assert _found(client, "desk@wombat.example", kind="customers")["customers"] == [
        records["other"]
    ]


def test_a_ticket_or_deal_is_found_by_its_number(persona_client, manager, records):
    ticket = records["ticket"]
    response = persona_client(manager).get(URL, {"q": f"#{ticket.pk}"})
    # One hit opens it.
    assert response.status_code == 302 and response.url == ticket.get_absolute_url()


def test_one_match_opens_the_record_itself(persona_client, finance_clerk, records):
    client = persona_client(finance_clerk)
    response = client.get(URL, {"q": "FV/2026/0042/1"})
    assert response.status_code == 302
    assert response.url == records["invoice"].get_absolute_url()
    # A contact person opens on their customer's page.
    response = client.get(URL, {"q": "zofia@quokka.example"})
    assert response.status_code == 302
    assert response.url == records["customer"].get_absolute_url()


# --- Grouping and bounds ------------------------------------------------------------------


def test_hits_are_grouped_by_kind_in_a_fixed_order(persona_client, manager, records):
    response = persona_client(manager).get(URL, {"q": "quokka"})
    keys = [group.kind.key for group in response.context["groups"]]
    assert keys == ["customers", "contacts", "deals", "tickets"]
    body = response.content.decode()
    assert body.index('id="search-group-customers"') < body.index('id="search-group-tickets"')
    assert records["deal"].get_absolute_url() in body
    # Every kind the user may see was searched, and the page says so.
    assert [kind.key for kind in response.context["kinds"]] == [
        "customers",
        "contacts",
        "contracts",
        "invoices",
        "deals",
        "tickets",
    ]


def test_each_group_is_bounded_with_a_link_to_the_rest(persona_client, manager, customer):
    InvoiceFactory.create_batch(search.PAGE_LIMIT + 3, customer=customer)  # FV/…
    client = persona_client(manager)

    page = client.get(URL, {"q": "FV/"})
    (group,) = page.context["groups"]
    assert len(group.hits) == search.PAGE_LIMIT and group.has_more
    assert group.more_url == reverse("relationships:invoice_list") + "?q=FV%2F"
    assert group.more_url.replace("&", "&amp;") in page.content.decode()
    # The list behind the link holds them all.
    listed = client.get(group.more_url).context["page"].paginator.count
    assert listed == search.PAGE_LIMIT + 3

    dropdown = client.get(URL, {"q": "FV/"}, **HTMX)
    assert dropdown.templates[0].name == "customers/_search_dropdown.html"
    (group,) = dropdown.context["groups"]
    assert len(group.hits) == search.DROPDOWN_LIMIT and group.has_more
    assert dropdown.content.decode().count("list-group-item-action") == (
        search.DROPDOWN_LIMIT + 1  # the hits and "All results"
    )


def test_a_kind_without_a_list_of_its_own_shows_more_on_the_search_page(
    persona_client, manager, customer
):
    ContactPersonFactory.create_batch(search.PAGE_LIMIT + 2, customer=customer, last_name="Ibis")
    client = persona_client(manager)
    (group,) = client.get(URL, {"q": "ibis"}).context["groups"]
    assert group.has_more and group.more_url == f"{URL}?q=ibis&kind=contacts"
    (group,) = client.get(group.more_url).context["groups"]
    assert len(group.hits) == search.PAGE_LIMIT + 2 and not group.has_more


def test_the_number_of_queries_does_not_grow_with_the_hits(
    persona_client, manager, django_assert_max_num_queries, sales_rep, service_agent
):
    client = persona_client(manager)

    def queries_for(n):
        for i in range(n):
            customer = CustomerFactory(display_name=f"Kestrel {i}", tax_id="", phone="")
            ContactPersonFactory(customer=customer, last_name=f"Kestrel{i}")
            _deal(customer, f"Kestrel deal {i}", sales_rep)
            _ticket(customer, f"Kestrel ticket {i}", service_agent)
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        with CaptureQueriesContext(connection) as captured:
            assert client.get(URL, {"q": "kestrel"}).status_code == 200
        return len(captured)

    few = queries_for(2)
    many = queries_for(10)
    assert many == few
    # The session and user, then one query per kind that can match a word (customers,
    # contacts, deals, tickets; contracts and invoices are numbers: asked, found nothing).
    with django_assert_max_num_queries(10):
        client.get(URL, {"q": "kestrel"})


# --- Access -------------------------------------------------------------------------------


def test_without_finance_permissions_no_invoice_is_found(
    persona_client, sales_rep, finance_clerk, records
):
    sales = persona_client(sales_rep).get(URL, {"q": "FV/20"})
    assert "invoices" not in sales.context["found"]
    assert "invoices" not in [kind.key for kind in sales.context["kinds"]]
    assert "FV/2026/0042/1" not in sales.content.decode()
    assert (
        persona_client(sales_rep).get(URL, {"q": "FV/20"}, **HTMX).content.decode().count("FV/")
        == 0
    )
    finance = _found(persona_client(finance_clerk), "FV/20")
    assert set(finance["invoices"]) == {records["invoice"], records["other_invoice"]}


def test_a_user_without_a_role_cannot_search(client, persona_client, outsider, records):
    assert persona_client(outsider).get(URL, {"q": "quokka"}).status_code == 403
    client.logout()
    response = client.get(URL, {"q": "quokka"})
    assert response.status_code == 302 and "login" in response.url


def test_team_mode_finds_nothing_of_another_teams_customers(
    settings, persona_client, sales_rep, service_agent, records
):
    settings.CRM_VISIBILITY = "team"
    north = Team.objects.create(name="North")
    north.members.add(sales_rep, service_agent)
    stranger = UserFactory(username="stan_south", roles=["sales"])
    Team.objects.create(name="South").members.add(stranger)
    for record in (records["customer"], records["other"]):
        record.owner = sales_rep
        record.save(update_fields=["owner"])
    own = CustomerFactory(display_name="Quokka South", owner=stranger, tax_id="", phone="")

    found = _found(persona_client(stranger), "quokka")
    assert found["customers"] == [own]
    assert found["contacts"] == [] and found["deals"] == [] and found["tickets"] == []
    assert _found(persona_client(stranger), "UM/20")["contracts"] == []

    found = _found(persona_client(sales_rep), "quokka")
    assert found["customers"] == [records["customer"]] and found["deals"] == [records["deal"]]


# --- Hostile input ------------------------------------------------------------------------


@pytest.mark.parametrize("term", ["%%", "__", "%_%", "UM_2026", "FV%", "\\%"])
def test_wildcards_are_plain_characters(persona_client, manager, records, term):
    response = persona_client(manager).get(URL, {"q": term})
    assert response.status_code == 200
    assert response.context["groups"] == []


@pytest.mark.parametrize("term", ["", " ", "a", "  q  "])
def test_a_term_too_short_asks_for_more_without_a_query(
    persona_client, manager, records, term, django_assert_max_num_queries
):
    client = persona_client(manager)
    client.get(URL, {"q": "warm up the session"})
    # the session and its user, the bell's unread count; nothing searched
    with django_assert_max_num_queries(4):
        response = client.get(URL, {"q": term})
    assert response.context["groups"] == [] and not response.context["searched"]
    assert "at least two characters" in response.content.decode()
    assert client.get(URL, {"q": term}, **HTMX).content.decode().strip() == ""


def test_a_very_long_term_is_refused_beside_the_box(persona_client, manager, records):
    response = persona_client(manager).get(URL, {"q": "quokka " * 10_000})
    assert response.status_code == 200
    assert response.context["too_long"] and response.context["groups"] == []
    assert "too long" in response.content.decode()


def test_a_two_character_term_matches_numbers_but_not_parts_of_names(
    persona_client, manager, records
):
    found = _found(persona_client(manager), "um")
    assert set(found["contracts"]) == {records["contract"], records["other_contract"]}
    assert found["customers"] == [] and found["contacts"] == [] and found["deals"] == []


def test_markup_in_a_term_or_a_record_is_shown_as_text(persona_client, manager, customer):
    CustomerFactory(display_name="<b>Quetzal</b> & co")
    CustomerFactory(display_name="Quetzal two")
    client = persona_client(manager)
    body = client.get(URL, {"q": "quetzal"}).content.decode()
    assert "<b>Quetzal</b>" not in body and "&lt;b&gt;Quetzal&lt;/b&gt;" in body
    body = client.get(URL, {"q": "<i>zz</i>"}).content.decode()
    assert "<i>zz" not in body and "&lt;i&gt;zz" in body
