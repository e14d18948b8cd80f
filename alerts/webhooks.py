"""Webhooks: a JSON POST signed with HMAC-SHA256, through the feeds' address guard.

The signature (header ``Relwatch-Signature: t=<unix time>,v1=<hex>``) is HMAC-SHA256 with the
watchlist's secret over ``<t>.<body>``: a receiver recomputes it, compares in constant time and
refuses a timestamp older than a few minutes, so a captured request cannot be replayed later
(``verify_signature`` does all three). ``Relwatch-Delivery`` carries the delivery's id, the same
on every retry, for receivers to drop a repeat.

The POST goes through ingest's guarded transport (ingest.fetching): each connection resolves
the host, refuses private, loopback and link-local addresses unless
RELWATCH_ALLOW_PRIVATE_FEEDS is on, and connects to the address it checked. Redirects are not
followed (a receiver that moved says so in the delivery log). Time is bounded by one deadline
for the whole exchange, and the answer is read up to WEBHOOK_MAX_BYTES: a longer one is a
failure, as is any status but 2xx.
"""

from __future__ import annotations

import hashlib
import hmac
import time

import httpx
from django.conf import settings

from ingest.fetching import (
    REDIRECT_STATUSES,
    Deadline,
    GuardedBackend,
    GuardedTransport,
    UnsafeURL,
    check_scheme_and_host,
    describe_http_error,
    validate_feed_url,
)

SIGNATURE_HEADER = "Relwatch-Signature"
DELIVERY_HEADER = "Relwatch-Delivery"
REPLAY_TOLERANCE = 300  # seconds a receiver should accept a signature's timestamp for


def webhook_timeout() -> float:
    return float(settings.ALERTS_WEBHOOK_TIMEOUT)


def webhook_max_bytes() -> int:
    return int(settings.ALERTS_WEBHOOK_MAX_BYTES)


class WebhookError(Exception):
    """A POST that did not end in a 2xx answer; the message goes to the delivery log."""

    def __init__(self, message: str, *, http_status: int | None = None) -> None:
        super().__init__(message)
        self.http_status = http_status


def validate_webhook_url(url: str) -> str:
    """The URL, stripped, if a webhook may be sent there; raises UnsafeURL (as a feed would)."""
    return validate_feed_url(url)


def sign(secret: str, timestamp: int, body: bytes) -> str:
    digest = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
    return f"t={timestamp},v1={digest.hexdigest()}"


def verify_signature(secret: str, header: str, body: bytes, *, now: float | None = None) -> bool:
    """Whether ``header`` signs ``body`` with ``secret`` and is recent (for receivers)."""
    try:
        fields = dict(part.split("=", 1) for part in header.split(","))
        timestamp = int(fields["t"])
        given = fields["v1"]
    except (KeyError, ValueError):
        return False
    now = time.time() if now is None else now
    if abs(now - timestamp) > REPLAY_TOLERANCE:
        return False
    expected = sign(secret, timestamp, body).split("v1=", 1)[1]
    return hmac.compare_digest(expected, given)


def post(url: str, body: bytes, *, secret: str, delivery_id: int) -> int:
    """POST ``body`` to ``url``; the HTTP status of a 2xx answer, else WebhookError."""
    timeout = webhook_timeout()
    max_bytes = webhook_max_bytes()
    try:
        check_scheme_and_host(url)
    except UnsafeURL as exc:
        raise WebhookError(str(exc)) from None
    backend = GuardedBackend(allow_private=bool(settings.RELWATCH_ALLOW_PRIVATE_FEEDS))
    backend.deadline = Deadline(timeout)
    headers = {
        "Content-Type": "application/json",
        "User-Agent": settings.INGEST_USER_AGENT,
        # Read as sent, so the byte cap counts what arrives.
        "Accept-Encoding": "identity",
        SIGNATURE_HEADER: sign(secret, int(time.time()), body),
        DELIVERY_HEADER: str(delivery_id),
    }
    request = httpx.Request(
        "POST",
        url,
        content=body,
        headers=headers,
        extensions={"timeout": httpx.Timeout(timeout).as_dict()},
    )
    transport = GuardedTransport(backend)
    try:
        response = transport.handle_request(request)
        try:
            excerpt = _read_capped(response, max_bytes)
        finally:
            response.close()
    except UnsafeURL as exc:
        raise WebhookError(str(exc)) from None
    except httpx.TimeoutException:
        raise WebhookError(f"no answer within {timeout:g} s") from None
    except httpx.HTTPError as exc:
        raise WebhookError(describe_http_error(exc)) from None
    finally:
        transport.close()
    status = response.status_code
    if status in REDIRECT_STATUSES:
        location = response.headers.get("location", "")
        raise WebhookError(
            f"HTTP {status}: the endpoint redirects to {location or 'elsewhere'}; webhooks "
            "do not follow redirects (give the final address)",
            http_status=status,
        )
    if not 200 <= status < 300:
        text = excerpt.decode("utf-8", "replace").strip()[:200]
        raise WebhookError(
            f"HTTP {status} {response.reason_phrase}" + (f": {text}" if text else ""),
            http_status=status,
        )
    return status


def _read_capped(response: httpx.Response, max_bytes: int) -> bytes:
    """The answer's first bytes; WebhookError once it passes ``max_bytes``."""
    declared = response.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > max_bytes:
        raise WebhookError(
            f"the answer is {int(declared)} bytes, more than the limit of {max_bytes}",
            http_status=response.status_code,
        )
    body = bytearray()
    for chunk in response.iter_raw(16 * 1024):
        body += chunk
        if len(body) > max_bytes:
            raise WebhookError(
                f"the answer is longer than the limit of {max_bytes} bytes",
                http_status=response.status_code,
            )
    return bytes(body)
