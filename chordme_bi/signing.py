"""HMAC-SHA256 signatures for outgoing webhooks (report delivery, export completion)."""

from __future__ import annotations

import hashlib
import hmac

SIGNATURE_HEADER = "X-ChordMe-Signature"
TIMESTAMP_HEADER = "X-ChordMe-Timestamp"


def sign(body: bytes, secret: str | bytes, timestamp: str) -> str:
    """``sha256=<hex>`` over ``<timestamp>.<body>``: the timestamp in the signed text stops replays."""
    key = secret.encode() if isinstance(secret, str) else secret
    digest = hmac.new(key, timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()
    return f"sha256={digest}"


def verify(body: bytes, secret: str | bytes, timestamp: str, signature: str) -> bool:
    return hmac.compare_digest(sign(body, secret, timestamp), signature)
