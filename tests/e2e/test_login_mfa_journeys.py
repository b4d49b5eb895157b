"""Two-factor authentication in a real browser: a manager whose role requires it enrols with the
QR code's key, keeps the recovery codes, and logs in again with a code and with a recovery code."""

import re
import time
from base64 import b32decode

import pytest
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice
from playwright.sync_api import expect

from tests.e2e.conftest import PASSWORD

pytestmark = pytest.mark.django_db(transaction=True)


def code_for(secret_text, *, later=0):
    """What an authenticator app shows for the key the page printed (`later` periods ahead)."""
    secret = secret_text.replace(" ", "")
    key = b32decode(secret + "=" * (-len(secret) % 8))
    totp = TOTP(key)
    totp.time = time.time() + later * 30
    return f"{totp.token():06d}"


def password_step(page, user):
    page.goto("/login/")
    page.get_by_label("Username").fill(user.username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()


def log_out(page):
    page.locator("nav .dropdown-toggle", has_text=re.compile("mike_manager")).click()
    page.get_by_role("button", name="Log out").click()
    expect(page.get_by_role("heading", name="Log in")).to_be_visible()


def test_a_manager_enrols_and_logs_in_with_a_code_and_a_recovery_code(
    page, screenshot, manager, settings
):
    settings.MFA_REQUIRED_ROLES = ["manager", "admin"]

    password_step(page, manager)
    # The role requires it: the CRM opens enrolment instead of the start page.
    page.wait_for_url("**/account/two-factor/enrol/")
    expect(page.get_by_text("Your role requires two-factor authentication")).to_be_visible()
    qr = page.get_by_alt_text("QR code for the authenticator app")
    expect(qr).to_be_visible()
    assert qr.evaluate("img => img.naturalWidth") > 100  # drawn, not blocked by the CSP
    secret = page.locator("#mfa-secret").inner_text()
    assert re.fullmatch(r"[A-Z2-7]{4}( [A-Z2-7]{4})+", secret)
    screenshot("mfa-enrol")

    page.get_by_label("Code from the app").fill("000000")
    page.get_by_role("button", name="Confirm and turn on").click()
    expect(page.get_by_text("This code is not right")).to_be_visible()
    page.get_by_label("Code from the app").fill(code_for(secret))
    page.get_by_role("button", name="Confirm and turn on").click()

    page.wait_for_url("**/account/two-factor/codes/")
    codes = page.locator("#recovery-codes li").all_inner_texts()
    assert len(codes) == 10
    screenshot("mfa-recovery-codes")
    page.get_by_role("link", name="I have kept them; continue").click()
    expect(page.get_by_role("link", name="Customers", exact=True)).to_be_visible()

    page.locator("nav .dropdown-toggle", has_text=re.compile("mike_manager")).click()
    page.get_by_role("link", name="Two-factor authentication").click()
    expect(page.get_by_text("On: logging in asks for a code")).to_be_visible()
    expect(page.get_by_text("10 unused recovery codes left.")).to_be_visible()
    screenshot("mfa-overview")
    log_out(page)

    # Password, then the code the app shows (the next period's: the last one is spent). The
    # server learnt the phone's clock offset at enrolment (django-otp's drift: -1 when the code
    # reached it just after a 30-second boundary) and accepts one period either side of it.
    password_step(page, manager)
    page.wait_for_url("**/login/code/")
    expect(page.get_by_role("heading", name="Authentication code")).to_be_visible()
    screenshot("mfa-login-code")
    drift = TOTPDevice.objects.get(user=manager, confirmed=True).drift
    page.get_by_label("Code").fill(code_for(secret, later=1 + drift))
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(re.compile(r".*/$"))
    expect(page.get_by_role("link", name="Customers", exact=True)).to_be_visible()
    log_out(page)

    # Without the phone: a recovery code, which is then spent.
    password_step(page, manager)
    page.get_by_label("Code").fill(codes[0])
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_text("You logged in with a recovery code")).to_be_visible()
    expect(page.get_by_text("9 are left")).to_be_visible()
    screenshot("mfa-login-recovery-code")
    log_out(page)

    password_step(page, manager)
    page.get_by_label("Code").fill(codes[0])
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_text("This code is not right (or was already used).")).to_be_visible()
    screenshot("mfa-login-spent-code")
