"""The HTTP surface: submit (one or a batch), follow an article, liveness and readiness.

Every submission answers at once (202): it is queued, never processed in the request.
Checks run cheapest first: auth → media type → size → parse (400) → fields (422) →
back-pressure (429) → enqueue (503 if Redis fails).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime
from functools import partial
from typing import Annotated, Any, TypeVar

import anyio.to_thread
from fastapi import APIRouter, Depends, Path, Query, Request, Response
from pydantic import AfterValidator, BaseModel, ValidationError

from producers.enqueue import SubmitResult
from producers.webhook.auth import AuthPolicy, authenticate
from producers.webhook.body import as_utf8, parse_content_type, parse_json, read_body
from producers.webhook.errors import ApiError, documented, invalid_fields
from producers.webhook.health import ReadinessProbe
from producers.webhook.intake import Intake, RawMetadata
from producers.webhook.models import (
    ARTICLE_ID_PATTERN,
    HTTP_URL_PATTERN,
    MAX_URL_CHARS,
    Accepted,
    ArticleIn,
    ArticleStatus,
    BatchAccepted,
    Health,
    Readiness,
    check_http_url,
)
from producers.webhook.status import article_status

M = TypeVar("M", bound=BaseModel)
T = TypeVar("T")

# Threads that may block on Redis and Celery at once. More only add GIL contention: measured
# on 2 cores, 32 unbounded threads served half the requests/s of 8 (ops/bench_webhook.py).
BLOCKING_THREADS = 8

ARTICLE_PATH = "/v1/articles"
BATCH_PATH = "/v1/articles:batch"

_TEXT_BODY = {"schema": {"type": "string", "pattern": r"\S"}}
ARTICLE_BODY: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "content": {
            "application/json": {"schema": {"$ref": "#/components/schemas/ArticleIn"}},
            "text/plain": _TEXT_BODY,
            "text/html": _TEXT_BODY,
        },
    }
}
BATCH_BODY: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/BatchIn"}}},
    }
}

RAW_ONLY = "For a raw text/plain or text/html body only (with JSON: 422, put it in the JSON)."
HttpUrlParam = Annotated[
    str | None,
    Query(max_length=MAX_URL_CHARS, pattern=HTTP_URL_PATTERN, description=RAW_ONLY),
    AfterValidator(check_http_url),
]


def build_router(
    settings_max_body: int,
    policy: AuthPolicy,
    batch_model: type[BaseModel],
    intake: Intake,
    probe: ReadinessProbe,
    public_url: str | None,
) -> APIRouter:
    """The routes, closed over this app's services."""
    router = APIRouter()
    auth = [Depends(authenticate(policy, settings_max_body))]
    limiter = anyio.CapacityLimiter(BLOCKING_THREADS)

    async def blocking(call: Callable[..., T], *args: Any) -> T:
        return await anyio.to_thread.run_sync(partial(call, *args), limiter=limiter)

    def status_url(request: Request, article_id: str) -> str:
        base = (public_url or str(request.base_url)).rstrip("/")
        return f"{base}{ARTICLE_PATH}/{article_id}"

    def accepted(request: Request, result: SubmitResult) -> Accepted:
        return Accepted(
            id=result.article_id,
            status="duplicate" if result.status == "duplicate" else "queued",
            status_url=status_url(request, result.article_id),
        )

    def submission(path: str, model: type, body: dict[str, Any], summary: str, about: str) -> Any:
        """The route of a submission endpoint: 202 with `model`, the same auth and errors."""
        return router.post(
            path,
            status_code=202,
            response_model=model,
            dependencies=auth,
            responses=documented(400, 401, 403, 413, 415, 422, 429, 503),
            openapi_extra=body,
            summary=summary,
            description=about,
        )

    @submission(
        ARTICLE_PATH,
        Accepted,
        ARTICLE_BODY,
        "Submit one article",
        (
            "JSON (`text` | `html` | `url` plus metadata) or a raw `text/plain` / `text/html` "
            "body. For a raw body the metadata comes from the query string; for JSON it must be "
            "in the JSON. Answers 202 at once with the article id (SHA-256 of the submitted "
            "bytes; JSON is serialised canonically first) and a status URL. The same article "
            "again is a `duplicate`: not queued twice."
        ),
    )
    async def submit_article(
        request: Request,
        response: Response,
        title: Annotated[str | None, Query(max_length=1000, description=RAW_ONLY)] = None,
        published_at: Annotated[date | datetime | None, Query(description=RAW_ONLY)] = None,
        outlet: Annotated[str | None, Query(max_length=200, description=RAW_ONLY)] = None,
        callback_url: HttpUrlParam = None,
    ) -> Accepted:
        received_at = datetime.now(UTC)
        media = parse_content_type(request.headers.get("content-type"))
        body = await read_body(request, settings_max_body)
        if media.mime == "application/json":
            if any(v is not None for v in (title, published_at, outlet, callback_url)):
                raise ApiError(
                    422, "metadata in the query string is for raw bodies: put it in the JSON"
                )
            article = _validate(ArticleIn, parse_json(body, media.charset))
            prepared = intake.prepare_article(article, received_at)
        else:
            meta = RawMetadata(title, published_at, outlet, callback_url)
            raw = as_utf8(body, media.charset)
            prepared = intake.prepare_raw(raw, media.mime, meta, received_at)  # type: ignore[arg-type]
        (result,) = await blocking(intake.enqueue, [prepared])
        answer = accepted(request, result)
        response.headers["Location"] = answer.status_url
        return answer

    @submission(
        BATCH_PATH,
        BatchAccepted,
        BATCH_BODY,
        "Submit several articles",
        (
            '`{"articles": [...]}`, each item as for `POST /v1/articles` (JSON). Every item is '
            "checked before any is queued: one invalid item refuses the whole batch (422, "
            "located). If Redis fails midway (503), sending the batch again is safe: the "
            "articles already queued come back as duplicates."
        ),
    )
    async def submit_batch(request: Request) -> BatchAccepted:
        received_at = datetime.now(UTC)
        media = parse_content_type(request.headers.get("content-type"), ("application/json",))
        body = await read_body(request, settings_max_body)
        batch = _validate(batch_model, parse_json(body, media.charset))
        articles: list[ArticleIn] = batch.articles  # type: ignore[attr-defined]
        prepared = [intake.prepare_article(article, received_at) for article in articles]
        results = await blocking(intake.enqueue, prepared)
        answers = [accepted(request, result) for result in results]
        duplicates = sum(a.status == "duplicate" for a in answers)
        return BatchAccepted(
            articles=answers, queued=len(answers) - duplicates, duplicates=duplicates
        )

    @router.get(
        f"{ARTICLE_PATH}/{{article_id}}",
        response_model=ArticleStatus,
        dependencies=auth,
        responses=documented(401, 403, 404, 422, 503),
        summary="Follow an article",
        description=(
            "`queued`, `processing` (with the stage), `published` (with the record while it is "
            "kept) or `failed` (with the reason code and the error)."
        ),
    )
    async def get_article(
        article_id: Annotated[str, Path(pattern=ARTICLE_ID_PATTERN)],
    ) -> ArticleStatus:
        enqueuer = intake.enqueuer
        found = await blocking(article_status, enqueuer.redis, enqueuer.ledger, article_id)
        if found is None:
            raise ApiError(404, f"no article {article_id} (never submitted, or expired)")
        return found

    @router.get("/healthz", response_model=Health, summary="The process is alive")
    async def healthz() -> Health:
        return Health()

    @router.get(
        "/readyz",
        response_model=Readiness,
        responses=documented(503),
        summary="Redis answers and a worker is present",
    )
    async def readyz() -> Readiness:
        return await blocking(probe.check)

    return router


def _validate(model: type[M], data: Any) -> M:
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise invalid_fields(
            [{**error, "loc": ("body", *error["loc"])} for error in exc.errors()]
        ) from None
