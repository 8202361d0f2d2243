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
from celery import Task, current_task
from celery.exceptions import Reject
from celery.signals import task_postrun, task_prerun
from kombu.utils.uuid import uuid
from pydantic import ValidationError

from schemas import names
from schemas.article import RawArticle
from schemas.envelopes import parse_url_envelope
from schemas.errors import MalformedEnvelope, PermanentError, TransientError, validation_summary
from schemas.pipeline_version import PipelineStamp, note_stamp
from schemas.record import Record
from schemas.redis_errors import map_redis_errors
from schemas.settings import get_settings
from schemas.stages import CallbackMessage, CleanedArticle, PublishMessage
from workers import fetch as fetching
from workers import handoff, metrics, pipeline, state
from workers.app import app

log = structlog.get_logger(__name__)

M = TypeVar("M", RawArticle, CleanedArticle, PublishMessage, CallbackMessage)


class EndsOnFailure(Task):  # type: ignore[misc]
    """Base of our tasks: a run that ends without success hands its message to `failed`."""

    def on_failure(
        self,
        exc: BaseException,
        task_id: str,
        args: tuple[Any, ...],
        kwargs: dict[str, Any],
        einfo: Any,
    ) -> None:
        self.failed(args[0] if args and isinstance(args[0], dict) else {}, exc)

    def failed(self, message: dict[str, Any], exc: BaseException) -> None:
        """What becomes of the message's article (retries spent, or a bug)."""
        raise NotImplementedError


class PipelineTask(EndsOnFailure):
    """Base task: whatever ends a task without success is dead-lettered, never dropped."""

    def retry(self, *args: Any, **kwargs: Any) -> Any:
        """Celery's retry, except that a retry which cannot be sent keeps the message.

        Celery turns a failure to send the retry (the broker restarting) into
        `Reject(requeue=False)`, which drops the message without `on_failure`: the article
        would stay queued forever. Requeued instead (or, broker still down, left unacked
        until the visibility timeout brings it back).
        """
        try:
            return super().retry(*args, **kwargs)
        except Reject as exc:
            if exc.requeue:
                raise
            log.warning("retry_not_sent", error=str(exc.reason))
            raise Reject(exc.reason, requeue=True) from exc

    def failed(self, message: dict[str, Any], exc: BaseException) -> None:
        reason = getattr(exc, "reason", "unexpected_error")
        try:
            _dead_letter(self, message, reason, f"{type(exc).__name__}: {exc}")
        except Exception as dl_exc:  # Redis down too: the message stays visible in the logs
            log.critical("dead_letter_failed", error=str(dl_exc), original=str(exc))


class CallbackTask(EndsOnFailure):
    """Base of the callback task: once retries are spent (or on a bug) the callback is noted
    as failed on the ledger entry and logged.

    The article itself is published (or already failed): it is never dead-lettered here.
    """

    def failed(self, message: dict[str, Any], exc: BaseException) -> None:
        reason = getattr(exc, "reason", "unexpected_error")
        _callback_gave_up(str(message.get("article_id", "unknown")), reason, str(exc))


def pipeline_task(
    name: str, *, base: type[Task] = PipelineTask, max_retries: int | None = None
) -> Callable[[Callable[..., None]], Task]:
    """Register a stage task with the project's one policy."""
    return app.task(  # type: ignore[no-any-return]
        name=name,
        queue=names.TASK_QUEUES[name],
        base=base,
        bind=True,
        acks_late=True,
        reject_on_worker_lost=True,
        autoretry_for=(TransientError,),
        retry_backoff=2,
        retry_backoff_max=120,
        retry_jitter=True,
        max_retries=get_settings().task_max_retries if max_retries is None else max_retries,
        ignore_result=True,
    )


@pipeline_task(names.TASK_CLEAN)
def clean(self: Task, message: dict[str, Any]) -> None:
    """Stage 1: raw bytes → cleaned main story."""
    with _permanent_to_dead_letter(self, message):
        cleaned = clean_article(message)
        if cleaned is not None:
            _hand_on(self, names.TASK_EXTRACT, cleaned.model_dump(mode="json"))


@pipeline_task(names.TASK_EXTRACT)
def extract(self: Task, message: dict[str, Any]) -> None:
    """Stage 2: cleaned story → record with entities and events."""
    with _permanent_to_dead_letter(self, message):
        cleaned = _parse(CleanedArticle, message)
        pass_record_on(self, cleaned, pipeline.extract_stage(cleaned, state.model()))


def clean_article(message: dict[str, Any]) -> CleanedArticle | None:
    """The clean stage of one article message (also each article of a backfill batch);
    None when it is a url submission, sent to be fetched first."""
    raw = _parse(RawArticle, message)
    with map_redis_errors("marking the article as processing"):
        state.ledger().start(raw.article_id, "clean")
    body = _load_body(raw)
    if parse_url_envelope(body, raw.content_type) is not None:
        # A url submission that came here directly: it is fetched first.
        _send(names.TASK_FETCH, message)
        log.info("url_envelope_forwarded", queue=names.QUEUE_FETCH)
        return None
    cleaned = pipeline.clean_stage(raw, body, state.clean_options())
    log.info(
        "article_cleaned",
        chars=len(cleaned.text),
        removed=len(cleaned.removed),
        ms=cleaned.clean_ms,
    )
    return cleaned


