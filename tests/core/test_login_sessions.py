"""Bounded sessions (core.sessions): idle and absolute limits enforced on the server, the key
rotated at log-in, last use written at most once a minute; password length; no-store."""

import time

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from core import sessions
from relationships.models import Interaction
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

PASSWORD = "secret-pass-1"


def shift(client, **seconds_ago):
    """Move the session's stamps into the past, as if that much time had gone by."""
    session = client.session
    now = time.time()
    for key, ago in seconds_ago.items():
        session[{"login": sessions.LOGIN_AT, "seen": sessions.SEEN_AT}[key]] = int(now - ago)
    session.save()


def messages_of(response):
    return [str(m) for m in response.context["messages"]]


@pytest.fixture
def rep_client(client):
    UserFactory(username="rep", roles=["sales"])
    response = client.post(reverse("login"), {"username": "rep", "password": PASSWORD})
    assert response.status_code == 302
    return client


def test_the_session_key_changes_at_log_in(client):
    UserFactory(username="rep", roles=["sales"])
    session = client.session
    session["planted"] = True
    session.save()
    planted_key = session.session_key
    client.cookies["sessionid"] = planted_key
    client.post(reverse("login"), {"username": "rep", "password": PASSWORD})
    assert client.session.session_key != planted_key
    assert "_auth_user_id" in client.session


def test_a_session_idle_longer_than_the_limit_is_logged_out_with_a_message(rep_client, settings):
    shift(rep_client, seen=settings.SESSION_IDLE_MINUTES * 60 + 1)
    url = reverse("customers:list") + "?q=ab"
    response = rep_client.get(url)
    assert response.status_code == 302
    assert response.url == f"{reverse('login')}?next=%2Fcustomers%2F%3Fq%3Dab"
    assert "_auth_user_id" not in rep_client.session
    page = rep_client.get(response.url)
    assert "Your session expired. Log in again." in messages_of(page)


def test_a_session_used_within_the_idle_limit_stays(rep_client, settings):
    shift(rep_client, seen=settings.SESSION_IDLE_MINUTES * 60 - 5)
    assert rep_client.get(reverse("customers:list")).status_code == 200


def test_a_session_older_than_the_absolute_limit_ends_however_busy(rep_client, settings):
    shift(rep_client, login=settings.SESSION_MAX_HOURS * 3600 + 1, seen=10)
    response = rep_client.get(reverse("customers:list"))
    assert response.status_code == 302 and response.url.startswith(reverse("login"))
    assert "_auth_user_id" not in rep_client.session


def test_limits_come_from_the_settings(rep_client, settings):
    settings.SESSION_IDLE_MINUTES = 5
    shift(rep_client, seen=6 * 60)
    assert rep_client.get(reverse("customers:list")).status_code == 302


def test_a_post_in_an_expired_session_is_not_saved_and_says_so(rep_client, settings, customer):
    form_page = reverse("relationships:interaction_create", args=[customer.pk])
    shift(rep_client, seen=settings.SESSION_IDLE_MINUTES * 60 + 1)
    before = Interaction.objects.count()
    response = rep_client.post(
        form_page,
        {"channel": "call", "summary": "Called about the renewal"},
        HTTP_REFERER=f"http://testserver{form_page}",
    )
    assert response.status_code == 302
    assert response.url == f"{reverse('login')}?next={form_page.replace('/', '%2F')}"
    assert Interaction.objects.count() == before
    page = rep_client.get(response.url)
    assert any("what you sent was not saved" in m for m in messages_of(page))
    # Logging in again goes back to the form.
    again = rep_client.post(response.url, {"username": "rep", "password": PASSWORD})
    assert again.url == form_page


def test_an_htmx_request_in_an_expired_session_redirects_the_whole_page(rep_client, settings):
    shift(rep_client, seen=settings.SESSION_IDLE_MINUTES * 60 + 1)
    response = rep_client.get(reverse("customers:list"), HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    assert response["HX-Redirect"].startswith(reverse("login"))


def test_a_logged_in_session_without_stamps_counts_as_expired(rep_client):
    session = rep_client.session
    del session[sessions.LOGIN_AT]
    session.save()
    assert rep_client.get(reverse("customers:list")).status_code == 302


def test_last_use_is_written_at_most_once_a_minute(rep_client):
    shift(rep_client, seen=30)
    seen = rep_client.session[sessions.SEEN_AT]
    with CaptureQueriesContext(connection) as queries:
        assert rep_client.get(reverse("customers:list")).status_code == 200
    assert not [q for q in queries if "django_session" in q["sql"] and "UPDATE" in q["sql"]]
    assert rep_client.session[sessions.SEEN_AT] == seen
    shift(rep_client, seen=61)
    rep_client.get(reverse("customers:list"))
    assert rep_client.session[sessions.SEEN_AT] >= int(time.time()) - 2


def test_a_password_shorter_than_twelve_characters_is_refused(client):
    user = UserFactory(username="rep", roles=["sales"])
    client.force_login(user)
    response = client.post(
        reverse("password_change"),
        {"old_password": PASSWORD, "new_password1": "Tr0ub4dor&3", "new_password2": "Tr0ub4dor&3"},
    )
    assert response.status_code == 200
    assert "at least 12 characters" in str(response.context["form"].errors["new_password2"])
    user.refresh_from_db()
    assert user.check_password(PASSWORD)


# --- Cache-Control: no-store -------------------------------------------------------------------


def test_pages_for_a_logged_in_user_are_not_stored(rep_client):
    for url in (reverse("home"), reverse("customers:list"), reverse("mfa_overview")):
        response = rep_client.get(url, follow=True)
        assert "no-store" in response["Cache-Control"], url


def test_the_login_page_itself_is_not_stored_by_the_browser(client):
    # Django's LoginView marks it never_cache; the no-store middleware needs no user for it.
    assert "no-store" in client.get(reverse("login"))["Cache-Control"]


def test_static_files_keep_their_caching_for_a_logged_in_user(rep_client):
    response = rep_client.get("/static/css/crm.css")
    assert response.status_code == 200
    assert "no-store" not in response.get("Cache-Control", "")


def test_a_download_keeps_its_stricter_header(rep_client, customer):
    from tests.factories import DocumentFactory

    document = DocumentFactory(customer=customer)
    response = rep_client.get(reverse("relationships:document_download", args=[document.pk]))
    assert response.status_code == 200
    directives = {part.strip() for part in response["Cache-Control"].split(",")}
    assert {"private", "no-store"} <= directives


def test_logging_out_of_an_expired_session_just_logs_out(rep_client, settings):
    shift(rep_client, seen=settings.SESSION_IDLE_MINUTES * 60 + 1)
    response = rep_client.post(reverse("logout"), follow=True)
    assert "_auth_user_id" not in rep_client.session
    assert not any("not saved" in m for m in messages_of(response))
