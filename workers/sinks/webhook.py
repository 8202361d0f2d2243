"""HTTP webhook sink (`https://…`, `http://…`): one signed POST per batch, through httpx.

Wire format (what a receiver implements):

    POST <url>
    Content-Type: application/json
    Idempotency-Key: <article_id>:<pipeline version>     (a batch of several: "batch-<sha256>")
    X-Newsflow-Timestamp: <unix seconds>
    X-Newsflow-Signature: sha256=<hex HMAC-SHA256(secret, "<timestamp>." + body)>
    X-Newsflow-Batch-Size: <n>

    [{"idempotency_key": "<article_id>:<version>", "article_id": "…",
      "pipeline_version": "…", "record": {…}}, …]

The body is always a JSON array (one element per record of the publish call), so a receiver
has one parser and dedupes per element on `idempotency_key`. Any 2xx means every element was
taken; a receiver should answer 2xx to a key it has already seen.

Failures: 5xx, 408, 429, timeouts and connection errors are retried here with exponential
backoff and full jitter (NEWSFLOW_SINK_WEBHOOK_ATTEMPTS, …_BACKOFF_SECONDS, …_BACKOFF_MAX_SECONDS;
a Retry-After within the cap is honoured), then SinkUnavailable makes the Celery publish task
retry later — with the record only, never redoing the NLP. Any other 4xx and a 3xx are
SinkRejected: the article is dead-lettered. Without NEWSFLOW_SINK_WEBHOOK_SECRET the sink does
not open: records are never sent unsigned.
"""

from __future__ import annotations

import hashlib
import json
import random
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from email.utils import parsedate_to_datetime
from importlib.metadata import PackageNotFoundError, version

import httpx
import structlog

from schemas.errors import SinkRejected, SinkUnavailable
from schemas.record import Record
from schemas.settings import Settings, get_settings
from schemas.signing import sign
from workers.sinks.base import SinkBase

log = structlog.get_logger(__name__)

RETRY_STATUSES = frozenset({408, 429, 500, 502, 503, 504}) | frozenset(range(505, 600))


@dataclass(frozen=True)
class WebhookOptions:
    """Secret, timeout and the in-sink retry budget."""

    secret: bytes
    timeout: float = 10.0
    attempts: int = 3
    backoff: float = 0.5
    backoff_max: float = 4.0

    @classmethod
    def from_settings(cls, settings: Settings) -> WebhookOptions:
        """Options from NEWSFLOW_SINK_WEBHOOK_*; refuses to build without a secret."""
        if settings.sink_webhook_secret is None:
            raise ValueError(
                "NEWSFLOW_SINK_WEBHOOK_SECRET is not set: https:// sinks sign every POST and "
                "are never used unsigned; set it on the workers"
            )
        return cls(
            secret=settings.sink_webhook_secret.get_secret_value().encode("utf-8"),
            timeout=settings.sink_webhook_timeout_seconds,
            attempts=settings.sink_webhook_attempts,
            backoff=settings.sink_webhook_backoff_seconds,
            backoff_max=settings.sink_webhook_backoff_max_seconds,
        )


def idempotency_key(record: Record) -> str:
    """`<article_id>:<pipeline version>`: the same record delivered twice has the same key."""
    return f"{record.article_id}:{record.pipeline.version}"


def batch_key(keys: Sequence[str]) -> str:
    """The Idempotency-Key header: the record's key, or a digest of all keys for a batch."""
    if len(keys) == 1:
        return keys[0]
    return "batch-" + hashlib.sha256("\n".join(sorted(keys)).encode()).hexdigest()


def batch_body(records: Sequence[Record]) -> tuple[bytes, list[str]]:
    """The JSON array body and the records' idempotency keys, in order."""
    keys = [idempotency_key(r) for r in records]
    elements = [
        {
            "idempotency_key": key,
            "article_id": r.article_id,
            "pipeline_version": r.pipeline.version,
            "record": r.model_dump(mode="json"),
        }
        for key, r in zip(keys, records, strict=True)
    ]
    body = json.dumps(elements, ensure_ascii=False, separators=(",", ":"))
    return body.encode("utf-8"), keys


