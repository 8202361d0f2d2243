"""The Celery app and the per-process hooks (logging, model preload, log context, sink flush)."""

from __future__ import annotations

import os
from typing import Any

import structlog
from celery import Celery
from celery.signals import (
    setup_logging,
    task_postrun,
    task_prerun,
    worker_process_init,
    worker_process_shutdown,
)

from schemas import names
from schemas.celery_config import celery_config
from schemas.logging import configure_logging
from schemas.settings import get_settings
from workers import metrics, state

log = structlog.get_logger(__name__)

QUEUES_ENV = "NEWSFLOW_WORKER_QUEUES"  # set by `newsflow worker`, read by the preload hook


def create_app() -> Celery:
    """A Celery app configured from settings, with our tasks registered."""
    celery = Celery("newsflow", set_as_current=False)
    celery.conf.update(celery_config(get_settings()))
    celery.conf.imports = ("workers.tasks", "workers.batch_tasks")
    return celery


app = create_app()


@setup_logging.connect
def _setup_logging(**_: Any) -> None:
    # Connecting here stops Celery from installing its own handlers.
    settings = get_settings()
    configure_logging(settings.log_level, settings.log_format)


@worker_process_init.connect
def _preload(**_: Any) -> None:
    settings = get_settings()
    configure_logging(settings.log_level, settings.log_format)
    queues = os.environ.get(QUEUES_ENV, ",".join(names.ALL_QUEUES)).split(",")
    if names.QUEUE_EXTRACT in queues:
        # Load before the first task, once per child process: not per task, not in the parent.
        loaded = state.model()
        metrics.model_loaded(loaded.label, loaded.load_seconds)
    from workers.warmup import warm_up  # imports the stage code: not in the parent

    warm_up(queues)


@worker_process_shutdown.connect
def _flush(**_: Any) -> None:
    state.close_sinks()
    metrics.process_exited(os.getpid())


@task_prerun.connect
def _bind_context(task_id: str, task: Any, args: tuple[Any, ...], **_: Any) -> None:
    message = args[0] if args and isinstance(args[0], dict) else {}
    article_id = message.get("article_id") or message.get("record", {}).get("article_id")
    structlog.contextvars.clear_contextvars()
    structlog.contextvars.bind_contextvars(
        article_id=article_id,
        task_id=task_id,
        stage=task.name.rsplit(".", 1)[-1],
    )
    articles = message.get("articles")
    metrics.task_started(
        task_id, task.name.rsplit(".", 1)[-1], len(articles) if isinstance(articles, list) else 1
    )


@task_postrun.connect
def _clear_context(task_id: str, task: Any, **kwargs: Any) -> None:
    # kwargs["state"]: SUCCESS, RETRY or FAILURE (Celery's name clashes with workers.state).
    metrics.task_finished(task_id, task.name.rsplit(".", 1)[-1], kwargs.get("state"))
    structlog.contextvars.clear_contextvars()
