"""Names shared by producers and workers: tasks, queues, Redis keys and streams.

Producers reach workers only through these strings, never through imports.
"""

from __future__ import annotations

from typing import Final

PREFIX: Final = "newsflow"

# Celery task names (explicit, dotted) and the queue each one consumes.
TASK_CLEAN: Final = "newsflow.clean"
TASK_EXTRACT: Final = "newsflow.extract"
TASK_PUBLISH: Final = "newsflow.publish"
TASK_FETCH: Final = "newsflow.fetch"  # url submissions: download, then clean
TASK_CALLBACK: Final = "newsflow.callback"  # signed POST of the outcome to a callback_url
# Backfill only: several articles in one message, so the model parses them with nlp.pipe.
TASK_CLEAN_BATCH: Final = "newsflow.clean_batch"
TASK_EXTRACT_BATCH: Final = "newsflow.extract_batch"

QUEUE_CLEAN: Final = "clean"
QUEUE_EXTRACT: Final = "extract"
QUEUE_PUBLISH: Final = "publish"
# Network IO on queues of their own, so a slow site never holds a CPU-bound worker.
QUEUE_FETCH: Final = "fetch"
QUEUE_CALLBACK: Final = "callback"
ALL_QUEUES: Final = (QUEUE_CLEAN, QUEUE_EXTRACT, QUEUE_PUBLISH, QUEUE_FETCH, QUEUE_CALLBACK)

TASK_QUEUES: Final = {
    TASK_CLEAN: QUEUE_CLEAN,
    TASK_EXTRACT: QUEUE_EXTRACT,
    TASK_PUBLISH: QUEUE_PUBLISH,
    TASK_FETCH: QUEUE_FETCH,
    TASK_CALLBACK: QUEUE_CALLBACK,
    TASK_CLEAN_BATCH: QUEUE_CLEAN,
    TASK_EXTRACT_BATCH: QUEUE_EXTRACT,
}
# The single-article stage each batch task runs per article (its dead letters name this one).
BATCH_STAGES: Final = {TASK_CLEAN_BATCH: "clean", TASK_EXTRACT_BATCH: "extract"}

STAGES: Final = ("clean", "extract", "publish")

# Message priorities (kombu's Redis transport): each queue is one Redis list per step, and a
# worker polls every queue's step 0 before any step 3, 6 or 9 — lower is served first. Live
# input (webhook, watcher) takes the default, 0; backfill defaults to 9. Each task re-sends
# the next stage with the priority it came with, so a backfill stays behind live traffic on
# every queue, not only on `clean`.
PRIORITY_STEPS: Final = (0, 3, 6, 9)
PRIORITY_LIVE: Final = 0
PRIORITY_BACKFILL: Final = 9
PRIORITY_SEP: Final = "\x06\x16"  # kombu's default separator of a queue and its step
# kombu's Redis transport keeps each message a worker holds, unacknowledged, in this hash.
KOMBU_UNACKED_KEY: Final = "unacked"


def queue_keys(queue: str) -> list[str]:
    """The Redis lists holding one queue's messages, one per priority step (for its depth)."""
    return [queue if step == 0 else f"{queue}{PRIORITY_SEP}{step}" for step in PRIORITY_STEPS]


# Redis streams.
DEAD_LETTER_STREAM: Final = f"{PREFIX}:dead-letter"


def article_key(article_id: str) -> str:
    """Hash holding one article's status (the ledger entry)."""
    return f"{PREFIX}:article:{article_id}"


def run_key(run_id: str) -> str:
    """Hash of counters for one producer run (backfill, watcher session, …)."""
    return f"{PREFIX}:run:{run_id}"


def raw_body_key(article_id: str) -> str:
    """String holding a large raw body that travels by reference."""
    return f"{PREFIX}:raw:{article_id}"


TOTALS_KEY: Final = f"{PREFIX}:totals"


def record_key(article_id: str) -> str:
    """String holding a published record's JSON (read by the webhook's status endpoint)."""
    return f"{PREFIX}:record:{article_id}"


def delivered_key(article_id: str, run_id: str | None) -> str:
    """Set of the sinks (URL digests) that took an article in one run: a retry skips them."""
    return f"{PREFIX}:delivered:{article_id}:{run_id or 'none'}"


def stream_sent_key(stream: str, article_id: str, pipeline_version: str) -> str:
    """Marker that a redis-stream sink already XADDed this (article, pipeline version)."""
    return f"{PREFIX}:stream-sent:{stream}:{article_id}:{pipeline_version}"
