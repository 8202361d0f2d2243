"""The one enqueue path: validate, assign the id, skip duplicates, send the task by name.

Every producer (backfill CLI, webhook, inbox watcher) goes through `Enqueuer.submit`.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from functools import cached_property
from typing import Literal

import redis
import structlog
from celery import Celery

from schemas import names
from schemas.article import (
    ArticleMetadata,
    ContentType,
    RawArticle,
    Source,
    article_id_for,
)
from schemas.celery_config import celery_config
from schemas.errors import ArticleTooLarge, EmptyArticle, InvalidArticle
from schemas.ledger import Ledger
from schemas.redis_errors import map_redis_errors
from schemas.settings import Settings

log = structlog.get_logger(__name__)

SubmitStatus = Literal["queued", "duplicate", "failed"]


@dataclass(frozen=True)
class SubmitResult:
    """What happened to one submitted article."""

    article_id: str
    status: SubmitStatus
    reason: str | None = None


def new_run_id(kind: str) -> str:
    """A fresh run id, e.g. `backfill-2f1c…`."""
    return f"{kind}-{uuid.uuid4().hex[:16]}"


class Enqueuer:
    """Sends articles to the `clean` queue for one run, keeping the ledger's books."""

    def __init__(self, settings: Settings, run_id: str) -> None:
        self.settings = settings
        self.run_id = run_id

    @cached_property
    def redis(self) -> redis.Redis:
        """Redis client for the ledger and large bodies."""
        return redis.Redis.from_url(
            str(self.settings.redis_url), socket_timeout=10, socket_connect_timeout=5
        )

    @cached_property
    def ledger(self) -> Ledger:
        """The shared article ledger."""
        return Ledger(self.redis, self.settings.article_state_ttl_seconds)

    @cached_property
    def celery(self) -> Celery:
        """A send-only Celery client: it knows task names, not task code."""
        client = Celery("newsflow-producer", set_as_current=False)
        client.conf.update(celery_config(self.settings))
        return client

    def submit(
        self,
        raw: bytes,
        source: Source,
        *,
        metadata: ArticleMetadata | None = None,
        content_type: ContentType | None = None,
        sinks: list[str] | None = None,
        force: bool = False,
    ) -> SubmitResult:
        """Validate and enqueue one article; rejects go to the dead-letter stream, counted."""
        article_id = article_id_for(raw)
        with map_redis_errors("claiming the article"):
            if not self.ledger.claim(article_id, self.run_id, force=force):
                log.info("article_duplicate", article_id=article_id, path=source.path)
                return SubmitResult(article_id, "duplicate")
        try:
            self._check(raw)
        except InvalidArticle as exc:
            with map_redis_errors("dead-lettering"):
                self.ledger.dead_letter(
                    article_id=article_id,
                    run_id=self.run_id,
                    stage="enqueue",
                    reason=exc.reason,
                    error=exc.message,
                    payload={"source": source.model_dump(mode="json")},
                )
            log.warning(
                "article_rejected", article_id=article_id, reason=exc.reason, error=exc.message
            )
            return SubmitResult(article_id, "failed", exc.message)
        message = self._message(raw, article_id, source, metadata, content_type, sinks, force)
        try:
            with map_redis_errors("sending the clean task"):
                self.celery.send_task(
                    names.TASK_CLEAN,
                    args=[message.model_dump(mode="json")],
                    queue=names.QUEUE_CLEAN,
                )
        except Exception:
            self.ledger.unclaim(article_id, self.run_id)
            raise
        log.info("article_queued", article_id=article_id, path=source.path, size=len(raw))
        return SubmitResult(article_id, "queued")

    def finish(self) -> None:
        """Tell the ledger this run will send nothing more."""
        with map_redis_errors("closing the run"):
            self.ledger.mark_producing_done(self.run_id)

    def _check(self, raw: bytes) -> None:
        if not raw.strip():
            raise EmptyArticle("the article is empty (no bytes, or only whitespace)")
        if len(raw) > self.settings.max_article_bytes:
            raise ArticleTooLarge(
                f"the article is {len(raw):,} bytes, over the "
                f"{self.settings.max_article_bytes:,}-byte limit (NEWSFLOW_MAX_ARTICLE_BYTES)"
            )

    def _message(
        self,
        raw: bytes,
        article_id: str,
        source: Source,
        metadata: ArticleMetadata | None,
        content_type: ContentType | None,
        sinks: list[str] | None,
        force: bool,
    ) -> RawArticle:
        common = {
            "run_id": self.run_id,
            "source": source,
            "metadata": metadata or ArticleMetadata(),
            "content_type": content_type,
            "sinks": sinks,
            "force": force,
        }
        if len(raw) <= self.settings.inline_body_bytes:
            return RawArticle.inline(raw, **common)
        # Large bodies travel by reference so queue messages stay small.
        key = names.raw_body_key(article_id)
        with map_redis_errors("storing the raw body"):
            self.redis.set(key, raw, ex=self.settings.raw_body_ttl_seconds)
        return RawArticle(article_id=article_id, size=len(raw), body_ref=key, **common)
