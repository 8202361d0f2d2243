"""Backfill batches: several articles per message, so the model parses them with `nlp.pipe`.

    backfill ─► clean_batch ─► extract_batch ─► publish, publish, …  (one message per article)
                (k articles)   (nlp.pipe over k)

One `nlp(text)` per task costs 14–21% more of the model's CPU than `nlp.pipe` over a batch
(the parser and NER score a batch's documents together); backfill has no latency to lose, so
`newsflow backfill` groups its articles (NEWSFLOW_BACKFILL_BATCH_SIZE, `--batch`). Live input
(webhook, watcher, url fetches) stays one article per message.

Every article of a batch is still an article of its own:
- claimed on its own by the producer, started and finished on its own in the ledger;
- a permanent failure or a bug dead-letters that article alone, as the single-article stage
  it was in (`clean` or `extract`) with its single-article message, so `dlq replay` sends it
  through the ordinary tasks; the rest of the batch goes on;
- published by its own `publish` message (run here by local hand-off, or queued).
A transient failure retries the whole batch with backoff; every stage is idempotent on the
article id, so articles redone by the retry are not published twice. Retries spent, or a bug
outside any one article: every article of the batch is dead-lettered.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import Any, TypeVar

import structlog
from celery import Task
from spacy.tokens import Doc

from schemas import names
from schemas.errors import MalformedEnvelope, PermanentError, TransientError
from schemas.stages import CleanedArticle
from workers import handoff, metrics, pipeline, state
from workers.nlp import LoadedModel
from workers.tasks import (
    PipelineTask,
    _dead_letter,
    _hand_on,
    _parse,
    _permanent_to_dead_letter,
    clean_article,
    pass_record_on,
    pipeline_task,
)

log = structlog.get_logger(__name__)

T = TypeVar("T")


class BatchTask(PipelineTask):
    """Whatever ends a batch task without success dead-letters each of its articles."""

    def failed(self, message: dict[str, Any], exc: BaseException) -> None:
        for item in _items(message, strict=False):
            structlog.contextvars.bind_contextvars(article_id=item.get("article_id"))
            super().failed(item, exc)


@pipeline_task(names.TASK_CLEAN_BATCH, base=BatchTask)
def clean_batch(self: Task, message: dict[str, Any]) -> None:
    """Stage 1 for a backfill batch: each article cleaned on its own, then extracted together."""
    with _permanent_to_dead_letter(self, message):
        items = _items(message)
        cleaned = [
            c for c in (_each(self, item, partial(clean_article, item)) for item in items) if c
        ]
        metrics.batch_passed("clean", len(cleaned))
        log.info("batch_cleaned", articles=len(items), passed=len(cleaned))
        if cleaned:
            payload = {"articles": [c.model_dump(mode="json") for c in cleaned]}
            _hand_on(self, names.TASK_EXTRACT_BATCH, payload)


@pipeline_task(names.TASK_EXTRACT_BATCH, base=BatchTask)
def extract_batch(self: Task, message: dict[str, Any]) -> None:
    """Stage 2 for a backfill batch: one `nlp.pipe` over the batch, a publish per article."""
    with _permanent_to_dead_letter(self, message):
        items = _items(message)
        pairs = [(item, _each(self, item, partial(_parse, CleanedArticle, item))) for item in items]
        good = [(item, cleaned) for item, cleaned in pairs if cleaned is not None]
        if not good:
            return
        batch = [cleaned for _, cleaned in good]
        model = state.model()
        docs: list[Doc | None]
        try:
            parsed, seconds = pipeline.parse_batch(batch, model)
            docs, shares = list(parsed), pipeline.parse_share(batch, seconds)
        except Exception as exc:  # one text broke the batch: each parsed alone, so only it fails
            log.warning("batch_parse_failed", articles=len(batch), error=str(exc))
            docs, shares = [None] * len(batch), [0.0] * len(batch)
        passed = 0
        for (item, cleaned), doc, share in zip(good, docs, shares, strict=True):
            work = partial(_extract_one, self, cleaned, model, doc, share)
            passed += _each(self, item, work) is not None
        metrics.batch_passed("extract", passed)
        log.info("batch_extracted", articles=len(items), passed=passed)


def _items(message: dict[str, Any], *, strict: bool = True) -> list[dict[str, Any]]:
    """The single-article messages of a batch message."""
    articles = message.get("articles")
    if isinstance(articles, list) and articles and all(isinstance(a, dict) for a in articles):
        return articles
    if not strict:
        return [message]
    raise MalformedEnvelope(
        'a batch message must be {"articles": [message, ...]} with at least one article: '
        "fix the producer"
    )


def _each(task: Task, item: dict[str, Any], work: Callable[[], T]) -> T | None:
    """One article's share of a batch, under its own log context: a permanent failure or a
    bug dead-letters that article only. A transient failure retries the whole batch."""
    with handoff.outer_log_context():
        stage = names.BATCH_STAGES[task.name]
        structlog.contextvars.bind_contextvars(article_id=item.get("article_id"), stage=stage)
        try:
            return work()
        except TransientError:
            raise
        except PermanentError as exc:
            _dead_letter(task, item, exc.reason, exc.message)
        except Exception as exc:  # a bug: this article is dead-lettered, the batch goes on
            log.exception("batch_article_failed")
            _dead_letter(task, item, "unexpected_error", f"{type(exc).__name__}: {exc}")
    return None


def _extract_one(
    task: Task, cleaned: CleanedArticle, model: LoadedModel, doc: Doc | None, share: float
) -> bool:
    if doc is None:
        record = pipeline.extract_stage(cleaned, model)
    else:
        record = pipeline.record_from_doc(cleaned, model, doc, parse_seconds=share)
    pass_record_on(task, cleaned, record)
    return True
