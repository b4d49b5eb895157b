"""Lock-outs keyed on the real client address behind a proxy, spraying, and the per-username
soft limit (core.clientip, core.login_limits)."""

import pytest
from axes.models import AccessAttempt
from axes.signals import user_locked_out
from django.core.cache import cache
from django.test import RequestFactory
from django.urls import reverse
from django.utils import timezone

from core.clientip import client_ip
from core.models import KnownLoginAddress
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

PROXY = "10.0.0.2"  # the reverse proxy: every request reaches the CRM from it
PASSWORD = "secret-pass-1"


@pytest.fixture
def behind_proxy(settings):
    settings.TRUSTED_PROXY_COUNT = 1


def log_in(client, username, password, forwarded_for, remote=PROXY):
    return client.post(
        reverse("login"),
        {"username": username, "password": password},
        REMOTE_ADDR=remote,
        HTTP_X_FORWARDED_FOR=forwarded_for,
    )


def logged_in(response):
    return response.status_code == 302 and response.url == reverse("home")


# --- the client's address ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("proxies", "forwarded", "remote", "expected"),
    [
        # Direct (the default): the header is anybody's to write, so it is not read.
        (0, "203.0.113.5", "198.51.100.1", "198.51.100.1"),
        # One proxy: the entry it appended, whatever the client put before it.
        (1, "203.0.113.5", PROXY, "203.0.113.5"),
        (1, "1.1.1.1, 203.0.113.5", PROXY, "203.0.113.5"),
        (1, "garbage, 1.1.1.1 ,203.0.113.5", PROXY, "203.0.113.5"),
        # Two proxies: the outer one appended the client, the inner one the outer proxy.
        (2, "1.1.1.1, 203.0.113.5, 10.0.0.9", PROXY, "203.0.113.5"),
        # Not through the proxy at all (a health check on the container's port).
        (1, "", "127.0.0.1", "127.0.0.1"),
        # A proxy that wrote something that is not an address: the proxy's own.
        (1, "not-an-address", PROXY, PROXY),
        (1, "2001:db8::1", PROXY, "2001:db8::1"),
    ],
)
def test_the_client_address_is_the_one_the_trusted_proxy_appended(
    settings, proxies, forwarded, remote, expected
):
    settings.TRUSTED_PROXY_COUNT = proxies
    meta = {"REMOTE_ADDR": remote}
    if forwarded:
        meta["HTTP_X_FORWARDED_FOR"] = forwarded
    assert client_ip(RequestFactory().get("/", **meta)) == expected


# --- lock-out per username and address --------------------------------------------------------


def test_behind_the_proxy_two_clients_are_locked_out_separately(client, behind_proxy, settings):
    UserFactory(username="rep")
    for _ in range(settings.AXES_FAILURE_LIMIT):
        log_in(client, "rep", "wrong", "203.0.113.5")
    # The stranger is locked out, even with the right password…
    response = log_in(client, "rep", PASSWORD, "203.0.113.5")
    assert response.status_code == 429
    assert b"This account is locked" in response.content
    # …but the stranger did not lock out the user, who reaches the CRM through the same proxy.
    assert logged_in(log_in(client, "rep", PASSWORD, "198.51.100.7"))
    assert set(AccessAttempt.objects.values_list("ip_address", flat=True)) == {"203.0.113.5"}


def test_a_spoofed_left_most_forwarded_for_does_not_change_the_key(client, behind_proxy, settings):
    UserFactory(username="rep")
    for n in range(settings.AXES_FAILURE_LIMIT):
        # Each attempt claims another address in front of the one the proxy appended.
        log_in(client, "rep", "wrong", f"192.0.2.{n + 1}, 203.0.113.5")
    assert log_in(client, "rep", PASSWORD, "192.0.2.200, 203.0.113.5").status_code == 429
    assert set(AccessAttempt.objects.values_list("ip_address", flat=True)) == {"203.0.113.5"}


def test_without_a_trusted_proxy_the_header_is_ignored(client, settings):
    UserFactory(username="rep")
    for n in range(settings.AXES_FAILURE_LIMIT):
        log_in(client, "rep", "wrong", f"192.0.2.{n + 1}", remote="198.51.100.1")
    assert log_in(client, "rep", PASSWORD, "192.0.2.99", remote="198.51.100.1").status_code == 429


# --- spraying: many usernames from one address --------------------------------------------------


