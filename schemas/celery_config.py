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
        "broker_transport_options": {
            # acks_late: a task unacknowledged this long (its worker died) is redelivered.
            "visibility_timeout": settings.visibility_timeout_seconds,
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
        "task_routes": {task: {"queue": queue} for task, queue in names.TASK_QUEUES.items()},
        "task_default_queue": names.QUEUE_CLEAN,
        "worker_hijack_root_logger": False,
        "worker_redirect_stdouts": False,
        "worker_send_task_events": True,
        "task_send_sent_event": True,
        "enable_utc": True,
    }
