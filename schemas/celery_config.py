"""Celery configuration as plain data, shared by the worker app and the producers' client app."""

from __future__ import annotations

from typing import Any

from schemas import names
from schemas.settings import Settings


def celery_config(settings: Settings) -> dict[str, Any]:
    """The broker and task policy every newsflow process agrees on."""
    return {
        "broker_url": str(settings.redis_url),
        "broker_connection_retry_on_startup": True,
        # Sending a task rides out a Redis restart (NEWSFLOW_REDIS_OUTAGE_SECONDS) instead of
        # failing the producer or the stage that sends the next task.
        "task_publish_retry": True,
        "task_publish_retry_policy": {
            "max_retries": int(settings.redis_outage_seconds) + 2,
            "interval_start": 0,
            "interval_step": 0.5,
            "interval_max": 1.0,
        },
        "broker_transport_options": {
            # acks_late: a task unacknowledged this long (its worker died) is redelivered.
            "visibility_timeout": settings.visibility_timeout_seconds,
            # Look for such messages every 10 s (kombu's default: every 100 s). Also what
            # brings back a message a worker had received when Redis restarted.
            "unacked_restore_throttle": 1,
            # kombu's defaults, fixed here because names.queue_keys and the backfill lane
            # (names.PRIORITY_BACKFILL) depend on them: lower steps are polled first.
            "priority_steps": list(names.PRIORITY_STEPS),
            "sep": names.PRIORITY_SEP,
        },
        # JSON only: a message never executes code when it is decoded.
        "task_serializer": "json",
        "result_serializer": "json",
        "accept_content": ["json"],
        "result_backend": None,
        "task_ignore_result": True,
        "task_acks_late": True,
        "task_reject_on_worker_lost": True,
        "worker_prefetch_multiplier": 1,
        # Checked after each task; the replacement loads the model again (about a second).
        "worker_max_memory_per_child": settings.worker_max_memory_mb * 1024 or None,
        "task_routes": {task: {"queue": queue} for task, queue in names.TASK_QUEUES.items()},
        "task_default_queue": names.QUEUE_CLEAN,
        "worker_hijack_root_logger": False,
        "worker_redirect_stdouts": False,
        # Task events cost a Redis PUBLISH each (3 per task in the worker, 1 per send):
        # measured at ~3% of a worker's CPU. Flower enables worker events itself when it runs.
        "worker_send_task_events": settings.task_events,
        "task_send_sent_event": settings.task_events,
        "enable_utc": True,
    }
