"""From an accepted request to `Enqueuer.submit`: canonical bytes, metadata, back-pressure.

Blocking (redis-py, Celery's producer): the routes call it in the threadpool.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, datetime

import structlog

from producers.enqueue import Enqueuer, SubmitResult
from producers.webhook.errors import ApiError
from producers.webhook.metrics import WebhookMetrics
from producers.webhook.models import ArticleIn
from schemas import names
from schemas.article import ArticleEnvelope, ArticleMetadata, ContentType, Source, SourceKind
from schemas.redis_errors import map_redis_errors
from schemas.settings import Settings

log = structlog.get_logger(__name__)

# Queues a submission lands on first: url envelopes go to fetch, every other body to clean.
INTAKE_QUEUES = (names.QUEUE_CLEAN, names.QUEUE_FETCH)


def live_lane_keys() -> list[str]:
    """The Redis lists a new live article waits behind: the intake queues' live lanes.

    Backfill waits in a lower-priority lane that workers serve only when these are empty, so
    a large backfill never makes the webhook refuse live traffic.
    """
    return [
        key
        for queue in INTAKE_QUEUES
        for step, key in zip(names.PRIORITY_STEPS, names.queue_keys(queue), strict=True)
        if step <= names.PRIORITY_LIVE
    ]


def canonical_bytes(envelope: ArticleEnvelope) -> bytes:
    """The envelope serialised deterministically: the same JSON, however sent, is the same id."""
    data = envelope.model_dump(mode="json", exclude_none=True)
    return json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


@dataclass(frozen=True)
class RawMetadata:
    """Metadata of a raw text/html body, from the query string."""

    title: str | None = None
    published_at: date | datetime | None = None
    outlet: str | None = None
    callback_url: str | None = None


@dataclass(frozen=True)
class Prepared:
    """An article checked and ready for `Enqueuer.submit`."""

    raw: bytes
    source: Source
    metadata: ArticleMetadata
    content_type: ContentType


class Intake:
    """Takes articles in for the webhook, one run id for the life of the process."""

    def __init__(
        self, settings: Settings, enqueuer: Enqueuer, metrics: WebhookMetrics | None = None
    ) -> None:
        self.settings = settings
        self.enqueuer = enqueuer
        self.metrics = metrics
        self._keys = live_lane_keys()

    def queue_depth(self) -> int:
        """Messages waiting in the intake queues' live lanes (one round trip of LLENs)."""
        with map_redis_errors("measuring the queue"):
            pipe = self.enqueuer.redis.pipeline(transaction=False)
            for key in self._keys:
                pipe.llen(key)
            return sum(int(n) for n in pipe.execute())

    def admit(self, count: int = 1) -> None:
        """Refuse with 429 while the queue is over its high-water mark (back-pressure)."""
        depth = self.queue_depth()
        limit = self.settings.webhook_queue_high_water
        if depth >= limit:
            log.warning("submission_throttled", queue_depth=depth, high_water=limit, count=count)
            raise ApiError(
                429,
                f"the queue holds {depth:,} articles, over its high-water mark of {limit:,} "
                "(NEWSFLOW_WEBHOOK_QUEUE_HIGH_WATER): retry after a while",
                headers={"Retry-After": "10"},
            )

    def check_callback(self, callback_url: str | None) -> None:
        """Refuse a callback that could never be sent (the workers sign every callback)."""
        if callback_url is not None and self.settings.callback_secret is None:
            raise ApiError(
                422,
                "callback_url given but callbacks are off: the server has no "
                "NEWSFLOW_CALLBACK_SECRET to sign them with",
            )

    def prepare_article(self, article: ArticleIn, received_at: datetime) -> Prepared:
        """A JSON article as its canonical envelope bytes, with metadata copied out of it."""
        envelope = article.envelope()
        metadata = ArticleMetadata(
            title=envelope.title,
            published_at=envelope.published_at,
            outlet=envelope.outlet,
            url=envelope.url,
            crawled_at=envelope.crawled_at,
            callback_url=envelope.callback_url,
        )
        source = Source(
            kind=SourceKind.WEBHOOK,
            url=envelope.url,
            outlet=envelope.outlet,
            received_at=received_at,
        )
        return self._prepared(canonical_bytes(envelope), source, metadata, "application/json")

    def prepare_raw(
        self, body: bytes, content_type: ContentType, meta: RawMetadata, received_at: datetime
    ) -> Prepared:
        """A raw text or HTML body as it came (its id is that of the same file)."""
        if not body.strip():
            raise ApiError(422, "the body is empty: send the article's text or HTML")
        metadata = ArticleMetadata(
            title=meta.title,
            published_at=meta.published_at,
            outlet=meta.outlet,
            callback_url=meta.callback_url,
        )
        source = Source(kind=SourceKind.WEBHOOK, outlet=meta.outlet, received_at=received_at)
        return self._prepared(body, source, metadata, content_type)

    def enqueue(self, prepared: list[Prepared]) -> list[SubmitResult]:
        """Admit (back-pressure), then submit each article in order."""
        self.admit(len(prepared))
        return [self.submit(one) for one in prepared]

    def submit(self, prepared: Prepared) -> SubmitResult:
        """Send one prepared article through the one enqueue path."""
        result = self.enqueuer.submit(
            prepared.raw,
            prepared.source,
            metadata=prepared.metadata,
            content_type=prepared.content_type,
        )
        if self.metrics is not None:
            self.metrics.submitted(result)
        if result.status == "failed":  # refused by the enqueue checks
            raise ApiError(422, f"the article was refused: {result.reason}")
        return result  # Enqueuer.submit logged it (article_queued / article_duplicate)

    def _prepared(
        self, raw: bytes, source: Source, metadata: ArticleMetadata, content_type: ContentType
    ) -> Prepared:
        self.check_callback(metadata.callback_url)
        limit = self.settings.max_article_bytes
        if len(raw) > limit:
            raise ApiError(
                413,
                f"the article is {len(raw):,} bytes, over the {limit:,}-byte limit "
                "(NEWSFLOW_MAX_ARTICLE_BYTES)",
            )
        return Prepared(raw, source, metadata, content_type)
