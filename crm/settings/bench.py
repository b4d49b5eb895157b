"""Settings for the benchmark server that bench/run.py starts: production settings from the
environment, plus the one-query ceiling view (crm/bench_urls.py). Never used in production."""

import os

from django.core.exceptions import ImproperlyConfigured

from .base import *  # noqa: F403

if os.environ.get("CRM_BENCH") != "1":
    raise ImproperlyConfigured(
        "crm.settings.bench is for bench/run.py only (it sets CRM_BENCH=1); "
        "use crm.settings.base everywhere else."
    )

ROOT_URLCONF = "crm.bench_urls"

# The throttle still counts every API request (its cost is part of what is measured), but the
# load generator's thousands of requests a minute from one token must not be refused.
API_RATE_LIMIT = "100000000/minute"
