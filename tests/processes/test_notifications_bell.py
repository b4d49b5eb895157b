"""The notifications bell of every page: its unread count in one query, and marking read (by a
plain form or htmx, which gets back the rows it changed and the bell's new count)."""

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from processes.models import Notification

pytestmark = pytest.mark.django_db


def notify(user, n, *, kind=Notification.Kind.STALL_WARNING):
    return Notification.objects.create(
        recipient=user, kind=kind, occurrence=f"event:{n}:{kind}", message=f"Message {n}"
    )


def badge(html):
    """The bell's visible count, or None when it shows none."""
    assert 'id="notification-badge"' in html, "no bell on the page"
    found = re.search(r'badge rounded-pill bg-danger" aria-hidden="true">([^<]+)<', html)
    return found[1] if found else None


def test_the_bell_shows_the_unread_count_on_every_page(persona_client, sales_rep, manager):
    for n in range(3):
        notify(sales_rep, n)
    Notification.objects.filter(pk=notify(sales_rep, 9).pk).update(read_at="2026-01-01T10:00Z")
    notify(manager, 1)  # someone else's
    client = persona_client(sales_rep)

    for url in (reverse("home"), reverse("customers:list"), reverse("processes:task_list")):
        html = client.get(url).content.decode()
        assert badge(html) == "3", url
        assert "3 unread notifications" in html


def test_the_bell_shows_no_number_when_all_are_read(persona_client, sales_rep):
    html = persona_client(sales_rep).get(reverse("home")).content.decode()
    assert badge(html) is None
    assert "No unread notifications" in html


def test_the_bell_caps_its_number(persona_client, sales_rep):
    Notification.objects.bulk_create(
        Notification(recipient=sales_rep, kind="stall_warning", occurrence=f"e{n}", message="m")
        for n in range(120)
    )
    assert badge(persona_client(sales_rep).get(reverse("home")).content.decode()) == "99+"


def test_the_bell_costs_one_query_and_only_on_pages_that_show_it(persona_client, sales_rep):
    notify(sales_rep, 1)
    client = persona_client(sales_rep)
    client.get(reverse("processes:task_list"))
    with CaptureQueriesContext(connection) as page:
        client.get(reverse("processes:task_list"))
    counts = [q["sql"] for q in page.captured_queries if "processes_notification" in q["sql"]]
    assert len(counts) == 1
    assert "COUNT(" in counts[0].upper()

    # An htmx fragment (the customer list's rows) has no navigation bar, so no count.
    with CaptureQueriesContext(connection) as fragment:
        client.get(reverse("customers:list"), headers={"HX-Request": "true"})
    assert not [q for q in fragment.captured_queries if "processes_notification" in q["sql"]]


def test_no_bell_before_logging_in_or_without_a_role(client, outsider):
    assert 'id="notification-bell"' not in client.get(reverse("login")).content.decode()
    client.force_login(outsider)
    assert 'id="notification-bell"' not in client.get(reverse("home")).content.decode()


def test_the_bell_opens_the_notifications_list(persona_client, sales_rep):
    html = persona_client(sales_rep).get(reverse("home")).content.decode()
    assert f'href="{reverse("processes:notification_list")}" title="Notifications"' in html


def test_marking_one_read_with_htmx_returns_the_row_and_the_new_count(persona_client, sales_rep):
    first, _second = notify(sales_rep, 1), notify(sales_rep, 2)
    client = persona_client(sales_rep)

    response = client.post(
        reverse("processes:notification_read", args=[first.pk]), headers={"HX-Request": "true"}
    )

    assert response.status_code == 200
    html = response.content.decode()
    assert f'id="notification-{first.pk}"' in html
    assert "Mark read" not in html  # the row, now read
    assert 'id="notification-badge" hx-swap-oob="true"' in html
    assert badge(html) == "1"
    first.refresh_from_db()
    assert first.read_at is not None


def test_marking_all_read_with_htmx_returns_the_list_and_an_empty_bell(persona_client, sales_rep):
    for n in range(3):
        notify(sales_rep, n)
    client = persona_client(sales_rep)

    response = client.post(
        reverse("processes:notification_read_all") + "?show=unread",
        headers={"HX-Request": "true"},
    )

    html = response.content.decode()
    assert 'id="notification-panel"' in html
    assert "No notifications." in html  # the unread ones, as shown: none left
    assert badge(html) is None
    assert 'hx-swap-oob="true"' in html
    assert not Notification.objects.filter(read_at__isnull=True).exists()


def test_without_htmx_marking_read_redirects_as_before(persona_client, sales_rep):
    notification = notify(sales_rep, 1)
    client = persona_client(sales_rep)

    one = client.post(
        reverse("processes:notification_read", args=[notification.pk]),
        {"next": reverse("home")},
    )
    every = client.post(reverse("processes:notification_read_all"))

    assert one.status_code == 302 and one.url == reverse("home")
    assert every.status_code == 302 and every.url == reverse("processes:notification_list")


def test_the_list_shows_unread_escalations_only_when_asked(persona_client, manager):
    notify(manager, 1, kind=Notification.Kind.STALL_ESCALATION)
    notify(manager, 2, kind=Notification.Kind.STAGE_SLA_ESCALATION)
    notify(manager, 3, kind=Notification.Kind.APPROVAL_REQUESTED)
    client = persona_client(manager)

    shown = client.get(reverse("processes:notification_list"), {"show": "escalations"})
    unread = client.get(reverse("processes:notification_list"), {"unread": "1"})

    assert {n.message for n in shown.context["page"]} == {"Message 1", "Message 2"}
    assert len(unread.context["page"]) == 3