def pass_record_on(task: Task, cleaned: CleanedArticle, record: Record) -> None:
    """Hand an extracted article's record to publish (also each article of a batch)."""
    log.info(
        "article_extracted",
        entities=len(record.entities),
        events=len(record.events),
        ms=record.pipeline.timings_ms.extract,
    )
    publish_message = PublishMessage(
        record=record,
        run_id=cleaned.run_id,
        sinks=cleaned.sinks,
        callback_url=cleaned.callback_url,
    )
    _hand_on(task, names.TASK_PUBLISH, publish_message.model_dump(mode="json"))


@pipeline_task(names.TASK_PUBLISH)
def publish(self: Task, message: dict[str, Any]) -> None:
    """Stage 3: record → every sink; retried on its own, so NLP is never redone."""
    started = time.perf_counter()
    with _permanent_to_dead_letter(self, message):
        parsed = _parse(PublishMessage, message)
        record = parsed.record
        final = pipeline.publish_stage(
            record,
            state.sinks_for(parsed.sinks),
            started,
            state.delivery_log(record.article_id, parsed.run_id),
        )
        # Stored before the ledger says "published", so a published status has its record.
        with map_redis_errors("storing the record"):
            state.redis_client().set(
                names.record_key(record.article_id),
                final.model_dump_json(),
                ex=get_settings().record_ttl_seconds,
            )
        with map_redis_errors("noting the pipeline version"):  # for backfill --force-version
            stamp = PipelineStamp(final.pipeline.version, final.pipeline.model)
            note_stamp(state.redis_client(), record.article_id, stamp)
        with map_redis_errors("recording the article as published"):
            state.ledger().finish(record.article_id, parsed.run_id, "published", stage="publish")
        if parsed.callback_url:
            _send_callback(
                CallbackMessage(
                    article_id=record.article_id,
                    url=parsed.callback_url,
                    event=fetching.EVENT_PUBLISHED,
                )
            )
        log.info(
            "article_published",
            sinks=len(parsed.sinks or get_settings().sinks),
            ms=final.pipeline.timings_ms.publish,
        )


@pipeline_task(names.TASK_FETCH)
def fetch(self: Task, message: dict[str, Any]) -> None:
    """Stage 0 of a url submission: download the page (SSRF-guarded), then clean it."""
    with _permanent_to_dead_letter(self, message):
        raw = _parse(RawArticle, message)
        with map_redis_errors("marking the article as processing"):
            state.ledger().start(raw.article_id, "fetch")
        envelope = parse_url_envelope(_load_body(raw), raw.content_type)
        if envelope is None or envelope.url is None:
            raise MalformedEnvelope(
                'the fetch task got no url envelope ({"url": ...}): send other bodies to clean'
            )
        page = fetching.fetch_page(envelope.url, state.fetch_policy(), state.http_client())
        body_ref = None
        if len(page.body) > get_settings().inline_body_bytes:
            body_ref = names.raw_body_key(raw.article_id)
            with map_redis_errors("storing the fetched body"):
                state.redis_client().set(
                    body_ref, page.body, ex=get_settings().raw_body_ttl_seconds
                )
        fetched = fetching.fetched_article(raw, envelope, page, body_ref)
        _send(names.TASK_CLEAN, fetched.model_dump(mode="json"))
        log.info(
            "article_fetched",
            url=page.requested_url,
            final_url=page.url,
            status=page.status,
            content_type=page.media_type,
            bytes=len(page.body),
            redirects=len(page.redirects),
            ms=page.elapsed_ms,
        )


@pipeline_task(
    names.TASK_CALLBACK, base=CallbackTask, max_retries=get_settings().callback_max_retries
)
def callback(self: Task, message: dict[str, Any]) -> None:
    """POST the article's outcome to its callback_url, signed; retried on 5xx/429/network."""
    parsed = _parse_callback(message)
    if parsed is None:
        return
    settings = get_settings()
    if settings.callback_secret is None:
        _callback_gave_up(
            parsed.article_id,
            "callback_secret_missing",
            "NEWSFLOW_CALLBACK_SECRET is not set: callbacks are never sent unsigned",
        )
        return
    record_json = None
    if parsed.event == fetching.EVENT_PUBLISHED:
        with map_redis_errors("reading the record for the callback"):
            stored = state.redis_client().get(names.record_key(parsed.article_id))
        if stored is None:
            _callback_gave_up(
                parsed.article_id,
                "record_expired",
                "the record is no longer stored (NEWSFLOW_RECORD_TTL_SECONDS)",
            )
            return
        record_json = bytes(stored).decode("utf-8")  # type: ignore[arg-type]
    body = fetching.callback_body(parsed, record_json)
    secret = settings.callback_secret.get_secret_value().encode("utf-8")
    headers = fetching.signed_headers(secret, body, parsed, time.time())
    try:
        status = fetching.post_callback(
            state.http_client(),
            state.fetch_policy().guard,
            parsed.url,
            body,
            headers,
            settings.callback_timeout_seconds,
        )
    except PermanentError as exc:
        _callback_gave_up(parsed.article_id, exc.reason, exc.message)
        return
    _note_callback(parsed.article_id, "delivered")
    log.info(
        "callback_delivered",
        callback_event=parsed.event,
        status=status,
        attempts=self.request.retries + 1,
    )


