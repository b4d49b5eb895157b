"""Each user's language: the profile's choice, else the browser's, else LANGUAGE_CODE; chosen in
the user menu and on the log-in page; the admin follows it."""

import re

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from core.i18n import language_for_country, profile_set_language, user_language
from core.models import UserProfile
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

HOME = reverse("home")


def html_lang(response):
    return re.search(r'<html lang="([^"]+)"', response.content.decode()).group(1)


def with_language(user, language):
    UserProfile.objects.update_or_create(user=user, defaults={"language": language})
    return user


# --- Which language --------------------------------------------------------------------------


def test_without_a_profile_or_a_browser_preference_the_page_is_in_language_code(
    persona_client, sales_rep, settings
):
    settings.LANGUAGE_CODE = "cs"
    response = persona_client(sales_rep).get(HOME)

    assert html_lang(response) == "cs"
    assert response["Content-Language"] == "cs"


def test_without_a_profile_language_the_browsers_accept_language_decides(persona_client, sales_rep):
    response = persona_client(sales_rep).get(HOME, HTTP_ACCEPT_LANGUAGE="ru-RU,ru;q=0.9,en;q=0.5")

    assert html_lang(response) == "ru"


def test_a_browser_language_the_crm_lacks_falls_back_to_language_code(persona_client, sales_rep):
    response = persona_client(sales_rep).get(HOME, HTTP_ACCEPT_LANGUAGE="de-DE,de;q=0.9")

    assert html_lang(response) == settings.LANGUAGE_CODE


def test_the_profiles_language_wins_over_the_browser_and_the_cookie(persona_client, sales_rep):
    with_language(sales_rep, "pl")
    client = persona_client(sales_rep)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "cs"

    response = client.get(HOME, HTTP_ACCEPT_LANGUAGE="ru")

    assert html_lang(response) == "pl"
    assert response["Content-Language"] == "pl"


def test_a_user_without_a_profile_gets_a_page_not_an_error(client):
    user = get_user_model().objects.create_user("made_by_createsuperuser", password="x" * 12)
    user.is_staff = user.is_superuser = True
    user.save()
    client.force_login(user)

    response = client.get(reverse("admin:index"), HTTP_ACCEPT_LANGUAGE="pl")

    assert response.status_code == 200
    assert html_lang(response) == "pl"
    assert not UserProfile.objects.filter(user=user).exists()


def test_the_profile_costs_no_query_of_its_own(persona_client, sales_rep):
    """The profile comes with the user (core.auth.ProfileModelBackend): a page costs the same
    queries with a language chosen as without."""
    client = persona_client(sales_rep)
    client.get(HOME)
    with CaptureQueriesContext(connection) as without:
        client.get(HOME)
    with_language(sales_rep, "pl")
    client.get(HOME)
    with CaptureQueriesContext(connection) as chosen:
        response = client.get(HOME)

    assert html_lang(response) == "pl"
    assert len(chosen.captured_queries) == len(without.captured_queries)
    assert not any(
        "core_userprofile" in q["sql"] and "auth_user" not in q["sql"]
        for q in chosen.captured_queries
    )


# --- Choosing it -----------------------------------------------------------------------------


def test_the_user_menu_offers_each_language_in_its_own_name(persona_client, sales_rep):
    content = persona_client(sales_rep).get(HOME).content.decode()

    form = re.search(r'<form method="post" action="/language/".*?</form>', content, re.S).group(0)
    assert "csrfmiddlewaretoken" in form
    for code, name in [("en", "English"), ("pl", "Polski"), ("cs", "Čeština"), ("ru", "Русский")]:
        assert f'value="{code}" lang="{code}"' in form
        assert f">{name}</button>" in form


def test_choosing_a_language_in_the_menu_saves_it_and_returns_to_the_same_page(
    persona_client, sales_rep
):
    client = persona_client(sales_rep)
    page = reverse("customers:list") + "?status=active"

    response = client.post(reverse("language_choose"), {"language": "cs", "next": page})

    assert response.status_code == 302
    assert response.url == page
    assert UserProfile.objects.get(user=sales_rep).language == "cs"
    assert response.cookies[settings.LANGUAGE_COOKIE_NAME].value == "cs"
    assert html_lang(client.get(page)) == "cs"


