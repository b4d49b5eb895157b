"""Every error is an RFC 9457 problem (application/problem+json) with field-level messages, in
the user's language; rate limits answer 429 with Retry-After, and with Redis away the API
still answers."""

import pytest
from django.core.cache import cache

from core.i18n import profile_set_language
from tests.factories import CustomerFactory

from .conftest import problem_of


def test_invalid_input_is_a_400_with_messages_beside_the_fields(api_as, sales_rep):
    response = api_as(sales_rep).post(
        "/api/v1/customers/",
        {"display_name": "", "email": "not-an-address", "first_contact": {}},
        format="json",
    )
    assert response.status_code == 400
    body = problem_of(response)
    assert body["type"] == "/api/v1/problems/validation-error"
    assert set(body["errors"]) >= {"display_name", "email", "first_contact.channel"}
    assert body["instance"] == "/api/v1/customers/"


def test_an_address_at_a_bare_ip_is_refused_beside_its_field(api_as, sales_rep):
    response = api_as(sales_rep).post(
        "/api/v1/customers/",
        {"display_name": "Loopback", "email": "user@[127.0.0.1]"},
        format="json",
    )
    assert response.status_code == 400
    assert problem_of(response)["errors"]["email"] == [
        "Enter an e-mail address at an internet domain, such as name@example.com."
    ]


def test_a_date_outside_the_window_is_refused_beside_its_field(api_as, finance_clerk):
    response = api_as(finance_clerk).post(
        "/api/v1/invoices/",
        {
            "customer": CustomerFactory().pk,
            "number": "FV/1",
            "issue_date": "0001-01-01",
            "due_date": "9999-12-31",
            "amount": "10.00",
            "currency": "PLN",
        },
        format="json",
    )
    assert response.status_code == 400
    assert {"issue_date", "due_date"} <= set(problem_of(response)["errors"])


def test_a_business_rule_is_a_422(api_as, sales_rep):
    customer = CustomerFactory(owner=sales_rep, email="known@example.com")
    response = api_as(sales_rep).post(
        "/api/v1/customers/",
        {
            "display_name": customer.display_name,
            "source": "web_form",
            "first_contact_on": "2026-01-05",
            "first_contact": {"channel": "call", "subject": "Hello"},
        },
        format="json",
    )
    assert response.status_code == 422
    assert "looks like one we already know" in problem_of(response)["errors"]["non_field_errors"][0]


def test_an_unknown_record_is_a_404_problem(api_as, sales_rep):
    response = api_as(sales_rep).get("/api/v1/customers/999999/")
    assert response.status_code == 404
    assert problem_of(response)["type"] == "/api/v1/problems/not-found"


def test_a_wrong_method_is_a_405_problem(api_as, sales_rep):
    response = api_as(sales_rep).delete(f"/api/v1/customers/{CustomerFactory().pk}/")
    assert response.status_code == 405
    assert "Allow" in response
    problem_of(response)


def test_a_body_that_is_not_json_is_a_415_problem(api_as, sales_rep):
    response = api_as(sales_rep).post(
        "/api/v1/customers/", "display_name=X", content_type="application/x-www-form-urlencoded"
    )
    assert response.status_code == 415
    problem_of(response)


def test_malformed_json_is_a_400_problem(api_as, sales_rep):
    response = api_as(sales_rep).post(
        "/api/v1/customers/", "{not json", content_type="application/json"
    )
    assert response.status_code == 400
    problem_of(response)


def test_too_many_requests_is_a_429_with_retry_after(api_as, sales_rep, settings):
    settings.API_RATE_LIMIT = "3/minute"
    api = api_as(sales_rep)
    statuses = [api.get("/api/v1/segments/").status_code for _ in range(4)]
    assert statuses == [200, 200, 200, 429]
    response = api.get("/api/v1/segments/")
    assert int(response["Retry-After"]) > 0
    assert problem_of(response)["type"] == "/api/v1/problems/throttled"


def test_each_token_has_its_own_budget(api_as, sales_rep, settings):
    settings.API_RATE_LIMIT = "1/minute"
    first, second = api_as(sales_rep), api_as(sales_rep)
    assert first.get("/api/v1/segments/").status_code == 200
    assert first.get("/api/v1/segments/").status_code == 429
    assert second.get("/api/v1/segments/").status_code == 200


def test_with_the_cache_away_the_api_answers_unthrottled(api_as, sales_rep, settings):
    """core.cache answers as an empty cache while Redis is away: every count starts afresh."""
    settings.API_RATE_LIMIT = "1/minute"
    api = api_as(sales_rep)
    original_get = cache.get
    cache.get = lambda key, default=None, version=None: default
    try:
        assert [api.get("/api/v1/segments/").status_code for _ in range(3)] == [200] * 3
    finally:
        cache.get = original_get


def test_messages_follow_accept_language(api_as, sales_rep):
    response = api_as(sales_rep).get("/api/v1/customers/999999/", HTTP_ACCEPT_LANGUAGE="pl")
    assert response["Content-Language"] == "pl"
    assert problem_of(response)["title"] != "Not found."


def test_messages_follow_the_profile_language_over_the_browsers(api_as, sales_rep):
    profile_set_language(user=sales_rep, language="cs")
    response = api_as(sales_rep).post(
        "/api/v1/customers/", {"display_name": ""}, format="json", HTTP_ACCEPT_LANGUAGE="pl"
    )
    assert response["Content-Language"] == "cs"
    # DRF's own catalogue: "This field may not be blank." in Czech.
    assert problem_of(response)["errors"]["display_name"] == ["Toto pole nesmí být prázdné."]


@pytest.mark.parametrize("path", ["/api/v1/schema/", "/api/v1/docs/"])
def test_the_schema_and_docs_need_a_user(client, db, path):
    assert client.get(path).status_code in (302, 401)


def test_a_crash_is_a_500_problem_and_nothing_is_half_saved(api_as, sales_rep, monkeypatch):
    from api.views.customers import CustomerViewSet
    from customers.models import Customer

    def crash(self):
        Customer.objects.create(
            display_name="Half", source="web_form", first_contact_on="2026-01-01"
        )
        raise RuntimeError("boom")

    monkeypatch.setattr(CustomerViewSet, "perform_create", crash)
    api = api_as(sales_rep)
    api.raise_request_exception = False
    response = api.post("/api/v1/customers/", {}, format="json")
    assert response.status_code == 500
    body = problem_of(response)
    assert body["type"] == "/api/v1/problems/server-error"
    assert "boom" not in response.content.decode()
    assert not Customer.objects.filter(display_name="Half").exists()
