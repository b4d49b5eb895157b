"""A small circuit breaker: after a failure, skip a server for a few seconds, and log its going
and coming back once each rather than once per call.

Used by the cache (core.cache) and the task outbox (core.outbox), so a Redis that is away costs
a request at most one short timeout every few seconds per process, and the log says so in a few
lines however busy the site is.
"""

import logging
import threading
import time

logger = logging.getLogger(__name__)

# Repeat the "still unavailable" line at most this often while an outage lasts.
LOG_EVERY_SECONDS = 60.0


class Breaker:
    """Open (skip the server) for `retry_after` seconds after a failure; thread-safe."""

    def __init__(self, *, name: str, retry_after: float):
        self.name = name
        self.retry_after = retry_after
        self._lock = threading.Lock()
        self._open_until = 0.0
        self._down_since = None
        self._logged_at = 0.0

    @property
    def available(self) -> bool:
        return time.monotonic() >= self._open_until

    def failed(self, error: Exception) -> None:
        now = time.monotonic()
        with self._lock:
            self._open_until = now + self.retry_after
            if self._down_since is None:
                self._down_since = now
                self._logged_at = now
                logger.warning(
                    "%s unavailable (%s: %s); serving without it, retrying every %ss.",
                    self.name,
                    type(error).__name__,
                    error,
                    self.retry_after,
                )
            elif now - self._logged_at >= LOG_EVERY_SECONDS:
                self._logged_at = now
                logger.warning(
                    "%s still unavailable after %.0fs (%s: %s).",
                    self.name,
                    now - self._down_since,
                    type(error).__name__,
                    error,
                )

    def succeeded(self) -> None:
        if self._down_since is None:
            return
        with self._lock:
            if self._down_since is not None:
                logger.warning(
                    "%s available again after %.1fs.",
                    self.name,
                    time.monotonic() - self._down_since,
                )
                self._down_since = None
