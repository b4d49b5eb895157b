import pytest
from django.urls import reverse

from relationships import services
from tests.factories import (
    ContactPersonFactory,
    CustomerFactory,
    InteractionFactory,
    SegmentFactory,
)

pytestmark = pytest.mark.django_db


@pytest.mark.usefixtures("fast_path")
def test_customer_page_shows_who_they_are_last_contact_contacts_and_timeline(
    persona_client, sales_rep, customer
):
    ContactPersonFactory(customer=customer, first_name="Jan", last_name="Kowalski", is_primary=True)
    services.interaction_log(
        customer=customer,
        by=sales_rep,
        channel="call",
        direction="outbound",
        subject="Offer discussed",
    )
    response = persona_client(sales_rep).get(customer.get_absolute_url())
    body = response.content.decode()
    assert customer.display_name in body
    assert "Jan Kowalski" in body
    assert "Offer discussed" in body  # last contact and timeline
    assert "Relationship started" in body
    assert 'id="log-interaction"' in body


@pytest.mark.usefixtures("fast_path")
@pytest.mark.parametrize("interactions", [3, 60])
def test_customer_page_query_count_is_bounded(
    persona_client, sales_rep, django_assert_max_num_queries, interactions
):
    customer = CustomerFactory(owner=sales_rep)
    customer.segments.add(SegmentFactory())
    contacts = ContactPersonFactory.create_batch(4, customer=customer)
    InteractionFactory.create_batch(
        interactions, customer=customer, created_by=sales_rep, contact_person=contacts[0]
    )
    client = persona_client(sales_rep)
    # + the possible duplicates hint, + the customer's e-mails (mail), + the bell's unread count
    with django_assert_max_num_queries(13):
        response = client.get(customer.get_absolute_url())
    assert response.status_code == 200
    assert len(response.context["timeline"]) == min(interactions + 1, 50)


@pytest.mark.usefixtures("fast_path")
def test_an_interaction_on_the_timeline_says_when_how_who_with_whom_and_what(
    persona_client, sales_rep, customer
):
    from datetime import datetime

    from django.utils import timezone

    contact = ContactPersonFactory(customer=customer, first_name="Jan", last_name="<Kowalski>")
    InteractionFactory(
        customer=customer,
        created_by=None,
        contact_person=contact,
        channel="email",
        direction="inbound",
        subject="Offer & terms",
        outcome="Agreed",
        notes="First line\n<b>second</b>",
        occurred_at=timezone.make_aware(datetime(2026, 3, 5, 14, 30)),
    )
    body = persona_client(sales_rep).get(customer.get_absolute_url()).content.decode()
    entry = body[body.index('<li class="tl-interaction">') :]
    entry = entry[: entry.index("</li>")]
    assert "03/05/2026 2:30 p.m. · E-mail · inbound · unknown · with Jan &lt;Kowalski&gt;" in entry
    assert "<strong>Offer &amp; terms</strong> — Agreed" in entry
    assert '<div class="small">First line<br>&lt;b&gt;second&lt;/b&gt;</div>' in entry


@pytest.mark.usefixtures("fast_path")
def test_timeline_is_newest_first_and_mixes_kinds(persona_client, manager, sales_rep, customer):
    services.interaction_log(
        customer=customer, by=sales_rep, channel="call", direction="outbound", subject="Call"
    )
    services.relationship_end(
        relationship=customer.relationships.get(), reason="closed", by=manager
    )
    timeline = persona_client(manager).get(customer.get_absolute_url()).context["timeline"]
    assert [e.kind for e in timeline] == [
        "relationship_ended",
        "interaction",
        "relationship_started",
    ]


def test_history_page_lists_changes_with_who_and_what(persona_client, sales_rep, customer):
    client = persona_client(sales_rep)
    data = {
        "kind": "organisation",
        "display_name": "Renamed Ltd",
        "source": "web_form",
        "first_contact_on": customer.first_contact_on.isoformat(),
        "email": customer.email,
    }
    assert client.post(reverse("customers:edit", args=[customer.pk]), data).status_code == 302
    body = client.get(reverse("customers:history", args=[customer.pk])).content.decode()
    assert "Renamed Ltd" in body
    assert "sally_sales" in body


def test_global_search_finds_contact_persons_by_phone_and_customers_by_name(
    persona_client, sales_rep
):
    customer = CustomerFactory(display_name="Zeta Logistics", phone="")
    ContactPersonFactory(
        customer=customer, first_name="Eva", last_name="Svobodová", phone="+420 777 888 999"
    )
    ContactPersonFactory(
        customer=CustomerFactory(phone=""), first_name="Jan", last_name="Svoboda", phone="777888999"
    )
    client = persona_client(sales_rep)
    response = client.get(reverse("customers:search"), {"q": "777 888 999"})
    found = [c.full_name for c in response.context["found"]["contacts"]]
    assert sorted(found) == ["Eva Svobodová", "Jan Svoboda"]
    # A single unambiguous match opens it directly.
    response = client.get(reverse("customers:search"), {"q": "Zeta Logistics"})
    assert response.status_code == 302
    assert response.url == customer.get_absolute_url()