def test_my_settings_offers_the_language_too(persona_client, sales_rep):
    client = persona_client(sales_rep)
    page = reverse("analytics:my_settings")
    content = client.get(page).content.decode()
    assert 'id="language-settings"' in content
    assert ">Русский</button>" in content

    response = client.post(reverse("language_choose"), {"language": "ru", "next": page})

    assert response.url == page
    assert html_lang(client.get(page)) == "ru"


def test_the_menu_refuses_a_language_it_does_not_offer_and_keeps_the_choice(
    persona_client, sales_rep
):
    with_language(sales_rep, "pl")
    client = persona_client(sales_rep)

    response = client.post(reverse("language_choose"), {"language": "de", "next": HOME})

    assert response.status_code == 302
    assert UserProfile.objects.get(user=sales_rep).language == "pl"
    assert settings.LANGUAGE_COOKIE_NAME not in response.cookies


def test_the_menu_does_not_send_anyone_to_another_site(persona_client, sales_rep):
    response = persona_client(sales_rep).post(
        reverse("language_choose"), {"language": "pl", "next": "https://evil.example/"}
    )

    assert response.url == reverse(settings.LOGIN_REDIRECT_URL)


def test_the_language_menu_needs_a_login_and_a_post(client, persona_client, sales_rep):
    url = reverse("language_choose")
    assert client.post(url, {"language": "pl"}).url.startswith(reverse("login"))
    assert persona_client(sales_rep).get(url).status_code == 405


def test_the_login_page_offers_the_languages_and_speaks_the_chosen_one(client):
    page = client.get(reverse("login"))
    content = page.content.decode()
    assert f'action="{reverse("set_language")}"' in content
    for name in ("English", "Polski", "Čeština", "Русский"):
        assert f">{name}</button>" in content

    response = client.post(reverse("set_language"), {"language": "pl", "next": reverse("login")})

    assert response.url == reverse("login")
    assert html_lang(client.get(reverse("login"))) == "pl"


def test_a_language_chosen_on_the_login_page_becomes_the_profiles_first_choice(client):
    user = UserFactory(username="new_colleague")
    client.post(reverse("set_language"), {"language": "ru", "next": reverse("login")})

    client.post(reverse("login"), {"username": "new_colleague", "password": "secret-pass-1"})

    assert UserProfile.objects.get(user=user).language == "ru"
    assert html_lang(client.get(HOME)) == "ru"


def test_the_login_pages_language_does_not_override_an_earlier_choice(client):
    user = with_language(UserFactory(username="decided"), "cs")
    client.post(reverse("set_language"), {"language": "ru", "next": reverse("login")})

    client.post(reverse("login"), {"username": "decided", "password": "secret-pass-1"})

    assert UserProfile.objects.get(user=user).language == "cs"
    assert html_lang(client.get(HOME)) == "cs"


def test_the_admin_speaks_the_users_language(persona_client, admin_user):
    with_language(admin_user, "pl")

    response = persona_client(admin_user).get(reverse("admin:index"))

    assert html_lang(response) == "pl"
    # Django's own Polish catalogue: the admin's title bar.
    assert "Administracja" in response.content.decode()


# --- The service and the mail language -------------------------------------------------------


def test_a_profile_is_created_on_the_first_choice(sales_rep):
    assert not UserProfile.objects.filter(user=sales_rep).exists()
    assert user_language(sales_rep) == settings.LANGUAGE_CODE

    profile_set_language(user=sales_rep, language="cs")
    profile_set_language(user=sales_rep, language="ru")

    assert UserProfile.objects.get(user=sales_rep).language == "ru"
    assert user_language(get_user_model().objects.get(pk=sales_rep.pk)) == "ru"


def test_the_service_refuses_an_unknown_language(sales_rep):
    with pytest.raises(ValidationError):
        profile_set_language(user=sales_rep, language="xx")


@pytest.mark.parametrize(
    ("country", "language"),
    [
        ("PL", "pl"),
        ("pl", "pl"),
        ("CZ", "cs"),
        ("SK", "cs"),
        ("RU", "ru"),
        ("BY", "ru"),
        ("KZ", "ru"),
        ("KG", "ru"),
        ("TJ", "ru"),
        ("UA", "en"),
        ("LT", "en"),
        ("DE", "en"),
        ("", "en"),
    ],
)
def test_a_countrys_language(country, language):
    assert language_for_country(country) == language
