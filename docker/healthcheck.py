"""Container health check for the web service: GET /login/ must answer 200.

The request carries the first of ALLOWED_HOSTS as its Host (Django answers 400 to any other)
and X-Forwarded-Proto: https (so SECURE_SSL_REDIRECT does not answer with a redirect).
"""

import os
import sys
import urllib.request

host = os.environ.get("ALLOWED_HOSTS", "localhost").split(",")[0].strip().lstrip(".")
if host in ("", "*"):
    host = "localhost"
request = urllib.request.Request(
    "http://127.0.0.1:8000/login/",
    headers={"Host": host, "X-Forwarded-Proto": "https"},
)
try:
    with urllib.request.urlopen(request, timeout=5) as response:
        sys.exit(0 if response.status == 200 else 1)
except Exception as error:
    print(f"unhealthy: {error}", file=sys.stderr)
    sys.exit(1)
