"""ETag on a record, If-Match on every change: a stale write is a 412 and nothing is written; a
write without If-Match is a 428 (RFC 6585), so no client overwrites a change it never saw."""

import threading

import pytest
from django.db import connection

from api.models import ApiToken
from customers.models import Customer
from tests.factories import CustomerFactory

from .conftest import problem_of


@pytest.fixture
def customer(sales_rep):
    return CustomerFactory(owner=sales_rep, city="Gdańsk")


def test_a_record_answers_an_etag_that_changes_with_it(api_as, sales_rep, customer):
    api = api_as(sales_rep)
    first = api.get(f"/api/v1/customers/{customer.pk}/")["ETag"]
    assert api.get(f"/api/v1/customers/{customer.pk}/")["ETag"] == first
    Customer.objects.filter(pk=customer.pk).update(city="Sopot")
    assert api.get(f"/api/v1/customers/{customer.pk}/")["ETag"] != first


def test_a_rescore_does_not_make_an_etag_stale(api_as, sales_rep, customer):
    """The customer's value is the scoring job's, rescored in the background after payments,
    interactions and every night: not a change a client could conflict with."""
    from customers.models import CustomerValue

    api = api_as(sales_rep)
    etag = api.get(f"/api/v1/customers/{customer.pk}/")["ETag"]
    CustomerValue.objects.filter(pk=customer.pk).update(grade="A", payment_reliability=97)
    shown = api.get(f"/api/v1/customers/{customer.pk}/")
    assert shown.json()["value"]["grade"] == "A"  # the new value is shown...
    assert shown["ETag"] == etag  # ... and the ETag still holds
    response = api.patch(
        f"/api/v1/customers/{customer.pk}/", {"city": "Gdynia"}, format="json", HTTP_IF_MATCH=etag
    )
    assert response.status_code == 200, response.json()


def test_an_update_with_the_current_etag_goes_through(api_as, sales_rep, customer):
    api = api_as(sales_rep)
    etag = api.get(f"/api/v1/customers/{customer.pk}/")["ETag"]
    response = api.patch(
        f"/api/v1/customers/{customer.pk}/", {"city": "Gdynia"}, format="json", HTTP_IF_MATCH=etag
    )
    assert response.status_code == 200, response.json()
    assert response.json()["city"] == "Gdynia"
    assert response["ETag"] != etag
    customer.refresh_from_db()
    assert customer.city == "Gdynia"


def test_a_stale_update_is_a_412_and_overwrites_nothing(api_as, sales_rep, customer):
    api = api_as(sales_rep)
    etag = api.get(f"/api/v1/customers/{customer.pk}/")["ETag"]
    # Someone else changes the customer meanwhile (on the screens, or another client).
    api.patch(
        f"/api/v1/customers/{customer.pk}/", {"city": "Sopot"}, format="json", HTTP_IF_MATCH=etag
    )
    response = api.patch(
        f"/api/v1/customers/{customer.pk}/", {"city": "Gdynia"}, format="json", HTTP_IF_MATCH=etag
    )
    assert response.status_code == 412
    assert problem_of(response)["type"] == "/api/v1/problems/precondition-failed"
    customer.refresh_from_db()
    assert customer.city == "Sopot"


def test_an_update_without_if_match_is_a_428(api_as, sales_rep, customer):
    response = api_as(sales_rep).patch(
        f"/api/v1/customers/{customer.pk}/", {"city": "Gdynia"}, format="json"
    )
    assert response.status_code == 428
    problem_of(response)
    customer.refresh_from_db()
    assert customer.city == "Gdańsk"


def test_ending_a_relationship_needs_the_current_etag(api_as, manager, customer):
    api = api_as(manager)
    relationship = customer.relationships.get()
    url = f"/api/v1/relationships/{relationship.pk}/end/"
    assert api.post(url, {"reason": "competitor"}, format="json").status_code == 428
    stale = api.post(url, {"reason": "competitor"}, format="json", HTTP_IF_MATCH='"stale"')
    assert stale.status_code == 412
    etag = api.get(f"/api/v1/relationships/{relationship.pk}/")["ETag"]
    response = api.post(url, {"reason": "competitor"}, format="json", HTTP_IF_MATCH=etag)
    assert response.status_code == 200, response.json()
    assert response.json()["status"] == "ended"
    again = api.post(url, {"reason": "competitor"}, format="json", HTTP_IF_MATCH=response["ETag"])
    assert again.status_code == 422
    assert "already ended" in problem_of(again)["errors"]["non_field_errors"][0]


@pytest.mark.django_db(transaction=True)
def test_two_simultaneous_updates_with_one_etag_let_exactly_one_through(token_for, sales_rep):
    """The If-Match check and the write happen under one row lock: of two clients that read
    the same version, one writes and the other gets 412 (PostgreSQL; SQLite runs one writer)."""
    if connection.vendor != "postgresql":
        pytest.skip("concurrent transactions need PostgreSQL")
    from rest_framework.test import APIClient

    customer = CustomerFactory(owner=sales_rep, city="Gdańsk")
    secret = token_for(sales_rep, ApiToken.Access.WRITE)
    url = f"/api/v1/customers/{customer.pk}/"
    reader = APIClient()
    reader.credentials(HTTP_AUTHORIZATION=f"Bearer {secret}")
    etag = reader.get(url)["ETag"]
    statuses, barrier = [], threading.Barrier(2)

    def write(city):
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {secret}")
        barrier.wait()
        statuses.append(
            client.patch(url, {"city": city}, format="json", HTTP_IF_MATCH=etag).status_code
        )
        connection.close()

    threads = [threading.Thread(target=write, args=(city,)) for city in ("Gdynia", "Sopot")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(statuses) == [200, 412]
