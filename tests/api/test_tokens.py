"""Personal API tokens: the page that creates, lists and revokes them, and what a token may do."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from api.models import ApiToken, hash_secret
from core.models import AuditEvent
from tests.factories import CustomerFactory

from .conftest import problem_of

TOKENS = reverse("api:token_list")


def test_anonymous_is_sent_to_log_in_for_the_token_page(client):
    response = client.get(TOKENS)
    assert response.status_code == 302
    assert reverse("login") in response["Location"]


def test_creating_a_token_shows_its_secret_once_and_stores_only_its_hash(persona_client, sales_rep):
    client = persona_client(sales_rep)
    response = client.post(TOKENS, {"name": "ERP import", "access": "write"})
    assert response.status_code == 302
    page = client.get(TOKENS).content.decode()
    token = ApiToken.objects.get(user=sales_rep)
    secret = page.split('user-select-all d-block text-break">')[1].split("<")[0]
    assert secret.startswith(f"crm_{token.prefix}_")
    assert token.secret_hash == hash_secret(secret)
    assert secret not in client.get(TOKENS).content.decode()  # shown once
    assert token.access == ApiToken.Access.WRITE


def test_a_token_cannot_expire_in_the_past(persona_client, sales_rep):
    client = persona_client(sales_rep)
    response = client.post(
        TOKENS, {"name": "Old", "access": "read", "expires_at": "2020-01-01 10:00"}
    )
    assert response.status_code == 400
    assert "Choose a moment in the future." in response.content.decode()
    assert not ApiToken.objects.exists()


def test_a_token_cannot_expire_after_the_recorded_window(persona_client, sales_rep):
    """Found by tests/hostile: an expiry in 9999 was stored (every date has its bounds)."""
    client = persona_client(sales_rep)
    response = client.post(
        TOKENS, {"name": "Forever", "access": "read", "expires_at": "9999-12-31T23:59"}
    )
    assert response.status_code == 400
    assert "Enter a date between" in response.content.decode()
    assert not ApiToken.objects.exists()


def test_creating_and_revoking_a_token_are_in_the_audit(persona_client, sales_rep, token_for):
    client = persona_client(sales_rep)
    client.post(TOKENS, {"name": "ERP import", "access": "read"})
    token = ApiToken.objects.get(user=sales_rep)
    client.post(reverse("api:token_revoke", args=[token.pk]))
    events = AuditEvent.objects.filter(model="api.apitoken", object_id=token.pk)
    assert list(events.order_by("id").values_list("action", "user")) == [
        ("create", sales_rep.pk),
        ("update", sales_rep.pk),
    ]
    assert "secret_hash" not in events.first().changes


def test_a_revoked_token_is_refused(persona_client, sales_rep, api_as):
    client = persona_client(sales_rep)
    api = api_as(sales_rep)
    token = ApiToken.objects.get(user=sales_rep)
    assert api.get("/api/v1/customers/").status_code == 200
    client.post(reverse("api:token_revoke", args=[token.pk]))
    response = api.get("/api/v1/customers/")
    assert response.status_code == 401
    assert response["WWW-Authenticate"].startswith("Bearer")
    problem_of(response)


def test_revoking_needs_post_and_only_ones_own_token(persona_client, sales_rep, manager):
    theirs = ApiToken.objects.create(
        user=manager, name="Theirs", prefix="abcd1234", secret_hash="x"
    )
    client = persona_client(sales_rep)
    assert client.get(reverse("api:token_revoke", args=[theirs.pk])).status_code == 405
    assert client.post(reverse("api:token_revoke", args=[theirs.pk])).status_code == 404
    theirs.refresh_from_db()
    assert theirs.revoked_at is None


def test_an_expired_token_is_refused(sales_rep, token_for, client):
    secret = token_for(sales_rep, expires_at=timezone.now() + timedelta(hours=1))
    an_hour_ago = timezone.now() - timedelta(hours=1)
    ApiToken.objects.update(created_at=an_hour_ago, expires_at=an_hour_ago + timedelta(minutes=1))
    response = client.get("/api/v1/customers/", HTTP_AUTHORIZATION=f"Bearer {secret}")
    assert response.status_code == 401


def test_an_inactive_users_token_is_refused(sales_rep, token_for, client):
    secret = token_for(sales_rep)
    sales_rep.is_active = False
    sales_rep.save()
    response = client.get("/api/v1/customers/", HTTP_AUTHORIZATION=f"Bearer {secret}")
    assert response.status_code == 401
    assert "inactive" in problem_of(response)["detail"]


@pytest.mark.parametrize("header", ["Bearer crm_nothing", "Bearer", "Bearer a b", "Bearer xyz"])
def test_a_malformed_or_unknown_token_is_a_401(client, db, header):
    response = client.get("/api/v1/customers/", HTTP_AUTHORIZATION=header)
    assert response.status_code == 401
    problem_of(response)


def test_no_credentials_is_a_401_asking_for_a_bearer_token(client, db):
    response = client.get("/api/v1/customers/")
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == 'Bearer realm="api"'


def test_a_read_only_token_reads_but_cannot_write(api_as, sales_rep):
    customer = CustomerFactory(owner=sales_rep)
    api = api_as(sales_rep, access=ApiToken.Access.READ)
    read = api.get(f"/api/v1/customers/{customer.pk}/")
    assert read.status_code == 200
    response = api.patch(
        f"/api/v1/customers/{customer.pk}/",
        {"city": "Kraków"},
        format="json",
        HTTP_IF_MATCH=read["ETag"],
    )
    assert response.status_code == 403
    assert "read-only" in problem_of(response)["detail"]
    customer.refresh_from_db()
    assert customer.city != "Kraków"


def test_a_token_records_when_it_was_last_used(api_as, sales_rep):
    api = api_as(sales_rep)
    assert ApiToken.objects.get().last_used_at is None
    api.get("/api/v1/customers/")
    assert ApiToken.objects.get().last_used_at is not None


def test_the_token_page_lists_prefix_and_last_use_not_the_secret(persona_client, sales_rep):
    ApiToken.objects.create(user=sales_rep, name="Nightly sync", prefix="1a2b3c4d", secret_hash="h")
    page = persona_client(sales_rep).get(TOKENS).content.decode()
    assert "Nightly sync" in page
    assert "crm_1a2b3c4d…" in page
    assert "never" in page
