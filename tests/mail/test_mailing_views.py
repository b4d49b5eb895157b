"""The mailing pages: who may use them, the draft form and its errors, the preview, sending,
the report; and the access layer deciding whom a user's mailing reaches."""

import pytest

from core.models import Team
from mail.models import Mailing
from mail.services.mailings import mailing_send
from tests.factories import ContactPersonFactory, CustomerFactory, SegmentFactory, UserFactory
from tests.mail.test_mailings import (
    consenting_contact,
    make_mailing,
    make_purpose,
    make_template,
    send_all,
)


@pytest.fixture
def purpose(db):
    return make_purpose()


@pytest.fixture
def template(db):
    return make_template()


def test_the_mailing_pages_need_a_login_and_the_right_to_send_mailings(
    client, persona_client, service_agent, finance_clerk, sales_rep, manager, purpose
):
    mailing = make_mailing(by=manager, purpose=purpose)
    pages = ["/mail/mailings/", "/mail/mailings/new/", f"/mail/mailings/{mailing.pk}/"]
    for path in pages:
        assert client.get(path)["Location"].startswith("/login/")
    for user in (service_agent, finance_clerk):
        logged_in = persona_client(user)
        for path in pages:
            assert logged_in.get(path).status_code == 403
        assert logged_in.post(f"/mail/mailings/{mailing.pk}/send/").status_code == 403
    for user in (sales_rep, manager):
        logged_in = persona_client(user)
        for path in pages:
            assert logged_in.get(path).status_code == 200
    # Sending is a POST.
    assert persona_client(manager).get(f"/mail/mailings/{mailing.pk}/send/").status_code == 405
    mailing.refresh_from_db()
    assert mailing.status == Mailing.Status.DRAFT


def test_a_draft_is_written_previewed_and_sent_from_its_pages(
    persona_client, sales_rep, purpose, template, django_capture_on_commit_callbacks
):
    segment = SegmentFactory(name="Warsaw")
    customer = CustomerFactory(owner=sales_rep)
    customer.segments.add(segment)
    consenting_contact(None, purpose=purpose, by=sales_rep, customer=customer)
    ContactPersonFactory(customer=customer)  # no consent
    client = persona_client(sales_rep)

    created = client.post(
        "/mail/mailings/new/",
        {
            "name": "Spring",
            "purpose": purpose.pk,
            "template": template.pk,
            "segment": segment.pk,
        },
    )
    mailing = Mailing.objects.get()
    assert created["Location"] == f"/mail/mailings/{mailing.pk}/"
    preview = client.get(created["Location"]).content.decode()
    assert "<strong>1</strong> person will receive it." in preview
    assert '<td class="text-end" id="excluded-no-consent">1</td>' in preview

    with django_capture_on_commit_callbacks(execute=True):
        sent = client.post(f"/mail/mailings/{mailing.pk}/send/")
    assert sent["Location"] == f"/mail/mailings/{mailing.pk}/"
    mailing.refresh_from_db()
    assert mailing.status == Mailing.Status.SENT
    assert mailing.sent_by == sales_rep
    report = client.get(sent["Location"]).content.decode()
    assert 'data-status="sent">Sent <span class="badge text-bg-light">1</span>' in report
    # While sending, the progress part refreshes itself (htmx) without the whole page.
    part = client.get(sent["Location"], HTTP_HX_REQUEST="true").content.decode()
    assert part.strip().startswith('<div id="progress"') and "<html" not in part
    # A mailing being sent cannot be changed.
    assert client.get(f"/mail/mailings/{mailing.pk}/edit/").status_code == 302


@pytest.mark.parametrize(
    "fields, error",
    [
        ({}, "Choose one audience"),
        ({"segment": "S", "customer_filter": "status=prospect"}, "Choose one audience"),
        ({"customer_filter": "status=nonsense"}, "This customer list filter is not valid."),
        ({"customer_filter": "x" * 2001}, "at most 2000 characters"),
    ],
)
def test_a_draft_with_a_wrong_audience_is_refused_beside_the_form(
    persona_client, sales_rep, purpose, template, fields, error
):
    segment = SegmentFactory(name="S")
    data = {"name": "Spring", "purpose": purpose.pk, "template": template.pk}
    data.update({k: segment.pk if v == "S" else v for k, v in fields.items()})

    answer = persona_client(sales_rep).post("/mail/mailings/new/", data)

    assert answer.status_code == 200
    assert error in answer.content.decode()
    assert not Mailing.objects.exists()