def signed_headers(secret: bytes, body: bytes, keys: Sequence[str], now: float) -> dict[str, str]:
    """Headers of one attempt; signed afresh each time, so a retry is never outside the window."""
    timestamp = str(int(now))
    return {
        "Content-Type": "application/json",
        "User-Agent": f"newsflow/{_version()}",
        "Idempotency-Key": batch_key(keys),
        "X-Newsflow-Timestamp": timestamp,
        "X-Newsflow-Signature": sign(secret, timestamp, body),
        "X-Newsflow-Batch-Size": str(len(keys)),
    }


def backoff_delay(
    attempt: int, base: float, cap: float, rand: Callable[[], float] = random.random
) -> float:
    """Full-jitter backoff before retry `attempt` (1-based): U(0, min(cap, base·2^(attempt-1)))."""
    return rand() * min(cap, base * 2 ** (attempt - 1))


def retry_after_seconds(value: str | None, now: float) -> float | None:
    """A Retry-After header (seconds or an HTTP date) as seconds from now, if it parses."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        return max(0.0, parsedate_to_datetime(value).timestamp() - now)
    except (TypeError, ValueError):
        return None


class WebhookSink(SinkBase):
    """POST each batch of records to an HTTP endpoint, signed, with idempotency keys."""

    def __init__(
        self,
        url: str,
        options: WebhookOptions | None = None,
        *,
        sleep: Callable[[float], None] = time.sleep,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        parsed = httpx.URL(url)
        if parsed.scheme not in {"http", "https"} or not parsed.host:
            raise ValueError(f"sink {url!r} is not an http(s) URL with a host")
        self.url = url
        self.options = options or WebhookOptions.from_settings(get_settings())
        self._sleep = sleep
        self._transport = transport
        self._client: httpx.Client | None = None

    def _http(self) -> httpx.Client:
        # Built on first use, inside the worker process (never inherited across a fork).
        if self._client is None:
            self._client = httpx.Client(
                timeout=httpx.Timeout(self.options.timeout),
                follow_redirects=False,
                transport=self._transport,
            )
        return self._client

    def write_batch(self, records: Sequence[Record]) -> None:
        """POST the batch; retry transient failures a few times, then raise for the task."""
        if not records:
            return
        body, keys = batch_body(records)
        last = ""
        for attempt in range(1, self.options.attempts + 1):
            headers = signed_headers(self.options.secret, body, keys, time.time())
            wait: float | None = None
            try:
                response = self._http().post(self.url, content=body, headers=headers)
            except httpx.TimeoutException as exc:
                last = f"timed out after {self.options.timeout:g}s ({type(exc).__name__})"
            except httpx.TransportError as exc:
                last = f"connection failed ({type(exc).__name__}: {exc})"
            else:
                status = response.status_code
                if 200 <= status < 300:
                    log.info(
                        "sink_webhook_posted", status=status, records=len(keys), attempt=attempt
                    )
                    return
                if status not in RETRY_STATUSES:
                    raise SinkRejected(
                        f"webhook sink {self._where()} answered {status} to a batch of "
                        f"{len(keys)} record(s){_excerpt(response)}: a 3xx/4xx is not retried; "
                        "fix the endpoint or its URL, then replay from the dead-letter queue"
                    )
                last = f"answered {status}{_excerpt(response)}"
                wait = retry_after_seconds(response.headers.get("Retry-After"), time.time())
            log.warning(
                "sink_webhook_attempt_failed", attempt=attempt, error=last, records=len(keys)
            )
            if attempt < self.options.attempts:
                delay = backoff_delay(attempt, self.options.backoff, self.options.backoff_max)
                if wait is not None:
                    delay = max(delay, min(wait, self.options.backoff_max))
                self._sleep(delay)
        raise SinkUnavailable(
            f"webhook sink {self._where()} failed {self.options.attempts} attempts (last: "
            f"{last}): the publish task retries later with backoff"
        )

    def _where(self) -> str:
        parsed = httpx.URL(self.url)
        return f"{parsed.scheme}://{parsed.host}{'' if parsed.port is None else f':{parsed.port}'}"

    def close(self) -> None:
        """Close the connection pool."""
        if self._client is not None:
            client, self._client = self._client, None
            client.close()


def _excerpt(response: httpx.Response) -> str:
    text = response.text.strip().replace("\n", " ")
    return f" ({text[:200]})" if text else ""


def _version() -> str:
    try:
        return version("newsflow")
    except PackageNotFoundError:
        return "0+unknown"
