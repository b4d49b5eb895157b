"""The API's test helpers: a client that sends a persona's personal token."""

import pytest
from rest_framework.test import APIClient

from api.models import ApiToken
from api.services import token_create


@pytest.fixture
def token_for(db):
    """`token_for(user, access="write")`: a new token's secret."""

    def make(user, access=ApiToken.Access.WRITE, **fields):
        _token, secret = token_create(user=user, name="Tests", access=access, **fields)
        return secret

    return make


@pytest.fixture
def api_as(token_for):
    """`api_as(user, access="write")`: an APIClient sending that user's token."""

    def make(user, access=ApiToken.Access.WRITE):
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {token_for(user, access)}")
        return client

    return make


def problem_of(response):
    assert response["Content-Type"] == "application/problem+json", response.content
    body = response.json()
    assert body["status"] == response.status_code
    assert body["type"].startswith("/api/v1/problems/")
    assert body["title"] and body["detail"] and body["instance"]
    return body
