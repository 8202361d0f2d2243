"""Local hand-off: a worker that consumes the next stage's queue runs that stage itself.

    clean ─► extract ─► publish        one worker on all three queues: one queue trip per
    └──────── one task ──────┘         article instead of three

Sending the next stage through Redis costs, per hop: a JSON encode and an LPUSH, the main
process's BRPOP, decode and unacked bookkeeping, a pickle through the prefork pipe and an ack
(with task events off, about 7% of a combined worker's CPU for the two hops; `ops/bench`).
When this worker process consumes the next stage's queue anyway, `workers/tasks.py` runs the
stage here, right after the current one, on the very message dict it would have sent:

- At-least-once holds: the current message is acknowledged only when the whole chain has
  returned (acks_late), and every stage is idempotent on the article id.
- A stage that fails transiently is not retried here: it is sent to its own queue, so it
  retries with backoff from there and publish never redoes the NLP. A permanent failure or
  a bug is dead-lettered by that stage, with its stage name and input, as from the queue.
- The stage gets a task id of its own, its own log context and the task_prerun and
  task_postrun signals (per-stage logs and metrics count it), and keeps the message's
  priority lane (a send after a failure goes to the lane the article came in on).
- Only the CPU chain is handed off (extract, publish): fetch and callback are network IO and
  stay on their queues. Workers split by stage (compose) hand nothing off.

NEWSFLOW_LOCAL_HANDOFF=false sends every stage through Redis (each stage its own task, as
Flower shows them).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager

import structlog

from schemas import names
from schemas.settings import get_settings

QUEUES_ENV = "NEWSFLOW_WORKER_QUEUES"  # set by `newsflow worker` (workers/cli.py)
HANDED_OFF = frozenset({names.TASK_EXTRACT, names.TASK_PUBLISH})


def runs_here(task_name: str) -> bool:
    """True when this worker process runs `task_name` itself instead of sending it."""
    if task_name not in HANDED_OFF or not get_settings().local_handoff:
        return False
    queues = os.environ.get(QUEUES_ENV)
    return queues is not None and names.TASK_QUEUES[task_name] in queues.split(",")


@contextmanager
def outer_log_context() -> Iterator[None]:
    """Give the current task its log context back after a stage ran inside it."""
    outer = structlog.contextvars.get_contextvars()
    try:
        yield
    finally:
        structlog.contextvars.clear_contextvars()
        structlog.contextvars.bind_contextvars(**outer)
