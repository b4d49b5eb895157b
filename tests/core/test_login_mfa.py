"""Two-factor authentication (core.mfa, core.views.login, core.views.mfa): enrolment, the log-in's
second step with a code or a recovery code, enforcement by role, and turning it off."""

import re
import time

import pytest
from axes.models import AccessAttempt
from django.contrib.auth.signals import user_logged_in
from django.urls import reverse
from django_otp.plugins.otp_static.models import StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from core import mfa, sessions
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

PASSWORD = "secret-pass-1"


def enrolled(user):
    device = TOTPDevice.objects.create(user=user, name=mfa.DEVICE_NAME, confirmed=True)
    codes = mfa.recovery_codes_regenerate(user=user)
    return device, codes


def next_code(device):
    """A code the device has not used yet: the next period's (accepted within the tolerance)."""
    device.refresh_from_db()
    return mfa.current_code(device, at=time.time() + device.step)


def password_step(client, username="rep"):
    return client.post(reverse("login"), {"username": username, "password": PASSWORD})


def code_step(client, code):
    return client.post(reverse("login_verify"), {"code": code})


@pytest.fixture
def rep(db):
    return UserFactory(username="rep", roles=["sales"])


# --- enrolment ----------------------------------------------------------------------------------


def test_enrolment_shows_a_qr_code_and_the_key_and_confirms_with_a_code(client, rep):
    client.force_login(rep)
    page = client.get(reverse("mfa_enrol"))
    html = page.content.decode()
    assert 'src="data:image/svg+xml' in html
    secret = re.search(r'id="mfa-secret">([A-Z2-7 ]+)<', html).group(1)
    device = TOTPDevice.objects.get(user=rep, confirmed=False)
    assert secret.replace(" ", "") in device.config_url

    wrong = client.post(reverse("mfa_enrol"), {"code": "000000"})
    assert wrong.status_code == 200 and "code" in wrong.context["form"].errors
    assert not TOTPDevice.objects.filter(user=rep, confirmed=True).exists()

    old_key = client.session.session_key
    response = client.post(reverse("mfa_enrol"), {"code": mfa.current_code(device)})
    assert response.url == reverse("mfa_recovery_codes")
    assert TOTPDevice.objects.get(user=rep).confirmed
    assert client.session.session_key != old_key
    assert client.session[mfa.SESSION_KEY] == mfa.VERIFIED

    codes_page = client.get(response.url)
    shown = codes_page.context["codes"]
    assert len(shown) == 10 == len(set(shown))
    stored = set(StaticToken.objects.filter(device__user=rep).values_list("token", flat=True))
    # Kept as keyed digests: the table alone does not give the codes away.
    assert stored == {mfa.recovery_digest(code) for code in shown}
    assert not stored & set(shown)
    # Shown once: afterwards only their number.
    again = client.get(reverse("mfa_recovery_codes"))
    assert again.url == reverse("mfa_overview")
    assert b"10 unused recovery codes left" in client.get(reverse("mfa_overview")).content


def test_the_user_menu_links_to_two_factor_authentication(client, rep):
    client.force_login(rep)
    assert reverse("mfa_overview").encode() in client.get(reverse("home"), follow=True).content


def test_new_recovery_codes_replace_the_old_ones(client, rep):
    device, old = enrolled(rep)
    password_step(client)
    code_step(client, mfa.current_code(device))
    confirm = client.get(reverse("mfa_recovery_codes_regenerate"))
    assert b"10 unused recovery codes" in confirm.content
    response = client.post(reverse("mfa_recovery_codes_regenerate"))
    new = client.get(response.url).context["codes"]
    assert not set(old) & set(new)
    assert mfa.verify(rep, old[0]) is None


# --- the log-in's second step -------------------------------------------------------------------


def test_log_in_with_a_code_after_the_password(client, rep):
    device, _codes = enrolled(rep)
    response = password_step(client)
    assert response.url == reverse("login_verify")
    # Not logged in yet: the password alone opens nothing.
    assert "_auth_user_id" not in client.session
    assert client.get(reverse("customers:list")).status_code == 302
    between = client.session.session_key

    response = code_step(client, mfa.current_code(device))
    assert response.status_code == 302 and response.url == reverse("home")
    assert client.session["_auth_user_id"] == str(rep.pk)
    assert client.session.session_key != between
    assert client.session[mfa.SESSION_KEY] == mfa.VERIFIED
    assert client.get(reverse("customers:list")).status_code == 200


