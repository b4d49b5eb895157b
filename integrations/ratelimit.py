"""A fixed-window counter in the cache, for the public web-form endpoint.

The cache is the degrading one (core.cache): with Redis away `add` answers "not stored" and
`incr` finds no key, and the limit lets the post through. A form spammed during a Redis outage
still meets the honeypot and the field bounds; refusing every visitor would be worse.
"""

import time
from dataclasses import dataclass

from django.core.cache import cache


@dataclass(frozen=True)
class Verdict:
    allowed: bool
    retry_after: int = 0  # seconds until the window ends


def hit(scope: str, *, limit: int, window: int) -> Verdict:
    """Count one request of `scope`; refused once more than `limit` came within the window."""
    now = int(time.time())
    start = now - now % window
    key = f"ratelimit:{scope}:{start}"
    if cache.add(key, 1, timeout=window + 1):
        count = 1
    else:
        try:
            count = cache.incr(key)
        except ValueError:  # expired meanwhile, or the cache is away
            count = 1
    if count > limit:
        return Verdict(allowed=False, retry_after=max(1, start + window - now))
    return Verdict(allowed=True)
