"""Webhook delivery: POST the report JSON, signed (chordme_bi.signing), with retries on transient failures.

Retried with exponential backoff: timeouts, connection errors and 5xx. Not retried: 4xx (the receiver
rejected the request; sending it again will not change that). Only http(s) URLs are accepted.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from urllib.parse import urlsplit

from chordme_bi.signing import SIGNATURE_HEADER, TIMESTAMP_HEADER, sign

USER_AGENT = "chordme-bi-delivery/1"


class WebhookError(ValueError):
    """A webhook URL that cannot be used."""


@dataclass
class DeliveryResult:
    ok: bool
    tries: int
    error: str | None = None
    status_code: int | None = None
    bytes_sent: int = 0


class _Transient(Exception):
    """A failure worth another try (5xx, timeout, connection error)."""


def check_url(url) -> str:
    if not isinstance(url, str) or not url.strip():
        raise WebhookError(f"invalid webhook URL {url!r}: give an http:// or https:// URL")
    parts = urlsplit(url.strip())
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise WebhookError(f"invalid webhook URL {url!r}: only http:// and https:// URLs with a host are allowed")
    return url.strip()


def url_host(url: str) -> str:
    """What the logs keep of a URL: scheme, host and port (a path or query may carry a token)."""
    parts = urlsplit(url)
    port = f":{parts.port}" if parts.port else ""
    return f"{parts.scheme}://{parts.hostname}{port}"


def post_report(url: str, report: dict, *, secret: str | None, timeout: float, max_tries: int = 4,
                backoff_seconds: float = 1.0, backoff_max: float = 30.0) -> DeliveryResult:
    """POST ``report`` as JSON; returns how it went (never raises for a delivery failure)."""
    import requests
    from tenacity import RetryError, Retrying, retry_if_exception_type, stop_after_attempt, wait_exponential

    url = check_url(url)
    body = json.dumps(report, default=str, ensure_ascii=False).encode()
    tries = 0
    last_status: int | None = None

    def attempt() -> requests.Response:
        nonlocal tries, last_status
        tries += 1
        # Signed per try: a fresh timestamp keeps a retried request inside the receiver's replay window.
        timestamp = str(int(time.time()))
        headers = {"Content-Type": "application/json", "User-Agent": USER_AGENT, TIMESTAMP_HEADER: timestamp}
        if secret:
            headers[SIGNATURE_HEADER] = sign(body, secret, timestamp)
        try:
            response = requests.post(url, data=body, headers=headers, timeout=timeout, allow_redirects=False)
        except (requests.Timeout, requests.ConnectionError) as exc:
            last_status = None
            raise _Transient(f"{type(exc).__name__}: {exc}") from exc
        last_status = response.status_code
        if response.status_code >= 500:
            raise _Transient(f"HTTP {response.status_code} from {url_host(url)}")
        return response

    retrying = Retrying(
        stop=stop_after_attempt(max_tries),
        wait=wait_exponential(multiplier=backoff_seconds, max=backoff_max),
        retry=retry_if_exception_type(_Transient),
        reraise=False,
    )
    try:
        response = retrying(attempt)
    except RetryError as exc:
        error = str(exc.last_attempt.exception())
        return DeliveryResult(False, tries, f"{error} (gave up after {tries} tries)", last_status)
    if 200 <= response.status_code < 300:
        return DeliveryResult(True, tries, None, response.status_code, len(body))
    reason = response.text[:200].strip()
    return DeliveryResult(False, tries, f"HTTP {response.status_code} from {url_host(url)} (not retried)"
                          + (f": {reason}" if reason else ""), response.status_code)
