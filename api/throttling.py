"""Per-token rate limits (API_RATE_LIMIT), counted in the default cache: with Redis away the
cache answers as an empty one (core.cache), so the API keeps answering, unlimited until Redis
is back, rather than failing."""

from django.conf import settings
from rest_framework.throttling import SimpleRateThrottle

from .models import ApiToken


class TokenRateThrottle(SimpleRateThrottle):
    """One budget per token; a browser session (the docs page) has one per user. A request
    that is not authenticated is refused before it is counted (a token cannot be guessed: it
    holds 256 random bits)."""

    scope = "api"

    def get_rate(self):
        return settings.API_RATE_LIMIT

    def allow_request(self, request, view):
        # The rate is read on each request, so a test or a deployment may change the setting.
        self.rate = self.get_rate()
        self.num_requests, self.duration = self.parse_rate(self.rate)
        return super().allow_request(request, view)

    def get_cache_key(self, request, view):
        if isinstance(request.auth, ApiToken):
            ident = f"token:{request.auth.pk}"
        elif request.user and request.user.is_authenticated:
            ident = f"user:{request.user.pk}"
        else:
            return None
        return self.cache_format % {"scope": self.scope, "ident": ident}
