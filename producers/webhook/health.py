"""Readiness: Redis answers a PING and at least one Celery worker answers a control ping.

The worker ping goes through Celery's broadcast mailbox and returns at the first reply
(`limit=1`); with no worker it waits the full second. The answer is cached for a few seconds
so probes and load balancers cannot turn readiness into load.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass

import kombu.exceptions
import redis
import structlog

from producers.enqueue import Enqueuer
from producers.webhook.errors import ApiError
from producers.webhook.intake import Intake
from producers.webhook.models import Readiness
from schemas.errors import BrokerUnavailable

log = structlog.get_logger(__name__)

WORKER_PING_TIMEOUT_SECONDS = 1.0
_BROKER_ERRORS = (redis.RedisError, OSError, BrokerUnavailable, kombu.exceptions.OperationalError)


@dataclass(frozen=True)
class _Checked:
    at: float
    result: Readiness | ApiError


class ReadinessProbe:
    """Checks readiness at most once per `cache_seconds` (thread-safe)."""

    def __init__(self, enqueuer: Enqueuer, intake: Intake, cache_seconds: float) -> None:
        self._enqueuer = enqueuer
        self._intake = intake
        self._cache_seconds = cache_seconds
        self._lock = threading.Lock()
        self._last: _Checked | None = None

    def check(self) -> Readiness:
        """Readiness, or raise the 503 that says what is missing."""
        with self._lock:
            last = self._last
            if last is None or time.monotonic() - last.at >= self._cache_seconds:
                last = self._last = _Checked(time.monotonic(), self._probe())
        if isinstance(last.result, ApiError):
            raise last.result
        return last.result

    def _probe(self) -> Readiness | ApiError:
        try:
            self._enqueuer.redis.ping()
            depth = self._intake.queue_depth()
            replies = self._enqueuer.celery.control.inspect(
                timeout=WORKER_PING_TIMEOUT_SECONDS, limit=1
            ).ping()
        except _BROKER_ERRORS as exc:
            log.warning("not_ready", cause="redis", error=str(exc))
            return ApiError(503, f"Redis does not answer: {exc}", code="not_ready")
        if not replies:
            log.warning("not_ready", cause="no_worker")
            return ApiError(
                503,
                f"no worker answered a ping within {WORKER_PING_TIMEOUT_SECONDS:g}s: "
                "start one with `newsflow worker`",
                code="not_ready",
            )
        return Readiness(worker=next(iter(replies)), queue_depth=depth)