def test_the_password_step_rotates_the_session_key_too(client, rep):
    enrolled(rep)
    session = client.session
    session["planted"] = True
    session.save()
    client.cookies["sessionid"] = session.session_key
    password_step(client)
    assert client.session.session_key != session.session_key


def test_the_code_step_keeps_where_the_user_was_going(client, rep):
    device, _codes = enrolled(rep)
    client.post(
        reverse("login") + "?next=/customers/",
        {"username": "rep", "password": PASSWORD, "next": "/customers/"},
    )
    assert code_step(client, mfa.current_code(device)).url == "/customers/"


def test_log_in_with_a_recovery_code_spends_it(client, rep):
    _device, codes = enrolled(rep)
    password_step(client)
    response = code_step(client, codes[3].upper())  # typed in capitals: still the code
    assert response.url == reverse("home")
    shown = [str(m) for m in client.get(response.url, follow=True).context["messages"]]
    assert any("9 are left" in message for message in shown)
    assert not StaticToken.objects.filter(token=mfa.recovery_digest(codes[3])).exists()
    client.logout()
    password_step(client)
    again = code_step(client, codes[3])
    assert again.status_code == 200 and "code" in again.context["form"].errors
    assert "_auth_user_id" not in client.session


def test_the_code_step_without_the_password_step_goes_back_to_log_in(client, rep):
    enrolled(rep)
    response = code_step(client, "123456")
    assert response.url == reverse("login")


def test_a_wrong_code_counts_as_a_failed_log_in_and_locks_out(client, rep, settings):
    # Every code tried at once (django-otp's own slowing down is the next test's).
    settings.OTP_TOTP_THROTTLE_FACTOR = 0
    device, _codes = enrolled(rep)
    failed = []

    def note(sender, credentials, **kwargs):
        failed.append(credentials["username"])

    from django.contrib.auth.signals import user_login_failed

    user_login_failed.connect(note)
    try:
        password_step(client)
        for _ in range(settings.AXES_FAILURE_LIMIT - 1):
            response = code_step(client, "000000")
            assert response.status_code == 200 and "code" in response.context["form"].errors
        response = code_step(client, "000000")
    finally:
        user_login_failed.disconnect(note)
    assert failed == ["rep"] * settings.AXES_FAILURE_LIMIT
    assert response.status_code == 429
    assert AccessAttempt.objects.get(username="rep").failures_since_start == 5
    # Locked: the right code is refused too, and so is the password step.
    assert code_step(client, next_code(device)).status_code == 429
    assert password_step(client).status_code == 429


def test_codes_typed_too_fast_after_a_wrong_one_wait_and_do_not_count(client, rep):
    device, _codes = enrolled(rep)
    password_step(client)
    code_step(client, "000000")
    response = code_step(client, mfa.current_code(device))
    assert "wait 1 second" in str(response.context["form"].errors["code"])
    assert AccessAttempt.objects.get(username="rep").failures_since_start == 1
    TOTPDevice.objects.filter(pk=device.pk).update(throttling_failure_timestamp=None)
    assert code_step(client, mfa.current_code(device)).url == reverse("home")


def test_the_logged_in_signal_fires_once_after_the_code(client, rep):
    device, _codes = enrolled(rep)
    logins = []

    def note(sender, user, **kwargs):
        logins.append(user.username)

    user_logged_in.connect(note)
    try:
        password_step(client)
        assert logins == []
        code_step(client, mfa.current_code(device))
    finally:
        user_logged_in.disconnect(note)
    assert logins == ["rep"]


# --- enforcement by role ------------------------------------------------------------------------


@pytest.fixture
def required(settings):
    settings.MFA_REQUIRED_ROLES = ["manager", "admin"]


