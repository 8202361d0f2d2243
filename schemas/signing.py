"""HMAC-SHA256 signatures of a body with a timestamp: `sha256=<hex>` over `"{timestamp}." + body`.

Callbacks are signed this way (headers X-Newsflow-Timestamp and X-Newsflow-Signature);
receivers check the signature in constant time and the timestamp against a replay window.
"""

from __future__ import annotations

import hashlib
import hmac

SIGNATURE_PREFIX = "sha256="


def sign(secret: bytes, timestamp: str, body: bytes) -> str:
    """The signature header value for `body` sent at `timestamp` (unix seconds, as sent)."""
    mac = hmac.new(secret, timestamp.encode("ascii") + b"." + body, hashlib.sha256)
    return SIGNATURE_PREFIX + mac.hexdigest()


def verify(
    secret: bytes,
    timestamp: str,
    body: bytes,
    signature: str,
    *,
    now: float,
    window_seconds: float = 300,
) -> bool:
    """True when `signature` signs `body` at `timestamp` and the timestamp is within the window."""
    if not (timestamp.isascii() and timestamp.isdigit()):
        return False
    if abs(now - int(timestamp)) > window_seconds:
        return False
    return hmac.compare_digest(sign(secret, timestamp, body), signature)
