"""The read replica's rules (core.db.replica), on any database: which reads may go to the replica,
read-your-writes, the health check's verdicts. tests/faults/test_read_replica.py proves them
against a real streaming replica."""

import time
from unittest import mock

import pytest
from django.core import signing
from django.core.cache import cache
from django.core.signals import got_request_exception
from django.db import OperationalError, transaction
from django.http import HttpResponse
from django.test import RequestFactory

from core.db import replica
from customers.models import Customer
from tests.factories import CustomerFactory


@pytest.fixture
def with_replica(monkeypatch, settings):
    """As if DATABASE_REPLICA_URL were set and the replica healthy (no real one here)."""
    monkeypatch.setattr(replica, "configured", lambda: True)
    monkeypatch.setattr(replica, "replica_ready", lambda: True)
    settings.REPLICA_STICKY_SECONDS = 10
    return settings


def _get(**cookies):
    request = RequestFactory().get("/")
    request.COOKIES.update(cookies)
    return request


def _sticky_cookie(*, age=0):
    """The cookie a write sets, as set `age` seconds ago."""
    response = HttpResponse()
    request = RequestFactory().post("/")
    request.user = mock.Mock(is_authenticated=True, pk=0)
    moment = time.time() - age
    with mock.patch.object(
        signing.TimestampSigner, "timestamp", lambda self: signing.b62_encode(int(moment))
    ):
        replica._mark_sticky(request, response)
    return response.cookies[replica.STICKY_COOKIE].value


def test_without_a_replica_every_read_goes_to_the_primary():
    with replica.reads(_get()):
        assert replica.read_alias() == "default"


def test_only_reads_inside_reads_go_to_the_replica(with_replica):
    assert replica.read_alias() == "default"
    with replica.reads(_get()):
        assert replica.read_alias() == "replica"
    assert replica.read_alias() == "default"


def test_who_may_do_what_is_read_from_the_primary_even_inside_reads(with_replica):
    """A role revoked a second ago must not open an API list from a lagging replica (the API
    list asks the user's roles inside its `reads()` block)."""
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group

    from api.models import ApiToken
    from core.models import Team

    user_model = get_user_model()
    access = [user_model, Group, user_model.groups.through, Team, Team.members.through, ApiToken]
    router = replica.PrimaryReplicaRouter()
    with replica.reads(_get()):
        assert router.db_for_read(Customer) == "replica"
        assert {router.db_for_read(model) for model in access} == {"default"}


def test_an_unhealthy_or_lagging_replica_leaves_the_reads_on_the_primary(with_replica, monkeypatch):
    monkeypatch.setattr(replica, "replica_ready", lambda: False)
    with replica.reads(_get()):
        assert replica.read_alias() == "default"


def test_a_request_that_may_write_reads_from_the_primary(with_replica):
    for method in ("post", "put", "patch", "delete"):
        with replica.reads(getattr(RequestFactory(), method)("/")):
            assert replica.read_alias() == "default", method


def test_a_recent_write_marked_by_the_cookie_keeps_the_user_on_the_primary(with_replica):
    fresh = _sticky_cookie()
    with replica.reads(_get(**{replica.STICKY_COOKIE: fresh})):
        assert replica.read_alias() == "default"
    stale = _sticky_cookie(age=11)
    with replica.reads(_get(**{replica.STICKY_COOKIE: stale})):
        assert replica.read_alias() == "replica"
    with replica.reads(_get(**{replica.STICKY_COOKIE: "1"})):  # not signed: ignored
        assert replica.read_alias() == "replica"


@pytest.mark.django_db
def test_a_recent_write_marked_in_the_cache_keeps_a_cookieless_client_on_the_primary(
    with_replica, manager, sales_rep
):
    cache.set(replica._user_key(manager.pk), True, 10)
    request = _get()
    request.user = manager
    # In a test every read is in the test's transaction; the rule asked here comes first.
    assert replica.reads_primary(request)
    request = _get()
    request.user = sales_rep
    assert not replica.reads_primary(request)


@pytest.mark.django_db
def test_reads_inside_a_transaction_on_the_primary_stay_there(with_replica):
    with transaction.atomic(), replica.reads(_get()):
        assert replica.read_alias() == "default"


