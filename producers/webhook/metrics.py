"""Prometheus metrics of the webhook: articles by outcome, requests, latency, queue depths.

One registry per app (no process-wide state, so tests can build several apps), served at
`GET /metrics` next to /healthz. The queue gauges are read from Redis at scrape time by the
same collector the workers serve (`schemas/queue_metrics.py`).
"""

from __future__ import annotations

import time

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Histogram,
    ProcessCollector,
    generate_latest,
)
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from producers.enqueue import SubmitResult
from schemas.queue_metrics import QueueCollector, redis_for_metrics

METRICS_PATH = "/metrics"
# An article goes through auth, parsing and a few Redis round trips: milliseconds, unless
# Redis is slow or the body is large.
REQUEST_BUCKETS = (0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
# A submit that "failed" was refused by the enqueue checks: it is in the dead-letter stream.
_OUTCOMES = {"queued": "queued", "duplicate": "duplicate", "failed": "dead_lettered"}


class WebhookMetrics:
    """The webhook's registry and the metrics its routes and middleware update."""

    def __init__(self, redis_url: str) -> None:
        self.registry = CollectorRegistry()
        ProcessCollector(registry=self.registry)
        self.registry.register(QueueCollector(redis_for_metrics(redis_url)))
        self.articles = Counter(
            "newsflow_webhook_articles",
            "Articles submitted to the webhook by outcome: queued, duplicate, or dead_lettered "
            "(refused by the enqueue checks).",
            ["outcome"],
            registry=self.registry,
        )
        self.requests = Counter(
            "newsflow_webhook_requests",
            "HTTP requests by method, route template and status code.",
            ["method", "route", "status"],
            registry=self.registry,
        )
        self.latency = Histogram(
            "newsflow_webhook_request_duration_seconds",
            "Time to answer one HTTP request, by method and route template.",
            ["method", "route"],
            buckets=REQUEST_BUCKETS,
            registry=self.registry,
        )

    def submitted(self, result: SubmitResult) -> None:
        """Count one article that went through `Enqueuer.submit`."""
        self.articles.labels(_OUTCOMES.get(result.status, result.status)).inc()

    content_type = CONTENT_TYPE_LATEST

    def exposition(self) -> bytes:
        """The text format of every metric, Redis read now."""
        return generate_latest(self.registry)


class RequestMetrics:
    """ASGI middleware: count and time every HTTP request by its route template."""

    def __init__(self, app: ASGIApp, metrics: WebhookMetrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Pass the request on; note its status and duration when it is answered."""
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500  # what the client sees if the app raises before answering

        async def noting_status(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
            await send(message)

        try:
            await self.app(scope, receive, noting_status)
        finally:
            # FastAPI puts the matched route in the scope; its template bounds the label set.
            route = getattr(scope.get("route"), "path", "unmatched")
            method = str(scope.get("method", ""))
            self.metrics.requests.labels(method, route, str(status)).inc()
            self.metrics.latency.labels(method, route).observe(time.perf_counter() - started)
