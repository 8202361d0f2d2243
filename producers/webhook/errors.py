"""Every error answer in one JSON shape: `{"error": {status, code, message, details}}`.

400 malformed_body          the body does not parse (JSON, charset, Content-Length)
401 unauthenticated         auth is configured and the request carries none
403 forbidden               a wrong token, a bad signature, a timestamp out of the window
404 not_found               unknown route or article id
405 method_not_allowed
413 too_large               body over NEWSFLOW_WEBHOOK_MAX_BODY_BYTES (or an article over
                            NEWSFLOW_MAX_ARTICLE_BYTES)
415 unsupported_media_type  not application/json, text/plain or text/html
422 invalid_fields          parses, but fields are missing, extra or wrong
429 queue_full              the clean queue is over its high-water mark (Retry-After)
503 broker_unavailable      Redis is down or not answering
503 not_ready               (/readyz) Redis down or no worker answering
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from http import HTTPStatus
from typing import Any

import kombu.exceptions
import redis
import structlog
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from producers.webhook.models import ErrorBody, ErrorDetail, ErrorInfo
from schemas.errors import BrokerUnavailable

log = structlog.get_logger(__name__)

_CODES = {
    400: "malformed_body",
    401: "unauthenticated",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    413: "too_large",
    415: "unsupported_media_type",
    422: "invalid_fields",
    429: "queue_full",
    500: "internal_error",
    503: "broker_unavailable",
}


class ApiError(Exception):
    """An answer other than success, raised anywhere in a request and rendered in one shape."""

    def __init__(
        self,
        status: int,
        message: str,
        *,
        code: str | None = None,
        details: Sequence[ErrorDetail] = (),
        headers: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.code = code or _CODES.get(status, HTTPStatus(status).phrase.lower().replace(" ", "_"))
        self.message = message
        self.details = list(details)
        self.headers = dict(headers or {})


def error_response(exc: ApiError) -> JSONResponse:
    """The JSON answer for `exc`."""
    body = ErrorBody(
        error=ErrorInfo(status=exc.status, code=exc.code, message=exc.message, details=exc.details)
    )
    return JSONResponse(body.model_dump(mode="json"), status_code=exc.status, headers=exc.headers)


def validation_details(errors: Sequence[Any]) -> list[ErrorDetail]:
    """pydantic/FastAPI error dicts → our details (no echo of the input)."""
    return [
        ErrorDetail(
            loc=[part for part in error.get("loc", ()) if isinstance(part, (str, int))],
            msg=str(error.get("msg", "invalid")).removeprefix("Value error, "),
            type=str(error.get("type", "value_error")),
        )
        for error in errors
    ]


def invalid_fields(errors: Sequence[Any]) -> ApiError:
    """A 422 listing each invalid field."""
    details = validation_details(errors)
    first = details[0] if details else None
    where = ".".join(map(str, first.loc)) if first and first.loc else "request"
    message = (
        f"{len(details)} invalid field(s); first at {where}: {first.msg}"
        if first
        else "invalid fields"
    )
    return ApiError(422, message, details=details)


def broker_unavailable(detail: str) -> ApiError:
    """A 503 for Redis trouble, with a hint to retry."""
    return ApiError(
        503,
        f"Redis is unavailable ({detail}); retry later",
        code="broker_unavailable",
        headers={"Retry-After": "5"},
    )


def install_error_handlers(app: FastAPI) -> None:
    """Route every failure through `error_response`."""

    async def on_api_error(_: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, ApiError)
        return error_response(exc)

    async def on_validation(_: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, RequestValidationError)
        return error_response(invalid_fields(exc.errors()))

    async def on_http(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, StarletteHTTPException)
        headers = dict(exc.headers or {})
        message = exc.detail if isinstance(exc.detail, str) else HTTPStatus(exc.status_code).phrase
        if exc.status_code in (404, 405):  # Starlette's routing answers: say what was asked
            message = (
                f"{message}: {request.method} {request.url.path} is not part of this API "
                "(see /docs or /openapi.json)"
            )
        return error_response(ApiError(exc.status_code, message, headers=headers))

    async def on_broker(_: Request, exc: Exception) -> JSONResponse:
        log.warning("broker_unavailable", error=str(exc))
        return error_response(broker_unavailable(type(exc).__name__))

    async def on_unexpected(_: Request, exc: Exception) -> JSONResponse:
        log.exception("request_failed", error=str(exc))
        return error_response(ApiError(500, "internal error: see the server log"))

    app.add_exception_handler(ApiError, on_api_error)
    app.add_exception_handler(RequestValidationError, on_validation)
    app.add_exception_handler(StarletteHTTPException, on_http)
    for broker_error in (
        BrokerUnavailable,
        redis.ConnectionError,
        redis.TimeoutError,
        kombu.exceptions.OperationalError,
    ):
        app.add_exception_handler(broker_error, on_broker)
    app.add_exception_handler(Exception, on_unexpected)


def documented(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """`responses=` for a route: each listed status answers an ErrorBody."""
    return {
        status: {"model": ErrorBody, "description": f"{status} {_CODES.get(status, '')}"}
        for status in statuses
    }
