"""Callbacks: a signed POST telling a producer's `callback_url` what became of its article.

Body (JSON): `{"event": "article.published", "article_id", "status": "published", "record"}`
or `{"event": "article.failed", "article_id", "status": "failed", "stage", "reason",
"error"}`. Headers: `X-Newsflow-Event`, `X-Newsflow-Article-Id`, `X-Newsflow-Timestamp`
(unix seconds) and `X-Newsflow-Signature: sha256=<hex HMAC-SHA256 of "timestamp." + body>`
(`schemas.signing`). Delivery is at least once: receivers dedupe on (article_id, event).
"""

from __future__ import annotations

import base64
import json
from typing import Any, Final

import httpx

from schemas.envelopes import peek_envelope
from schemas.errors import CallbackRejected, CallbackUnavailable
from schemas.signing import sign
from schemas.stages import CallbackMessage
from workers.fetch.fetcher import map_httpx_errors, require_guard
from workers.fetch.guard import AddressGuard
from workers.fetch.transport import GuardedClient

EVENT_PUBLISHED: Final = "article.published"
EVENT_FAILED: Final = "article.failed"

HEADER_EVENT = "X-Newsflow-Event"
HEADER_ARTICLE = "X-Newsflow-Article-Id"
HEADER_TIMESTAMP = "X-Newsflow-Timestamp"
HEADER_SIGNATURE = "X-Newsflow-Signature"

_TRANSIENT_STATUS = frozenset({408, 425, 429})


def callback_body(message: CallbackMessage, record_json: str | None = None) -> bytes:
    """The JSON body POSTed for `message` (a published one carries its record)."""
    payload: dict[str, Any] = {"event": message.event, "article_id": message.article_id}
    if message.event == EVENT_PUBLISHED:
        payload["status"] = "published"
        payload["record"] = json.loads(record_json) if record_json else None
    else:
        payload.update(
            status="failed", stage=message.stage, reason=message.reason, error=message.error
        )
    return json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def signed_headers(
    secret: bytes, body: bytes, message: CallbackMessage, now: float
) -> dict[str, str]:
    """Headers of one delivery attempt, signed at `now` (each retry is signed afresh)."""
    timestamp = str(int(now))
    return {
        "Content-Type": "application/json",
        HEADER_EVENT: message.event,
        HEADER_ARTICLE: message.article_id,
        HEADER_TIMESTAMP: timestamp,
        HEADER_SIGNATURE: sign(secret, timestamp, body),
    }


def post_callback(
    client: GuardedClient,
    guard: AddressGuard,
    url: str,
    body: bytes,
    headers: dict[str, str],
    timeout: float,
) -> int:
    """POST once; the status on 2xx, else CallbackUnavailable (retry) or CallbackRejected."""
    require_guard(client, guard)
    with map_httpx_errors(url, transient=CallbackUnavailable):
        target = httpx.URL(url)
    guard.check_url(target)
    with map_httpx_errors(url, transient=CallbackUnavailable):
        response = client.post(target, content=body, headers=headers, timeout=timeout)
    status = response.status_code
    if 200 <= status < 300:
        return status
    if status >= 500 or status in _TRANSIENT_STATUS:
        raise CallbackUnavailable(f"the callback endpoint {url} answered {status}: retrying")
    why = "redirects are not followed for callbacks" if 300 <= status < 400 else "refused"
    raise CallbackRejected(
        f"the callback endpoint {url} answered {status} ({why}): giving up on this callback"
    )


def callback_url_of(message: dict[str, Any]) -> str | None:
    """The callback URL a stage message carries, wherever its shape keeps it; never raises."""
    direct = message.get("callback_url")
    if isinstance(direct, str) and direct:
        return direct
    metadata = message.get("metadata")
    if isinstance(metadata, dict) and isinstance(metadata.get("callback_url"), str):
        return str(metadata["callback_url"]) or None
    body_b64 = message.get("body_b64")
    if isinstance(body_b64, str):  # a JSON envelope still unopened (it failed early)
        try:
            raw = base64.b64decode(body_b64, validate=True)
        except ValueError:
            return None
        content_type = message.get("content_type")
        envelope = peek_envelope(raw, content_type if isinstance(content_type, str) else None)
        found = (envelope or {}).get("callback_url")
        return found if isinstance(found, str) and found else None
    return None
