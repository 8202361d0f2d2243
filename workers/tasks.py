"""Celery tasks: thin adapters around the stage functions, under one policy.

Each task decodes its message, calls its stage, sends the next task by name, and maps
errors: TransientError → retry with backoff and jitter; PermanentError → dead-letter now;
anything else (a bug, or retries exhausted) → dead-letter in `on_failure`. Every task is
idempotent on the article id, which is what makes acks_late safe.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

import structlog
from celery import Task
from pydantic import ValidationError

from schemas import names
from schemas.article import RawArticle
from schemas.errors import MalformedEnvelope, PermanentError, TransientError
from schemas.redis_errors import map_redis_errors
from schemas.settings import get_settings
from schemas.stages import CleanedArticle, PublishMessage
from workers import pipeline, state
from workers.app import app

log = structlog.get_logger(__name__)

M = TypeVar("M", RawArticle, CleanedArticle, PublishMessage)


class PipelineTask(Task):  # type: ignore[misc]
    """Base task: whatever ends a task without success is dead-lettered, never dropped."""

    def on_failure(
        self,
        exc: BaseException,
        task_id: str,
        args: tuple[Any, ...],
        kwargs: dict[str, Any],
        einfo: Any,
    ) -> None:
        message = args[0] if args and isinstance(args[0], dict) else {}
        reason = getattr(exc, "reason", "unexpected_error")
        try:
            _dead_letter(self, message, reason, f"{type(exc).__name__}: {exc}")
        except Exception as dl_exc:  # Redis down too: the message stays visible in the logs
            log.critical("dead_letter_failed", error=str(dl_exc), original=str(exc))


def pipeline_task(name: str) -> Callable[[Callable[..., None]], Task]:
    """Register a stage task with the project's one policy."""
    return app.task(  # type: ignore[no-any-return]
        name=name,
        queue=names.TASK_QUEUES[name],
        base=PipelineTask,
        bind=True,
        acks_late=True,
        reject_on_worker_lost=True,
        autoretry_for=(TransientError,),
        retry_backoff=2,
        retry_backoff_max=120,
        retry_jitter=True,
        max_retries=get_settings().task_max_retries,
        ignore_result=True,
    )


@pipeline_task(names.TASK_CLEAN)
def clean(self: Task, message: dict[str, Any]) -> None:
    """Stage 1: raw bytes → cleaned main story."""
    with _permanent_to_dead_letter(self, message):
        raw = _parse(RawArticle, message)
        with map_redis_errors("marking the article as processing"):
            state.ledger().start(raw.article_id, "clean")
        body = _load_body(raw)
        cleaned = pipeline.clean_stage(raw, body, state.clean_options())
        _send(names.TASK_EXTRACT, cleaned.model_dump(mode="json"))
        log.info(
            "article_cleaned",
            chars=len(cleaned.text),
            removed=len(cleaned.removed),
            ms=cleaned.clean_ms,
        )


@pipeline_task(names.TASK_EXTRACT)
def extract(self: Task, message: dict[str, Any]) -> None:
    """Stage 2: cleaned story → record with entities and events."""
    with _permanent_to_dead_letter(self, message):
        cleaned = _parse(CleanedArticle, message)
        record = pipeline.extract_stage(cleaned, state.model())
        publish_message = PublishMessage(record=record, run_id=cleaned.run_id, sinks=cleaned.sinks)
        _send(names.TASK_PUBLISH, publish_message.model_dump(mode="json"))
        log.info(
            "article_extracted",
            entities=len(record.entities),
            events=len(record.events),
            ms=record.pipeline.timings_ms.extract,
        )


@pipeline_task(names.TASK_PUBLISH)
def publish(self: Task, message: dict[str, Any]) -> None:
    """Stage 3: record → every sink; retried on its own, so NLP is never redone."""
    started = time.perf_counter()
    with _permanent_to_dead_letter(self, message):
        parsed = _parse(PublishMessage, message)
        record = parsed.record
        final = pipeline.publish_stage(record, state.sinks_for(parsed.sinks), started)
        with map_redis_errors("recording the article as published"):
            state.ledger().finish(record.article_id, parsed.run_id, "published", stage="publish")
        log.info(
            "article_published",
            sinks=len(parsed.sinks or get_settings().sinks),
            ms=final.pipeline.timings_ms.publish,
        )


def _parse(model: type[M], message: Any) -> M:
    try:
        return model.model_validate(message)
    except ValidationError as exc:
        raise MalformedEnvelope(
            f"the {model.__name__} message does not match its schema "
            f"({exc.error_count()} errors, first: {exc.errors()[0]['msg']} at "
            f"{'.'.join(map(str, exc.errors()[0]['loc']))}): fix the producer"
        ) from exc


def _load_body(raw: RawArticle) -> bytes:
    inline = raw.inline_body()
    if inline is not None:
        return inline
    assert raw.body_ref is not None
    with map_redis_errors("fetching the raw body"):
        body = state.redis_client().get(raw.body_ref)
    if body is None:
        raise PermanentError(
            f"the raw body {raw.body_ref} has expired or was never stored "
            "(NEWSFLOW_RAW_BODY_TTL_SECONDS): submit the article again"
        )
    return bytes(body)  # type: ignore[arg-type]


def _send(task_name: str, payload: dict[str, Any]) -> None:
    with map_redis_errors(f"sending {task_name}"):
        app.send_task(task_name, args=[payload], queue=names.TASK_QUEUES[task_name])


@contextmanager
def _permanent_to_dead_letter(task: Task, message: dict[str, Any]) -> Iterator[None]:
    try:
        yield
    except PermanentError as exc:
        _dead_letter(task, message, exc.reason, exc.message)


def _dead_letter(task: Task, message: dict[str, Any], reason: str, error: str) -> None:
    record = message.get("record") if isinstance(message.get("record"), dict) else {}
    article_id = message.get("article_id") or (record or {}).get("article_id") or "unknown"
    stage = task.name.rsplit(".", 1)[-1]
    with map_redis_errors("dead-lettering"):
        state.ledger().dead_letter(
            article_id=str(article_id),
            run_id=message.get("run_id"),
            stage=stage,
            reason=reason,
            error=error,
            attempts=task.request.retries + 1,
            payload=message,
            raw_ref=message.get("body_ref"),
        )
    log.warning("article_dead_lettered", reason=reason, error=error)