def test_a_template_for_something_else_than_mailings_is_refused(persona_client, sales_rep, purpose):
    segment = SegmentFactory()
    invoice_template = make_template(name="Reminder", purpose="invoice")

    answer = persona_client(sales_rep).post(
        "/mail/mailings/new/",
        {
            "name": "Spring",
            "purpose": purpose.pk,
            "template": invoice_template.pk,
            "segment": segment.pk,
        },
    )

    assert answer.status_code == 200
    assert "Select a valid choice" in answer.content.decode()
    assert not Mailing.objects.exists()


def test_a_customer_list_filter_selects_the_audience_as_the_list_does(
    persona_client, sales_rep, purpose, template
):
    prospect = CustomerFactory(owner=sales_rep, status="prospect")
    active = CustomerFactory(owner=sales_rep, status="active")
    for customer in (prospect, active):
        consenting_contact(None, purpose=purpose, by=sales_rep, customer=customer)

    persona_client(sales_rep).post(
        "/mail/mailings/new/",
        {
            "name": "Prospects",
            "purpose": purpose.pk,
            "template": template.pk,
            "customer_filter": "http://crm.example/customers/?status=prospect",
        },
    )

    mailing = Mailing.objects.get()
    assert mailing.customer_filter == "status=prospect"
    page = persona_client(sales_rep).get(f"/mail/mailings/{mailing.pk}/").content.decode()
    assert '<a href="/customers/?status=prospect">Customer list filter</a>' in page
    assert "<strong>1</strong> person will receive it." in page

    mailing_send(mailing=mailing, by=sales_rep)
    assert (
        "Customer list filter" in persona_client(sales_rep).get("/mail/mailings/").content.decode()
    )
    assert list(mailing.recipients.values_list("customer", flat=True)) == [prospect.pk]


def test_in_team_mode_a_sales_rep_reaches_only_the_customers_they_see(
    settings, smtp_settings, sales_rep, purpose, persona_client, django_capture_on_commit_callbacks
):
    settings.CRM_VISIBILITY = "team"
    rival = UserFactory(username="rita_rival", roles=["sales"])
    Team.objects.create(name="Warsaw").members.add(sales_rep)
    Team.objects.create(name="Prague").members.add(rival)
    mailing = make_mailing(by=sales_rep, purpose=purpose)
    ours = consenting_contact(smtp_settings, purpose=purpose, by=sales_rep, name="ours")
    theirs = consenting_contact(smtp_settings, purpose=purpose, by=rival, name="theirs")
    unowned = consenting_contact(
        smtp_settings, purpose=purpose, by=sales_rep, customer=CustomerFactory(owner=None)
    )
    for contact in (ours, theirs, unowned):
        contact.customer.segments.add(mailing.segment)

    preview = persona_client(sales_rep).get(f"/mail/mailings/{mailing.pk}/").content.decode()
    assert "<strong>2</strong> people will receive it." in preview
    send_all(mailing, sales_rep, django_capture_on_commit_callbacks)

    assert len(smtp_settings.inbox(ours.email)) == 1
    assert len(smtp_settings.inbox(unowned.email)) == 1
    assert smtp_settings.inbox(theirs.email) == []
    # The rival's report lists none of the customers they do not see.
    report = persona_client(rival).get(f"/mail/mailings/{mailing.pk}/").content.decode()
    assert ours.customer.display_name not in report


def test_the_report_page_costs_the_same_queries_for_many_recipients(
    persona_client, manager, purpose, django_assert_max_num_queries
):
    mailing = make_mailing(by=manager, purpose=purpose)
    for _ in range(30):
        contact = consenting_contact(None, purpose=purpose, by=manager)
        contact.customer.segments.add(mailing.segment)
    mailing_send(mailing=mailing, by=manager)
    client = persona_client(manager)
    client.get(f"/mail/mailings/{mailing.pk}/")

    with django_assert_max_num_queries(15):
        page = client.get(f"/mail/mailings/{mailing.pk}/")
    assert page.content.decode().count("<tr>") >= 31
