"""A Redis cache that degrades to no cache when Redis is away.

Every cache use in the apps is an optimisation (counts, sums and look-ups that can be computed
again), so a page must never fail because Redis is stopped, restarted or unreachable. Django's
own Redis backend raises instead; this one answers as an empty cache would (a read misses, a
write is dropped, `add` does not store) and logs one line when Redis goes away and one when it
is back, not one per call.

A stopped Redis refuses a connection at once, but an unreachable one (a network partition, a
hung server) costs a socket timeout per call. So after a failure the cache is skipped entirely
for `retry_after` seconds (a small circuit breaker, per process) before Redis is tried again:
during an outage a page pays at most one short timeout every few seconds per process.
"""

from django.core.cache.backends.redis import RedisCache, RedisCacheClient

from .breaker import Breaker


class ResilientRedisCacheClient(RedisCacheClient):
    """While Redis is away each call answers what an empty cache would answer."""

    def __init__(self, servers, *, retry_after=5.0, **options):
        super().__init__(servers, **options)
        self.breaker = Breaker(name="Redis cache", retry_after=float(retry_after))

    def _guarded(self, name, *args, missing=None):
        if not self.breaker.available:
            return missing
        try:
            answer = getattr(super(), name)(*args)
        except self._lib.RedisError as error:
            self.breaker.failed(error)
            return missing
        self.breaker.succeeded()
        return answer

    def add(self, key, value, timeout):
        return self._guarded("add", key, value, timeout, missing=False)

    def get(self, key, default):
        return self._guarded("get", key, default, missing=default)

    def set(self, key, value, timeout):
        return self._guarded("set", key, value, timeout)

    def touch(self, key, timeout):
        return self._guarded("touch", key, timeout, missing=False)

    def delete(self, key):
        return self._guarded("delete", key, missing=False)

    def get_many(self, keys):
        return self._guarded("get_many", keys, missing={})

    def has_key(self, key):
        return self._guarded("has_key", key, missing=False)

    def incr(self, key, delta):
        # Django's contract: incr of a missing key raises ValueError; an absent cache has no key.
        if not self.breaker.available:
            raise ValueError(f"Key '{key}' not found (the cache is unavailable).")
        try:
            answer = super().incr(key, delta)
        except self._lib.RedisError as error:
            self.breaker.failed(error)
            raise ValueError(f"Key '{key}' not found (the cache is unavailable).") from error
        self.breaker.succeeded()
        return answer

    def set_many(self, data, timeout):
        return self._guarded("set_many", data, timeout, missing=[])

    def delete_many(self, keys):
        return self._guarded("delete_many", keys)

    def clear(self):
        return self._guarded("clear", missing=False)


class ResilientRedisCache(RedisCache):
    """Django's Redis backend with ResilientRedisCacheClient.

    OPTIONS: `retry_after` (seconds the cache is skipped after a failure), plus redis-py's
    connection options, e.g. `socket_connect_timeout` and `socket_timeout` (seconds).
    """

    def __init__(self, server, params):
        super().__init__(server, params)
        self._class = ResilientRedisCacheClient

    @property
    def available(self) -> bool:
        """False while the breaker skips Redis (after a recent failure)."""
        return self._cache.breaker.available
