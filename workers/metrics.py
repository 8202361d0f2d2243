"""Prometheus metrics of a worker: per-stage counts and latencies, model load time.

Counted from Celery's signals (`workers/app.py`) in the prefork children, which write to
the multiprocess directory (`workers/metrics_dir.py`); the main process serves /metrics on
NEWSFLOW_METRICS_PORT, merging the children's files and reading queue depths from Redis.

Outcomes of one task run, per stage label (clean, extract, publish, fetch, callback):
    received ─┬─ processed      passed on (publish: the record is in every sink)
              ├─ dead_lettered  a permanent failure, sent to the dead-letter stream
              ├─ retried        a transient failure, tried again later
              └─ failed         an exception ended it (a bug, or retries spent): dead-lettered

Backfill batches (`clean_batch`, `extract_batch` tasks) count each of their articles under
`clean` or `extract`; only the duration histogram keeps the batch label (a batch's run is
several articles long).
"""

from __future__ import annotations

import os
import time

import structlog
from prometheus_client import (
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    multiprocess,
    start_http_server,
)

from schemas import names
from schemas.queue_metrics import QueueCollector, redis_for_metrics
from workers.metrics_dir import ENV as MULTIPROC_ENV

log = structlog.get_logger(__name__)

# From a few ms (clean, publish) to a minute (a slow fetch, a huge article through the model).
STAGE_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 120.0)

RECEIVED = Counter(
    "newsflow_articles_received",
    "Articles a stage started on (redeliveries and retries included; a batch counts each).",
    ["stage"],
)
PROCESSED = Counter(
    "newsflow_articles_processed", "Articles a stage finished and passed on.", ["stage"]
)
PUBLISHED = Counter("newsflow_articles_published", "Records written to every sink.")
FAILED = Counter(
    "newsflow_articles_failed",
    "Task runs ended by an exception (a bug, or retries spent); the article is dead-lettered.",
    ["stage"],
)
RETRIED = Counter(
    "newsflow_task_retries", "Transient failures scheduled for another try.", ["stage"]
)
DEAD_LETTERED = Counter(
    "newsflow_articles_dead_lettered",
    "Articles sent to the dead-letter stream, by stage and reason.",
    ["stage", "reason"],
)
STAGE_SECONDS = Histogram(
    "newsflow_stage_duration_seconds",
    "Wall time of one task run, per stage (every outcome).",
    ["stage"],
    buckets=STAGE_BUCKETS,
)
MODEL_LOAD_SECONDS = Gauge(
    "newsflow_model_load_seconds",
    "Seconds the spaCy model took to load, in the most recent live worker process.",
    ["model"],
    multiprocess_mode="livemostrecent",
)

# Task label of a batch task → the stage its articles count under.
BATCH_LABELS = {name.rsplit(".", 1)[-1]: stage for name, stage in names.BATCH_STAGES.items()}

_started: dict[str, float] = {}  # task id → start (one task at a time per prefork child)
_articles: dict[str, int] = {}  # task id → articles in its message (a batch: several)
_dead_lettered: set[str] = set()  # task ids whose run ended in the dead-letter stream


def task_started(task_id: str, label: str, articles: int = 1) -> None:
    """A task run begins (task_prerun); a batch task counts each of its articles."""
    _started[task_id] = time.perf_counter()
    _articles[task_id] = articles
    RECEIVED.labels(BATCH_LABELS.get(label, label)).inc(articles)


def task_finished(task_id: str, label: str, state: str | None) -> None:
    """A task run ended (task_postrun) in Celery state SUCCESS, RETRY or FAILURE."""
    started = _started.pop(task_id, None)
    if started is not None:
        STAGE_SECONDS.labels(label).observe(time.perf_counter() - started)
    articles = _articles.pop(task_id, 1)
    stage = BATCH_LABELS.get(label, label)
    dead = task_id in _dead_lettered
    _dead_lettered.discard(task_id)
    if state == "RETRY":
        RETRIED.labels(stage).inc(articles)
    elif state == "FAILURE":
        FAILED.labels(stage).inc(articles)
    elif state == "SUCCESS" and not dead and label not in BATCH_LABELS:
        PROCESSED.labels(stage).inc()
        if stage == "publish":
            PUBLISHED.inc()


def exclude_nested(task_id: str | None, seconds: float) -> None:
    """A stage ran inside this task run (local hand-off): its time is not this stage's."""
    if task_id in _started:
        _started[task_id] += seconds


def batch_passed(stage: str, articles: int) -> None:
    """A batch task passed `articles` on from `stage` (its own run counts none)."""
    PROCESSED.labels(stage).inc(articles)


def dead_lettered(task_id: str | None, stage: str, reason: str) -> None:
    """The article of this task run went to the dead-letter stream."""
    DEAD_LETTERED.labels(stage, reason).inc()
    if task_id:
        _dead_lettered.add(task_id)


def model_loaded(model: str, seconds: float) -> None:
    """The spaCy model is loaded in this process."""
    MODEL_LOAD_SECONDS.labels(model).set(seconds)


def process_exited(pid: int) -> None:
    """A prefork child ends: drop its live gauges (counters and histograms are kept)."""
    if os.environ.get(MULTIPROC_ENV):
        multiprocess.mark_process_dead(pid)


def start_server(port: int, redis_url: str) -> None:
    """Serve /metrics from this (the main) process: every child's metrics plus the queues."""
    registry = CollectorRegistry()
    multiprocess.MultiProcessCollector(registry)
    registry.register(QueueCollector(redis_for_metrics(redis_url)))
    start_http_server(port, registry=registry)
    log.info("metrics_serving", port=port, path="/metrics")
