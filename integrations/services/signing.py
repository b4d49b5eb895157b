"""How a delivery is signed: `X-CRM-Signature: v1=<hex HMAC-SHA256 of "<timestamp>.<body>">`.

The timestamp (Unix seconds, also sent as X-CRM-Timestamp) is inside what is signed, so a
receiver that refuses old timestamps cannot be fed a recorded delivery again later.
"""

import hashlib
import hmac


def signature(*, secret: str, timestamp: int, body: bytes) -> str:
    message = str(timestamp).encode() + b"." + body
    return "v1=" + hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()
