"""The app factory: settings in, a FastAPI app with its services, routes and errors out."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from importlib.metadata import PackageNotFoundError, version
from typing import Any

import structlog
from fastapi import FastAPI, Response
from fastapi.openapi.utils import get_openapi
from pydantic import BaseModel
from pydantic.json_schema import models_json_schema

from producers.enqueue import Enqueuer, new_run_id
from producers.webhook.auth import AuthPolicy
from producers.webhook.errors import install_error_handlers
from producers.webhook.health import ReadinessProbe
from producers.webhook.intake import Intake
from producers.webhook.metrics import METRICS_PATH, RequestMetrics, WebhookMetrics
from producers.webhook.models import ArticleIn, batch_model
from producers.webhook.routes import build_router
from schemas.settings import Settings, get_settings

log = structlog.get_logger(__name__)

try:
    VERSION = version("newsflow")
except PackageNotFoundError:  # a source tree that was not installed
    VERSION = "0+unknown"

DESCRIPTION = """\
Submit news articles to the newsflow pipeline. Every submission is queued and answered at
once (202) with the article id and a status URL; follow it with `GET /v1/articles/{id}`.
Errors always have the shape `{"error": {"status", "code", "message", "details"}}`.
"""


class UnsafeConfiguration(ValueError):
    """The settings would expose an open API where that is not allowed."""


def create_app(settings: Settings | None = None) -> FastAPI:
    """A webhook app for `settings` (the process settings when None)."""
    settings = settings or get_settings()
    policy = AuthPolicy.from_settings(settings)
    if settings.env == "production" and not policy.enabled:
        raise UnsafeConfiguration(
            "NEWSFLOW_ENV=production and the webhook has no credentials: set "
            "NEWSFLOW_WEBHOOK_TOKENS and/or NEWSFLOW_WEBHOOK_HMAC_SECRET"
        )
    enqueuer = Enqueuer(settings, new_run_id("webhook"))
    # Build the lazy clients now: requests use them from several threads at once.
    _ = enqueuer.redis, enqueuer.ledger, enqueuer.celery
    metrics = WebhookMetrics(str(settings.redis_url))
    intake = Intake(settings, enqueuer, metrics)
    probe = ReadinessProbe(enqueuer, intake, settings.webhook_ready_cache_seconds)
    batch = batch_model(settings.webhook_max_batch)

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        log.info("webhook_started", run_id=enqueuer.run_id, auth=policy.enabled)
        yield
        enqueuer.celery.close()
        enqueuer.redis.close()
        log.info("webhook_stopped", run_id=enqueuer.run_id)

    app = FastAPI(
        title="newsflow webhook",
        version=VERSION,
        description=DESCRIPTION,
        lifespan=lifespan,
    )
    install_error_handlers(app)
    app.add_middleware(RequestMetrics, metrics=metrics)
    app.include_router(
        build_router(
            settings.webhook_max_body_bytes,
            policy,
            batch,
            intake,
            probe,
            settings.webhook_public_url,
        )
    )

    @app.get(METRICS_PATH, include_in_schema=False)
    def prometheus_metrics() -> Response:  # sync: the threadpool reads Redis, not the loop
        return Response(metrics.exposition(), media_type=metrics.content_type)

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            app.openapi_schema = _openapi_document(app, policy, [ArticleIn, batch])
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
    return app


def _openapi_document(
    app: FastAPI, policy: AuthPolicy, bodies: list[type[BaseModel]]
) -> dict[str, Any]:
    """FastAPI's document plus the request bodies the routes parse themselves, and auth."""
    document = get_openapi(
        title=app.title, version=app.version, description=app.description, routes=app.routes
    )
    components = document.setdefault("components", {})
    _, defs = models_json_schema(
        [(model, "validation") for model in bodies], ref_template="#/components/schemas/{model}"
    )
    components.setdefault("schemas", {}).update(defs.get("$defs", {}))
    if policy.enabled:
        schemes: dict[str, Any] = {}
        if policy.tokens:
            schemes["bearer"] = {"type": "http", "scheme": "bearer"}
        if policy.secret is not None:
            schemes["signature"] = {
                "type": "apiKey",
                "in": "header",
                "name": policy.signature_header,
                "description": (
                    "sha256=hex(HMAC-SHA256(secret, '<timestamp>.' + body)), with the Unix time "
                    f"in {policy.timestamp_header}"
                ),
            }
        components["securitySchemes"] = schemes
        for path, operations in document["paths"].items():
            if path.startswith("/v1/"):
                for operation in operations.values():
                    operation["security"] = [{name: []} for name in schemes]
    return document