def test_the_router_writes_and_migrates_only_on_the_primary():
    router = replica.PrimaryReplicaRouter()
    assert router.db_for_write(Customer) == "default"
    assert router.allow_migrate("default", "customers")
    assert not router.allow_migrate("replica", "customers")
    assert router.db_for_read(Customer) == "default"


@pytest.mark.django_db
def test_a_write_marks_its_user_for_the_primary_and_a_failed_form_does_not(
    with_replica, client, manager
):
    customer = CustomerFactory(owner=manager)
    client.force_login(manager)
    assert client.get("/my-settings/").status_code == 200  # the day's activity row written
    refused = client.post(f"/customers/{customer.pk}/edit/", {"display_name": ""})
    assert refused.status_code == 200 and refused.context["form"].errors
    assert replica.STICKY_COOKIE not in refused.cookies
    assert not cache.get(replica._user_key(manager.pk))

    saved = client.post("/my-settings/", {"enabled": "on"})
    assert saved.status_code == 302
    morsel = saved.cookies[replica.STICKY_COOKIE]
    assert morsel["max-age"] == 10 and morsel["httponly"]
    assert cache.get(replica._user_key(manager.pk))
    # The next read carries it, and is served by the primary.
    request = _get(**{replica.STICKY_COOKIE: morsel.value})
    with replica.reads(request):
        assert replica.read_alias() == "default"


@pytest.mark.django_db
def test_without_a_replica_no_cookie_is_set(client, manager):
    client.force_login(manager)
    response = client.post("/my-settings/", {"enabled": "on"})
    assert response.status_code == 302
    assert replica.STICKY_COOKIE not in response.cookies


@pytest.fixture
def health(monkeypatch, settings):
    """The real health check, with the replica's answers (its lag, None: unreachable) given."""
    monkeypatch.setattr(replica, "configured", lambda: True)
    settings.REPLICA_MAX_LAG_SECONDS = 5
    settings.REPLICA_CHECK_SECONDS = 60
    answers = []
    asked = []

    def lag_seconds():
        asked.append(True)
        return answers.pop(0)

    monkeypatch.setattr(replica, "lag_seconds", lag_seconds)
    replica.forget_health()
    yield answers, asked
    replica.forget_health()


def test_the_replica_serves_within_the_lag_limit_and_is_asked_once_per_interval(health):
    answers, asked = health
    answers += [0.5]
    assert replica.replica_ready()
    assert replica.replica_ready()
    assert len(asked) == 1


def test_a_lagging_or_unreachable_replica_is_not_used(health, settings):
    answers, asked = health
    settings.REPLICA_CHECK_SECONDS = 0
    answers += [6.0, None]
    assert not replica.replica_ready()
    assert not replica.replica_ready()
    assert len(asked) == 2
    # Unreachable: not asked again at every read, however short the interval.
    assert not replica.replica_ready()
    assert len(asked) == 2


def test_a_database_error_in_a_page_makes_the_next_read_ask_the_replica_again(health):
    answers, asked = health
    answers += [0.0, None]
    assert replica.replica_ready()
    try:
        raise OperationalError("the replica went away")
    except OperationalError:
        got_request_exception.send(sender=None, request=None)
    assert not replica.replica_ready()
    assert len(asked) == 2


def test_a_lag_limit_above_the_stickiness_is_warned_about(monkeypatch, settings):
    monkeypatch.setattr(replica, "configured", lambda: True)
    settings.REPLICA_STICKY_SECONDS = 10
    settings.REPLICA_CHECK_SECONDS = 2
    settings.REPLICA_MAX_LAG_SECONDS = 5
    assert replica.check_replica_settings() == []
    settings.REPLICA_MAX_LAG_SECONDS = 30
    assert [warning.id for warning in replica.check_replica_settings()] == ["core.W001"]


def test_an_anonymous_write_sets_no_cookie():
    from django.contrib.auth.models import AnonymousUser

    request = RequestFactory().post("/")
    request.user = AnonymousUser()
    response = HttpResponse()
    replica._mark_sticky(request, response)
    assert replica.STICKY_COOKIE not in response.cookies
