"""The cache degrades to no cache when Redis is away (issue 13, "Redis is an optimisation")."""

import contextlib
import logging
import socket
from types import SimpleNamespace

import pytest

from core import breaker
from core.cache import ResilientRedisCache
from tests import servers


def redis_cache(url, *, retry_after=5.0):
    return ResilientRedisCache(
        url,
        {
            "OPTIONS": {
                "retry_after": retry_after,
                "socket_connect_timeout": 0.25,
                "socket_timeout": 0.25,
            }
        },
    )


def test_the_cache_keeps_values_while_redis_runs(redis_server):
    cache = redis_cache(redis_server.url)
    cache.set("greeting", {"text": "hello"}, 60)
    assert cache.get("greeting") == {"text": "hello"}
    assert cache.add("greeting", "other") is False
    assert cache.incr(cache.add("n", 1) and "n", 2) == 3


def test_with_redis_stopped_the_cache_answers_as_an_empty_cache_and_logs_once(redis_server, caplog):
    cache = redis_cache(redis_server.url)
    cache.set("greeting", "hello", 60)
    redis_server.stop()
    with caplog.at_level(logging.WARNING, logger="core.breaker"):
        assert cache.get("greeting", "nothing") == "nothing"
        cache.set("greeting", "again", 60)  # dropped, not raised
        assert cache.add("lock", True, 60) is False
        assert cache.get_many(["greeting", "lock"]) == {}
        assert cache.has_key("greeting") is False
        cache.delete("greeting")
        cache.set_many({"a": 1}, 60)
        with pytest.raises(ValueError):
            cache.incr("counter")
        for _ in range(50):
            cache.get("greeting")
    lines = [r.getMessage() for r in caplog.records if r.name == "core.breaker"]
    assert len(lines) == 1 and lines[0].startswith("Redis cache unavailable")


def test_after_a_failure_redis_is_skipped_for_a_while_then_used_again(
    redis_server, caplog, monkeypatch
):
    # The breaker's own clock, moved by hand: however long Redis takes to start again on a busy
    # machine, the "still skipped" step happens before the pause is over.
    now = [1000.0]
    monkeypatch.setattr(breaker, "time", SimpleNamespace(monotonic=lambda: now[0]))
    cache = redis_cache(redis_server.url, retry_after=5)
    redis_server.stop()
    assert cache.get("k") is None
    redis_server.start()
    now[0] += 4.9
    assert cache.set("k", "v", 60) is None and cache.get("k") is None  # still skipped
    now[0] += 0.2
    with caplog.at_level(logging.WARNING, logger="core.breaker"):
        cache.set("k", "v", 60)
        assert cache.get("k") == "v"
    assert any("available again" in r.getMessage() for r in caplog.records)


def test_a_redis_that_never_answers_costs_one_timeout_then_is_skipped():
    # A listening socket whose backlog is full: connections hang as with a partitioned server.
    port = servers.spare_port()
    listener = socket.socket()
    listener.bind(("127.0.0.1", port))
    listener.listen(0)
    stuck = []
    for _ in range(4):
        pending = socket.socket()
        pending.setblocking(False)
        with contextlib.suppress(BlockingIOError):
            pending.connect(("127.0.0.1", port))
        stuck.append(pending)
    try:
        cache = redis_cache(f"redis://127.0.0.1:{port}/0")
        assert cache.get("k", "default") == "default"
        assert cache.available is False  # the next calls do not wait for the server
        assert cache.get("k", "default") == "default"
    finally:
        for sock in [*stuck, listener]:
            sock.close()
