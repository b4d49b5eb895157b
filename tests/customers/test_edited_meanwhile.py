"""Two people editing one customer (core.concurrent_edits): the second save never silently
undoes the first. Every edit form of the apps is checked in tests/hostile/test_edited_meanwhile.py;
here the whole exchange, as two colleagues live it."""

import threading

import pytest
from django.db import connection
from django.test import Client
from django.urls import reverse

from tests.factories import CustomerFactory, SegmentFactory
from tests.hostile.probe import base_payload
from tests.hostile.targets import parse_forms

pytestmark = pytest.mark.django_db


def opened(client, url):
    """What the browser would post for the edit form as the page shows it."""
    response = client.get(url)
    assert response.status_code == 200
    form = next(f for f in parse_forms(response.content.decode(), url) if f.action == url)
    return base_payload(form, "manager")


def again(response, url):
    """The form as the refused save's page shows it, to be posted again."""
    form = next(f for f in parse_forms(response.content.decode(), url) if f.action == url)
    return base_payload(form, "manager")


@pytest.fixture
def colleagues(manager, sales_rep):
    anna, bartek = Client(), Client()
    anna.force_login(manager)
    bartek.force_login(manager)
    return anna, bartek


@pytest.fixture
def customer(sales_rep):
    return CustomerFactory(
        display_name="Hurtownia Zieleń", city="Białystok", phone="+48 600 100 200", owner=sales_rep
    )


def test_changes_to_different_fields_both_stay_after_a_second_look(colleagues, customer):
    anna, bartek = colleagues
    url = reverse("customers:edit", args=[customer.pk])
    annas, barteks = opened(anna, url), opened(bartek, url)

    assert anna.post(url, {**annas, "city": "Kraków"}).status_code == 302
    response = bartek.post(url, {**barteks, "phone": "+48 600 999 999"})

    # Nothing written over Anna's city; Bartek's form shows it, and keeps his phone.
    assert response.status_code == 200
    form = response.context["form"]
    assert "Someone else saved this record after you opened it" in str(form.non_field_errors())
    assert form["city"].value() == "Kraków"
    assert "the new value" in str(form.errors["city"])
    assert form["phone"].value() == "+48 600 999 999"
    customer.refresh_from_db()
    assert (customer.city, customer.phone) == ("Kraków", "+48 600 100 200")

    # He looks, saves again: both changes stay.
    assert bartek.post(url, again(response, url)).status_code == 302
    customer.refresh_from_db()
    assert (customer.city, customer.phone) == ("Kraków", "+48 600 999 999")


def test_the_same_field_changed_twice_shows_the_other_value_beside_mine(colleagues, customer):
    anna, bartek = colleagues
    url = reverse("customers:edit", args=[customer.pk])
    annas, barteks = opened(anna, url), opened(bartek, url)

    assert anna.post(url, {**annas, "city": "Kraków"}).status_code == 302
    response = bartek.post(url, {**barteks, "city": "Gdańsk"})

    assert response.status_code == 200
    form = response.context["form"]
    assert form["city"].value() == "Gdańsk"
    assert "Changed by someone else meanwhile to “Kraków”" in str(form.errors["city"])
    customer.refresh_from_db()
    assert customer.city == "Kraków"

    # Having seen Anna's value, he keeps his own.
    assert bartek.post(url, again(response, url)).status_code == 302
    customer.refresh_from_db()
    assert customer.city == "Gdańsk"


def test_a_relation_and_a_many_to_many_field_changed_meanwhile_are_shown(
    colleagues, customer, manager
):
    anna, bartek = colleagues
    vip = SegmentFactory(name="VIP")
    url = reverse("customers:edit", args=[customer.pk])
    annas, barteks = opened(anna, url), opened(bartek, url)

    assert (
        anna.post(url, {**annas, "owner": str(manager.pk), "segments": [str(vip.pk)]}).status_code
        == 302
    )
    response = bartek.post(url, {**barteks, "notes": "Pays in May."})

    assert response.status_code == 200
    form = response.context["form"]
    assert str(form["owner"].value()) == str(manager.pk)
    assert [str(pk) for pk in form["segments"].value()] == [str(vip.pk)]
    assert bartek.post(url, again(response, url)).status_code == 302
    customer.refresh_from_db()
    assert customer.owner == manager
    assert list(customer.segments.all()) == [vip]
    assert customer.notes == "Pays in May."


def test_the_same_form_sent_twice_is_no_conflict(colleagues, customer):
    anna, _bartek = colleagues
    url = reverse("customers:edit", args=[customer.pk])
    payload = {**opened(anna, url), "city": "Kraków"}
    assert anna.post(url, payload).status_code == 302
    assert anna.post(url, payload).status_code == 302  # a double click


def test_a_form_without_its_loaded_values_saves_as_before(colleagues, customer):
    """A form opened before the check existed (no hidden field) is not refused."""
    anna, _bartek = colleagues
    url = reverse("customers:edit", args=[customer.pk])
    payload = {k: v for k, v in opened(anna, url).items() if k != "loaded_values"}
    assert anna.post(url, {**payload, "city": "Kraków"}).status_code == 302


@pytest.mark.skipif(
    connection.vendor != "postgresql", reason="SQLite lets one writer in at a time: no race"
)
@pytest.mark.django_db(transaction=True)
def test_two_saves_at_the_same_moment_take_turns_and_the_second_is_refused(manager, sales_rep):
    customer = CustomerFactory(city="Białystok", owner=sales_rep)
    url = reverse("customers:edit", args=[customer.pk])
    clients = [Client(), Client()]
    for client in clients:
        client.force_login(manager)
    payloads = [opened(client, url) for client in clients]
    payloads[0]["city"], payloads[1]["phone"] = "Kraków", "+48 600 999 999"
    barrier = threading.Barrier(2, timeout=30)
    statuses, failures = [None, None], []

    def save(i):
        try:
            barrier.wait()
            statuses[i] = clients[i].post(url, payloads[i]).status_code
        except Exception as error:
            failures.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=save, args=(i,)) for i in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not failures, failures
    assert sorted(statuses) == [200, 302]
    customer.refresh_from_db()
    winner = statuses.index(302)
    expected = [("Kraków", customer.phone), ("Białystok", "+48 600 999 999")][winner]
    assert (customer.city, customer.phone) == expected


def test_a_field_the_form_does_not_show_changed_just_before_the_save_is_kept(manager, customer):
    """Between the request's read of the record and the row lock (milliseconds), a background
    job or another screen changed a field the edit form does not show (the status, written by
    the relationship services). The whole-row save must not write back the value it read."""
    from core.views.helpers import run_service
    from customers import services
    from customers.forms import CustomerForm
    from customers.models import Customer

    url = reverse("customers:edit", args=[customer.pk])
    client = Client()
    client.force_login(manager)
    payload = {**opened(client, url), "city": "Kraków"}
    read = Customer.objects.get(pk=customer.pk)  # the view's read
    form = CustomerForm(payload, instance=read)
    assert form.is_valid(), form.errors
    Customer.objects.filter(pk=customer.pk).update(status=Customer.Status.ACTIVE)

    data = {k: v for k, v in form.cleaned_data.items() if k != "segments"}
    assert run_service(
        form,
        services.customer_update,
        customer=read,
        data=data,
        segments=form.cleaned_data["segments"],
    )
    customer.refresh_from_db()
    assert (customer.city, customer.status) == ("Kraków", Customer.Status.ACTIVE)
