"""The one enqueue path: validate, assign the id, skip duplicates, send the task by name.

Every producer (backfill CLI, webhook, inbox watcher) goes through `Enqueuer.submit`.
"""

from __future__ import annotations

import base64
import time
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
from schemas.envelopes import is_url_envelope
from schemas.errors import ArticleTooLarge, EmptyArticle, InvalidArticle
from schemas.ledger import Ledger
from schemas.redis_client import connect
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


# Celery's default publish retry: about half a second, then the error.
FAIL_FAST_PUBLISH = {
    "max_retries": 3,
    "interval_start": 0,
    "interval_step": 0.2,
    "interval_max": 0.2,
}


# The longest a backfill article waits for its batch to fill before the batch goes out.
BATCH_MAX_WAIT_SECONDS = 1.0


def new_run_id(kind: str) -> str:
    """A fresh run id, e.g. `backfill-2f1c…`."""
    return f"{kind}-{uuid.uuid4().hex[:16]}"


class Enqueuer:
    """Sends articles to the `clean` queue for one run, keeping the ledger's books."""

    def __init__(
        self,
        settings: Settings,
        run_id: str,
        *,
        priority: int | None = None,
        outage_seconds: float | None = None,
        batch_size: int = 1,
    ) -> None:
        self.settings = settings
        self.run_id = run_id
        # Over 1 (backfill only): clean messages go out `batch_size` articles at a time as one
        # clean_batch task (workers/batch_tasks.py), each article still claimed on its own.
        self.batch_size = batch_size
        self._pending: list[RawArticle] = []
        self._pending_since = 0.0
        # None: the broker's default, 0, the live lane; backfill passes names.PRIORITY_BACKFILL.
        self.priority = priority
        # None: fail fast (the webhook answers 503 at once and its client retries); a batch
        # producer passes settings.redis_outage_seconds to ride out a Redis restart.
        self.outage_seconds = outage_seconds

    @cached_property
    def redis(self) -> redis.Redis:
        """Redis client for the ledger and large bodies."""
        url = str(self.settings.redis_url)
        if self.outage_seconds is None:
            return redis.Redis.from_url(url, socket_timeout=10, socket_connect_timeout=5)
        return connect(url, outage_seconds=self.outage_seconds)

    @cached_property
    def ledger(self) -> Ledger:
        """The shared article ledger."""
        return Ledger(self.redis, self.settings.article_state_ttl_seconds)

    @cached_property
    def celery(self) -> Celery:
        """A send-only Celery client: it knows task names, not task code."""
        client = Celery("newsflow-producer", set_as_current=False)
        client.conf.update(celery_config(self.settings))
        if self.outage_seconds is None:  # fail fast: Celery's own short publish retry
            client.conf.task_publish_retry_policy = FAIL_FAST_PUBLISH
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
            self.check(raw)
        except InvalidArticle as exc:
            with map_redis_errors("dead-lettering"):
                self.ledger.dead_letter(
                    article_id=article_id,
                    run_id=self.run_id,
                    stage="enqueue",
                    reason=exc.reason,
                    error=exc.message,
                    payload=self._rejected(raw, source, metadata, content_type, sinks),
                )
            log.warning(
                "article_rejected", article_id=article_id, reason=exc.reason, error=exc.message
            )
            return SubmitResult(article_id, "failed", exc.message)
        message = self._message(raw, article_id, source, metadata, content_type, sinks, force)
        try:
            self._send(raw, message, content_type)
        except Exception:
            self.ledger.unclaim(article_id, self.run_id)
            raise
        log.info("article_queued", article_id=article_id, path=source.path, size=len(raw))
        return SubmitResult(article_id, "queued")

    def resend(
        self,
        raw: bytes,
        source: Source,
        *,
        content_type: ContentType | None = None,
        sinks: list[str] | None = None,
        force: bool = False,
    ) -> str:
        """Send again an article this run already counted in (the broker lost its message).

        No claim: the books already hold it as queued, and finishing is idempotent per run.
        """
        article_id = article_id_for(raw)
        message = self._message(raw, article_id, source, None, content_type, sinks, force)
        self._send(raw, message, content_type)
        log.warning("article_resent", article_id=article_id, path=source.path, size=len(raw))
        return article_id

    def _send(self, raw: bytes, message: RawArticle, content_type: ContentType | None) -> None:
        # A url-only envelope is downloaded by the fetch task first, which then sends clean.
        task = names.TASK_FETCH if is_url_envelope(raw, content_type) else names.TASK_CLEAN
        if task == names.TASK_CLEAN and self.batch_size > 1:
            self._hold(message)
            return
        self._send_task(task, message.model_dump(mode="json"))

    def _send_task(self, task: str, payload: dict[str, object]) -> None:
        with map_redis_errors(f"sending the {task} task"):
            self.celery.send_task(
                task, args=[payload], queue=names.TASK_QUEUES[task], priority=self.priority
            )

    def _hold(self, message: RawArticle) -> None:
        """Add to the pending batch; send it when full or when its first article has waited
        BATCH_MAX_WAIT_SECONDS (a slow --rate or slow inputs never hold articles long)."""
        if not self._pending:
            self._pending_since = time.monotonic()
        self._pending.append(message)
        waited = time.monotonic() - self._pending_since
        if len(self._pending) >= self.batch_size or waited >= BATCH_MAX_WAIT_SECONDS:
            self.flush()

    def flush(self) -> None:
        """Send the pending batch. Should the send fail, its articles are unclaimed (a later
        run sends them again instead of taking them for duplicates) and the error raised."""
        pending, self._pending = self._pending, []
        if not pending:
            return
        payload = {"articles": [m.model_dump(mode="json") for m in pending]}
        try:
            self._send_task(names.TASK_CLEAN_BATCH, payload)
        except BaseException:
            self.discard_pending(pending)
            raise

    def discard_pending(self, pending: list[RawArticle] | None = None) -> None:
        """Unclaim articles claimed but never sent (the producer is stopping on an error)."""
        if pending is None:
            pending, self._pending = self._pending, []
        for message in pending:
            self.ledger.unclaim(message.article_id, self.run_id)
        if pending:
            log.warning("batch_discarded", articles=len(pending), run_id=self.run_id)

    def preview(self, raw: bytes, *, force: bool = False) -> SubmitResult:
        """What `submit` would do with these bytes, claiming and sending nothing (dry runs)."""
        article_id = article_id_for(raw)
        with map_redis_errors("reading the ledger"):
            status = self.ledger.status(article_id).get("status")
        if status and status != "failed" and not force:
            return SubmitResult(article_id, "duplicate")
        try:
            self.check(raw)
        except InvalidArticle as exc:
            return SubmitResult(article_id, "failed", exc.message)
        return SubmitResult(article_id, "queued")

    def finish(self) -> None:
        """Send what is pending; tell the ledger this run will send nothing more."""
        self.flush()
        with map_redis_errors("closing the run"):
            self.ledger.mark_producing_done(self.run_id)

    def check(self, raw: bytes) -> None:
        """Raise the InvalidArticle that `submit` would dead-letter these bytes with."""
        if not raw.strip():
            raise EmptyArticle("the article is empty (no bytes, or only whitespace)")
        if len(raw) > self.settings.max_article_bytes:
            raise ArticleTooLarge(
                f"the article is {len(raw):,} bytes, over the "
                f"{self.settings.max_article_bytes:,}-byte limit (NEWSFLOW_MAX_ARTICLE_BYTES)"
            )

    def _rejected(
        self,
        raw: bytes,
        source: Source,
        metadata: ArticleMetadata | None,
        content_type: ContentType | None,
        sinks: list[str] | None,
    ) -> dict[str, object]:
        """The dead-letter payload of a reject: enough for `newsflow dlq replay` to check again."""
        payload: dict[str, object] = {
            "source": source.model_dump(mode="json"),
            "size": len(raw),
            "content_type": content_type,
        }
        if sinks:
            payload["sinks"] = sinks
        if metadata is not None:
            payload["metadata"] = metadata.model_dump(mode="json", exclude_none=True)
        if len(raw) <= self.settings.inline_body_bytes:  # an oversized body is not kept
            payload["body_b64"] = base64.b64encode(raw).decode("ascii")
        return payload

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