@pytest.mark.usefixtures("fast_path")
def test_a_relationship_start_is_the_oldest_entry_of_its_day(persona_client, finance_clerk):
    from decimal import Decimal

    from tests.factories import InvoiceFactory

    customer = CustomerFactory()
    InvoiceFactory(customer=customer, issue_date=customer.first_contact_on, amount=Decimal("10"))
    timeline = persona_client(finance_clerk).get(customer.get_absolute_url()).context["timeline"]
    assert timeline[-1].kind == "relationship_started"


@pytest.mark.usefixtures("fast_path")
def test_the_log_form_offers_the_active_contact_persons_only(persona_client, sales_rep, customer):
    active = ContactPersonFactory(customer=customer, first_name="Ada", last_name="Active")
    ContactPersonFactory(customer=customer, first_name="Ian", last_name="Inactive", is_active=False)
    ContactPersonFactory(first_name="Otto", last_name="Other")  # another customer's

    body = persona_client(sales_rep).get(customer.get_absolute_url()).content.decode()
    select = body[body.index('name="contact_person"') :]
    select = select[: select.index("</select>")]
    assert f'<option value="{active.pk}">Ada Active</option>' in select
    assert "Inactive" not in select
    assert "Other" not in select
    assert "Ian Inactive" in body  # still listed among the contact persons


def test_the_page_is_the_same_html_with_compiled_statements_and_plain_querysets(
    persona_client, manager, sales_rep, html_both_ways
):
    from datetime import timedelta
    from decimal import Decimal

    from django.utils import timezone

    from processes import services as process_services
    from tests.factories import (
        AssetFactory,
        ContractFactory,
        DocumentFactory,
        InvoiceFactory,
        PaymentFactory,
        PayoutFactory,
        ProcessDefinitionFactory,
    )

    today = timezone.localdate()
    customer = CustomerFactory(owner=sales_rep, display_name="Both Ways Ltd")
    customer.segments.add(SegmentFactory(name="Wholesale"))
    contact = ContactPersonFactory(customer=customer, first_name="Ola", last_name="Zielińska")
    InteractionFactory(
        customer=customer,
        created_by=sales_rep,
        contact_person=contact,
        subject="Kick-off call",
        # The header says how long ago: "3 days" in both requests (seconds ago would change).
        occurred_at=timezone.now() - timedelta(days=3, minutes=30),
    )
    contract = ContractFactory(customer=customer, number="UM-2W", currency="EUR")
    invoice = InvoiceFactory(
        customer=customer,
        contract=contract,
        number="FV-2W",
        currency="EUR",
        amount=Decimal("250.00"),
        issue_date=today - timedelta(days=30),
        due_date=today - timedelta(days=2),
    )
    PaymentFactory(invoice=invoice, amount=Decimal("50.00"), reference="REF-2W")
    PayoutFactory(customer=customer, reason="Goodwill refund", requested_by=sales_rep)
    AssetFactory(customer=customer, contract=contract, serial_number="SN-2W")
    DocumentFactory(customer=customer, title="Scan 2W", uploaded_by=sales_rep)
    definition = ProcessDefinitionFactory(kind="sales")
    instance = process_services.instance_open(
        definition=definition, customer=customer, title="Fleet of printers", by=sales_rep
    )
    process_services.instance_move(
        instance=instance, to_stage=definition.stages.get(name="Qualified"), by=manager
    )
    client = persona_client(manager)

    client.get(customer.get_absolute_url())  # compiles the statements

    fast, plain = html_both_ways(lambda: client.get(customer.get_absolute_url()))

    assert fast == plain
    for text in (
        "Both Ways Ltd",
        "Wholesale",
        "Ola Zielińska",
        "Kick-off call",
        "UM-2W",
        "FV-2W",
        "200.00 EUR",  # the invoice's balance, and the money summary's outstanding amount
        "REF-2W",
        "Goodwill refund",
        "SN-2W",
        "Scan 2W",
        "Fleet of printers",
        "Stage moved",
        "Relationship started",
    ):
        assert text in fast, text


@pytest.mark.usefixtures("fast_path")
def test_a_hostile_name_is_escaped_on_the_timeline(persona_client, sales_rep, customer):
    contact = ContactPersonFactory(
        customer=customer, first_name="<script>alert(1)</script>", last_name="&amp;"
    )
    InteractionFactory(
        customer=customer,
        created_by=sales_rep,
        contact_person=contact,
        subject="<script>alert(2)</script>",
        outcome='"><img src=x onerror=alert(3)>',
        notes="<script>alert(4)</script>\nline",
    )
    body = persona_client(sales_rep).get(customer.get_absolute_url()).content.decode()
    entry = body[body.index('<li class="tl-interaction">') :]
    entry = entry[: entry.index("</li>")]
    assert "<script>" not in entry and "<img" not in entry
    assert "with &lt;script&gt;alert(1)&lt;/script&gt; &amp;amp;</div>" in entry
    assert "<strong>&lt;script&gt;alert(2)&lt;/script&gt;</strong>" in entry
    assert "— &quot;&gt;&lt;img src=x onerror=alert(3)&gt;</div>" in entry
    assert '<div class="small">&lt;script&gt;alert(4)&lt;/script&gt;<br>line</div>' in entry
