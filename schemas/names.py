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

QUEUE_CLEAN: Final = "clean"
QUEUE_EXTRACT: Final = "extract"
QUEUE_PUBLISH: Final = "publish"
ALL_QUEUES: Final = (QUEUE_CLEAN, QUEUE_EXTRACT, QUEUE_PUBLISH)

TASK_QUEUES: Final = {
    TASK_CLEAN: QUEUE_CLEAN,
    TASK_EXTRACT: QUEUE_EXTRACT,
    TASK_PUBLISH: QUEUE_PUBLISH,
}

STAGES: Final = ("clean", "extract", "publish")

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