def _parse(model: type[M], message: Any) -> M:
    try:
        return model.model_validate(message)
    except ValidationError as exc:
        raise MalformedEnvelope(
            f"the {model.__name__} message is invalid {validation_summary(exc)}: fix the producer"
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
    # The next stage keeps this message's priority: a backfill stays behind live traffic on
    # every queue (names.PRIORITY_BACKFILL), not only on the first one.
    request = current_task.request if current_task else None
    priority = (getattr(request, "delivery_info", None) or {}).get("priority")
    with map_redis_errors(f"sending {task_name}"):
        app.send_task(
            task_name, args=[payload], queue=names.TASK_QUEUES[task_name], priority=priority
        )


def _hand_on(caller: Task, task_name: str, payload: dict[str, Any]) -> None:
    """The next stage: run here when this worker consumes its queue (workers/handoff.py),
    else sent to it."""
    if not handoff.runs_here(task_name):
        _send(task_name, payload)
        return
    started = time.perf_counter()
    try:
        _run_here(task_name, payload)
    finally:  # the caller's stage duration leaves out the stage it ran inside itself
        metrics.exclude_nested(caller.request.id, time.perf_counter() - started)


def _run_here(task_name: str, payload: dict[str, Any]) -> None:
    task = app.tasks[task_name]
    task_id = uuid()
    # A pushed request is `called_directly`: Task.retry raises here instead of retrying.
    task.push_request(id=task_id, args=[payload], kwargs={}, retries=0)
    signal = {"sender": task, "task_id": task_id, "task": task, "args": (payload,), "kwargs": {}}
    outcome = "SUCCESS"
    with handoff.outer_log_context():
        task_prerun.send(**signal)
        try:
            task.run(payload)
        except TransientError as exc:  # retried from the stage's own queue, with backoff
            outcome = "RETRY"
            log.warning("stage_sent_to_queue", reason=exc.reason, error=exc.message)
            _send(task_name, payload)
        except Exception as exc:  # a bug: dead-lettered by that stage, as from its queue
            outcome = "FAILURE"
            task.on_failure(exc, task_id, (payload,), {}, None)
        finally:
            task_postrun.send(**signal, retval=None, state=outcome)
            task.pop_request()


@contextmanager
def _permanent_to_dead_letter(task: Task, message: dict[str, Any]) -> Iterator[None]:
    try:
        yield
    except PermanentError as exc:
        _dead_letter(task, message, exc.reason, exc.message)


def _dead_letter(task: Task, message: dict[str, Any], reason: str, error: str) -> None:
    record = message.get("record") if isinstance(message.get("record"), dict) else {}
    article_id = message.get("article_id") or (record or {}).get("article_id") or "unknown"
    # A batch task dead-letters each article as the single-article stage it was in.
    stage = names.BATCH_STAGES.get(task.name) or task.name.rsplit(".", 1)[-1]
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
    metrics.dead_lettered(task.request.id, stage, reason)
    log.warning("article_dead_lettered", reason=reason, error=error)
    url = fetching.callback_url_of(message)
    if url:
        try:
            _send_callback(
                CallbackMessage(
                    article_id=str(article_id),
                    url=url,
                    event=fetching.EVENT_FAILED,
                    stage=stage,
                    reason=reason,
                    error=error[:2000],
                )
            )
        except (ValidationError, TransientError) as exc:  # the failure itself is recorded
            log.error("callback_not_sent", error=str(exc))


def _send_callback(message: CallbackMessage) -> None:
    _note_callback(message.article_id, "pending")
    _send(names.TASK_CALLBACK, message.model_dump(mode="json"))


def _parse_callback(message: dict[str, Any]) -> CallbackMessage | None:
    try:
        return _parse(CallbackMessage, message)
    except MalformedEnvelope as exc:
        log.error("callback_failed", reason=exc.reason, error=exc.message)
        return None


def _note_callback(article_id: str, outcome: str, reason: str = "") -> None:
    with map_redis_errors("noting the callback state"):
        state.ledger().note_callback(article_id, outcome, reason)


def _callback_gave_up(article_id: str, reason: str, error: str) -> None:
    log.warning("callback_failed", reason=reason, error=error)
    try:
        _note_callback(article_id, "failed", reason)
    except TransientError as exc:  # Redis down: the log line above is the record
        log.error("callback_state_not_saved", error=str(exc))
