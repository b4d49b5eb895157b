"""Every endpoint of the API asks for credentials (401, with WWW-Authenticate) and answers a
user without a role 403: the API's side of tests/core/test_permissions.py."""

from django.urls import URLPattern, get_resolver, reverse

from api import urls as api_urls
from api.models import ApiToken

from .conftest import problem_of


def _endpoints():
    """(name, url) of every route of the API's router, a record id filled in."""
    for pattern in api_urls.router.urls:
        if isinstance(pattern, URLPattern) and pattern.name:
            name = f"api:{pattern.name}"
            kwargs = {"pk": 1} if "pk" in pattern.pattern.regex.groupindex else {}
            yield name, reverse(name, kwargs=kwargs)
    yield "api:schema", reverse("api:schema")


def test_every_endpoint_is_in_the_project_urlconf():
    assert get_resolver().resolve(reverse("api:customer-list")).url_name == "customer-list"
    assert len(list(_endpoints())) > 25


def test_every_endpoint_asks_an_anonymous_client_to_authenticate(client, db):
    for name, url in _endpoints():
        for method in ("get", "post"):
            response = getattr(client, method)(url)
            if response.status_code == 405:
                continue
            assert response.status_code == 401, (name, method)
            assert response["WWW-Authenticate"] == 'Bearer realm="api"'
            problem_of(response)


def test_every_endpoint_refuses_a_user_without_a_role(outsider, api_as):
    api = api_as(outsider, ApiToken.Access.WRITE)
    for name, url in _endpoints():
        if name == "api:schema":
            continue  # the schema describes the API to any user
        for method in ("get", "post"):
            response = getattr(api, method)(url, {}, format="json")
            if response.status_code == 405:
                continue
            assert response.status_code == 403, (name, method, response.status_code)
