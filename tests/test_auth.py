import pytest
from axes.models import AccessAttempt
from django.urls import reverse

from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def test_login_page_uses_the_apps_look(client):
    response = client.get(reverse("login"))
    assert response.status_code == 200
    assert b"bootstrap.min.css" in response.content


def test_a_user_logs_in_and_out(client):
    UserFactory(username="rep", roles=["sales"])
    response = client.post(reverse("login"), {"username": "rep", "password": "secret-pass-1"})
    assert response.status_code == 302 and response.url == reverse("home")
    assert client.get(reverse("customers:list")).status_code == 200
    assert client.post(reverse("logout")).status_code == 302
    assert client.get(reverse("customers:list")).status_code == 302


def test_a_wrong_password_shows_an_error(client):
    UserFactory(username="rep")
    response = client.post(reverse("login"), {"username": "rep", "password": "wrong"})
    assert response.status_code == 200
    assert response.context["form"].errors


def test_repeated_failures_lock_the_account_out(client, settings):
    UserFactory(username="rep")
    for _ in range(settings.AXES_FAILURE_LIMIT):
        client.post(reverse("login"), {"username": "rep", "password": "wrong"})
    # Even the right password is refused while locked out.
    response = client.post(reverse("login"), {"username": "rep", "password": "secret-pass-1"})
    assert response.status_code == 429
    assert b"Too many failed log-in attempts" in response.content


def test_password_change(client):
    user = UserFactory(username="rep", roles=["sales"])
    client.force_login(user)
    response = client.post(
        reverse("password_change"),
        {
            "old_password": "secret-pass-1",
            "new_password1": "a-much-Longer-pass-42",
            "new_password2": "a-much-Longer-pass-42",
        },
    )
    assert response.status_code == 302
    user.refresh_from_db()
    assert user.check_password("a-much-Longer-pass-42")


def test_password_change_with_mismatch_keeps_the_old_password(client):
    user = UserFactory(username="rep", roles=["sales"])
    client.force_login(user)
    response = client.post(
        reverse("password_change"),
        {
            "old_password": "secret-pass-1",
            "new_password1": "a-much-Longer-pass-42",
            "new_password2": "different-Pass-42",
        },
    )
    assert response.status_code == 200
    assert "new_password2" in response.context["form"].errors
    user.refresh_from_db()
    assert user.check_password("secret-pass-1")


def test_roles_exist_as_groups():
    from django.contrib.auth.models import Group

    assert set(Group.objects.values_list("name", flat=True)) >= {
        "sales",
        "service",
        "finance",
        "manager",
    }


def test_navigation_shows_each_role_what_it_can_use(client, sales_rep, finance_clerk):
    client.force_login(sales_rep)
    assert reverse("relationships:customer_create").encode() in client.get(reverse("home")).content
    client.force_login(finance_clerk)
    assert (
        reverse("relationships:customer_create").encode() not in client.get(reverse("home")).content
    )


def test_pages_send_a_content_security_policy(client, sales_rep):
    client.force_login(sales_rep)
    policy = client.get(reverse("customers:list"))["Content-Security-Policy"]
    assert "script-src 'self'" in policy


def test_a_username_longer_than_any_is_refused_beside_the_field(client):
    """It never reaches authentication, whose failure log holds 255 characters."""
    response = client.post(reverse("login"), {"username": "a" * 100_000, "password": "wrong"})
    assert response.status_code == 200
    assert "username" in response.context["form"].errors
    assert not AccessAttempt.objects.exists()


def test_no_page_template_has_an_inline_style_the_policy_would_refuse():
    """style-src 'self': an inline style="…" is refused by the browser (a console error, and the
    style is lost: the definition editor's SLA table stretched across the page). Only e-mails,
    which no policy governs, may have them."""
    from pathlib import Path

    from django.conf import settings

    templates = Path(settings.BASE_DIR) / "templates"
    inline = [
        str(path.relative_to(templates))
        for path in templates.rglob("*.html")
        if "emails" not in path.parts and 'style="' in path.read_text(encoding="utf-8")
    ]
    assert inline == []