def test_spraying_one_password_over_many_usernames_from_one_address_is_stopped(
    client, behind_proxy, settings
):
    settings.LOGIN_ADDRESS_FAILURE_LIMIT = 6
    UserFactory(username="victim")
    locked = []

    def note(sender, ip_address, **kwargs):
        locked.append(ip_address)

    user_locked_out.connect(note)
    try:
        answers = [
            log_in(client, f"user{n}", "Summer2026!", "203.0.113.5").status_code for n in range(6)
        ]
    finally:
        user_locked_out.disconnect(note)
    # Each username failed once: far below the per-username limit, but the sixth reached the
    # address's limit and was answered with the lock-out page.
    assert answers == [200] * 5 + [429]
    assert locked[-1] == "203.0.113.5"
    response = log_in(client, "victim", PASSWORD, "203.0.113.5")
    assert response.status_code == 429
    assert b"from this network address" in response.content
    # Another address is not affected, nor is the victim there.
    assert logged_in(log_in(client, "victim", PASSWORD, "198.51.100.7"))


# --- many addresses against one username: the soft limit ----------------------------------------


@pytest.fixture
def soft_limit(settings, behind_proxy):
    settings.LOGIN_USERNAME_SOFT_LIMIT = 3
    settings.LOGIN_USERNAME_DELAY_SECONDS = 5


def test_many_addresses_against_one_username_are_slowed_not_locked(client, soft_limit):
    UserFactory(username="rep")
    for n in range(3):
        assert log_in(client, "rep", "wrong", f"203.0.113.{n + 1}").status_code == 200
    # Over the soft limit: one attempt from an unknown address goes through (and fails)…
    assert log_in(client, "rep", "wrong", "203.0.113.50").status_code == 200
    failures = AccessAttempt.objects.filter(username="rep").count()
    # …the next, from anywhere unknown, must wait, says so, and is not even tried.
    response = log_in(client, "rep", PASSWORD, "203.0.113.51")
    assert response.status_code == 200
    assert "Try again in 5 seconds" in str(response.context["form"].non_field_errors())
    assert AccessAttempt.objects.filter(username="rep").count() == failures
    assert "_auth_user_id" not in client.session
    # Once the wait is over, the right password logs in (no lock-out by strangers).
    cache.clear()
    assert logged_in(log_in(client, "rep", PASSWORD, "203.0.113.51"))


def test_the_user_at_a_usual_address_is_not_slowed_by_strangers(client, soft_limit):
    user = UserFactory(username="rep")
    KnownLoginAddress.objects.create(
        user=user, ip_address="198.51.100.7", last_login_at=timezone.now()
    )
    for n in range(6):
        log_in(client, "rep", "wrong", f"203.0.113.{n + 1}")
    assert log_in(client, "rep", PASSWORD, "203.0.113.99").status_code == 200  # waits
    assert logged_in(log_in(client, "rep", PASSWORD, "198.51.100.7"))


def test_the_wait_doubles_as_failures_go_on(client, soft_limit):
    UserFactory(username="rep")
    for n in range(6):  # twice the soft limit: 3 attempts over it
        log_in(client, "rep", "wrong", f"203.0.113.{n + 1}")
        cache.clear()
    log_in(client, "rep", "wrong", "203.0.113.60")  # takes the slot
    response = log_in(client, "rep", "wrong", "203.0.113.61")
    assert "Try again in 10 seconds" in str(response.context["form"].non_field_errors())


def test_a_successful_log_in_remembers_the_address_and_keeps_a_few(client, behind_proxy):
    user = UserFactory(username="rep")
    for n in range(12):
        assert logged_in(log_in(client, "rep", PASSWORD, f"203.0.113.{n + 1}"))
        client.logout()
    known = KnownLoginAddress.objects.filter(user=user)
    addresses = set(known.values_list("ip_address", flat=True))
    assert len(addresses) == 10
    assert "203.0.113.12" in addresses and "203.0.113.1" not in addresses


def test_with_the_cache_down_the_soft_limit_fails_open(client, soft_limit, settings):
    """A Redis nobody listens to (a closed port): the log-in goes on, never a 500."""
    settings.CACHES = {
        "default": {
            "BACKEND": "core.cache.ResilientRedisCache",
            "LOCATION": "redis://127.0.0.1:1/0",
            "OPTIONS": {"retry_after": 5, "socket_connect_timeout": 0.2, "socket_timeout": 0.2},
        }
    }
    UserFactory(username="rep")
    for n in range(4):
        log_in(client, "rep", "wrong", f"203.0.113.{n + 1}")
    assert logged_in(log_in(client, "rep", PASSWORD, "203.0.113.51"))