def test_a_required_role_is_sent_to_enrol_from_every_page(client, manager, required):
    password_step(client, manager.username)
    for url in (reverse("home"), reverse("customers:list"), reverse("mfa_overview")):
        response = client.get(url)
        assert response.status_code == 302 and response.url == reverse("mfa_enrol"), url
    assert client.get(reverse("mfa_enrol")).status_code == 200
    # htmx requests are sent there as a whole page.
    assert client.get(reverse("customers:list"), HTTP_HX_REQUEST="true")["HX-Redirect"] == reverse(
        "mfa_enrol"
    )


def test_the_admin_is_sent_to_enrol_too(client, admin_user, required):
    client.force_login(admin_user)
    response = client.get(reverse("admin:index"))
    assert response.status_code == 302 and response.url == reverse("mfa_enrol")


def test_after_enrolling_a_required_role_uses_the_app(client, manager, required):
    password_step(client, manager.username)
    client.get(reverse("mfa_enrol"))
    device = TOTPDevice.objects.get(user=manager)
    client.post(reverse("mfa_enrol"), {"code": mfa.current_code(device)})
    assert client.get(reverse("customers:list")).status_code == 200


def test_roles_not_named_are_not_asked(client, rep, required):
    password_step(client)
    assert client.get(reverse("customers:list")).status_code == 200


def test_a_role_given_later_asks_for_enrolment_within_a_minute(client, rep, settings):
    password_step(client)
    settings.MFA_REQUIRED_ROLES = ["sales"]
    assert client.get(reverse("customers:list")).status_code == 200  # decided at log-in
    session = client.session
    session[sessions.SEEN_AT] -= 61
    session.save()
    assert client.get(reverse("customers:list")).url == reverse("mfa_enrol")


def test_a_session_without_a_code_ends_once_a_device_is_enrolled_elsewhere(client, rep):
    password_step(client)
    enrolled(rep)
    session = client.session
    session[sessions.SEEN_AT] -= 61
    session.save()
    response = client.get(reverse("customers:list"))
    assert response.url.startswith(reverse("login"))
    assert "_auth_user_id" not in client.session


def test_the_admin_log_in_goes_through_the_crm_log_in(client):
    response = client.get("/admin/login/?next=/admin/")
    assert response.status_code == 302 and response.url == "/login/?next=/admin/"


# --- turning it off -----------------------------------------------------------------------------


def test_turning_it_off_needs_the_password_and_a_code(client, rep):
    device, codes = enrolled(rep)
    password_step(client)
    code_step(client, mfa.current_code(device))
    url = reverse("mfa_disable")
    wrong_password = client.post(url, {"password": "not-the-password", "code": codes[0]})
    assert "password" in wrong_password.context["form"].errors
    wrong_code = client.post(url, {"password": PASSWORD, "code": "000000"})
    assert "code" in wrong_code.context["form"].errors
    assert TOTPDevice.objects.filter(user=rep).exists()
    response = client.post(url, {"password": PASSWORD, "code": codes[1]})
    assert response.url == reverse("mfa_overview")
    assert not TOTPDevice.objects.filter(user=rep).exists()
    assert not StaticToken.objects.filter(device__user=rep).exists()
    client.logout()
    assert password_step(client).url == reverse("home")  # the password alone again


def test_recovery_codes_issued_under_a_rotated_secret_key_still_work(client, rep, settings):
    _device, codes = enrolled(rep)
    settings.SECRET_KEY_FALLBACKS = [settings.SECRET_KEY]
    settings.SECRET_KEY = "a-new-secret-key-after-rotation-" + "x" * 20
    password_step(client)
    assert code_step(client, codes[0]).url == reverse("home")
    assert mfa.recovery_codes_left(rep) == 9


def test_the_migration_turns_codes_stored_in_clear_into_digests(rep):
    from importlib import import_module

    from django.apps import apps

    _device, codes = enrolled(rep)
    StaticToken.objects.filter(device__user=rep).delete()
    device = mfa.StaticDevice.objects.get(user=rep)
    StaticToken.objects.bulk_create(StaticToken(device=device, token=code) for code in codes)

    import_module("core.migrations.0008_recovery_code_digests").digest_the_codes(apps, None)

    stored = set(StaticToken.objects.filter(device=device).values_list("token", flat=True))
    assert stored == {mfa.recovery_digest(code) for code in codes}
    assert mfa.verify(rep, codes[5]) == device
