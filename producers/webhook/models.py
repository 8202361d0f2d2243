"""Request and response bodies of the webhook API (the OpenAPI document is built from these)."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, Field, create_model, field_validator, model_validator

from schemas.article import ArticleEnvelope

ARTICLE_ID_PATTERN = r"^[0-9a-f]{64}$"
MAX_URL_CHARS = 2048


def check_http_url(value: str | None) -> str | None:
    """Accept only absolute http(s) URLs with a host; the worker's SSRF guard does the rest."""
    if value is None:
        return None
    if len(value) > MAX_URL_CHARS:
        raise ValueError(f"the URL is longer than {MAX_URL_CHARS} characters")
    if any(ch.isspace() or ord(ch) < 32 for ch in value):
        raise ValueError("the URL contains whitespace or control characters")
    try:
        parts = urlsplit(value)
        host = parts.hostname
        parts.port  # noqa: B018 - raises ValueError on a bad port
    except ValueError as exc:
        raise ValueError(f"not a valid URL: {exc}") from exc
    if parts.scheme not in {"http", "https"} or not host:
        raise ValueError("must be an absolute http:// or https:// URL with a host")
    return value


HTTP_URL_PATTERN = r"^[hH][tT][tT][pP][sS]?://[^\s/?#]+"


def _document_checks(schema: dict[str, Any]) -> None:
    """Say in the JSON Schema what the validators check, so clients (and fuzzers) know."""
    properties = schema["properties"]
    for name in ("text", "html"):
        _string_option(properties[name])["pattern"] = r"\S"
    for name in ("url", "callback_url"):
        _string_option(properties[name]).update(format="uri", pattern=HTTP_URL_PATTERN)
    # Exactly one body field that is present and not null.
    schema["oneOf"] = [
        {"required": [name], "properties": {name: {"type": "string"}}}
        for name in ("text", "html", "url")
    ]
    schema["examples"] = [
        {
            "text": "SEOUL, May 2 (Reuters) - North Korea's leader met the visiting envoy ...",
            "title": "Kim meets envoy",
            "published_at": "2025-05-02",
            "outlet": "Reuters",
            "callback_url": "https://example.org/newsflow-callback",
        }
    ]


def _string_option(prop: dict[str, Any]) -> dict[str, Any]:
    """The `{"type": "string"}` branch of an optional string field's schema."""
    return next(o for o in prop.get("anyOf", [prop]) if o.get("type") == "string")


class ArticleIn(ArticleEnvelope):
    """One article: exactly one of `text`, `html` or `url`, plus optional metadata.

    The same fields as the queue's `ArticleEnvelope`, with the API's stricter checks.
    """

    model_config = ConfigDict(extra="forbid", json_schema_extra=_document_checks)

    text: str | None = Field(default=None, description="The article as plain text.")
    html: str | None = Field(default=None, description="The article page as HTML.")
    url: str | None = Field(
        default=None,
        max_length=MAX_URL_CHARS,
        description="An http(s) URL the worker fetches (timeouts, size cap, SSRF guard).",
    )
    title: str | None = Field(default=None, max_length=1000)
    outlet: str | None = Field(default=None, max_length=200)
    callback_url: str | None = Field(
        default=None,
        max_length=MAX_URL_CHARS,
        description="An http(s) URL that receives the record (signed POST) once published.",
    )

    @field_validator("url", "callback_url")
    @classmethod
    def _http_url(cls, value: str | None) -> str | None:
        return check_http_url(value)

    @model_validator(mode="after")
    def _body_not_blank(self) -> ArticleIn:
        for name in ("text", "html"):
            value = getattr(self, name)
            if value is not None and not value.strip():
                raise ValueError(f"{name} is blank: send the article's content")
        return self

    def envelope(self) -> ArticleEnvelope:
        """The queue contract's envelope carrying the same fields."""
        return ArticleEnvelope.model_validate(self.model_dump(exclude_none=True))


def batch_model(max_articles: int) -> type[BaseModel]:
    """`{"articles": [...]}` with at most `max_articles` items (a setting, so built per app)."""
    return create_model(
        "BatchIn",
        __config__=ConfigDict(extra="forbid"),
        __doc__="Several articles in one request; all are checked before any is queued.",
        articles=(list[ArticleIn], Field(min_length=1, max_length=max_articles)),
    )


class Accepted(BaseModel):
    """The article was taken in: where to follow it."""

    id: str = Field(pattern=ARTICLE_ID_PATTERN, description="SHA-256 of the submitted bytes.")
    status: Literal["queued", "duplicate"] = Field(
        description="`duplicate`: the same article was already submitted and is not queued again."
    )
    status_url: str


class BatchAccepted(BaseModel):
    """One entry per submitted article, in request order."""

    articles: list[Accepted]
    queued: int
    duplicates: int


class ArticleStatus(BaseModel):
    """Where an article is in the pipeline, and its record once published."""

    id: str = Field(pattern=ARTICLE_ID_PATTERN)
    status: Literal["queued", "processing", "published", "failed"]
    stage: str | None = Field(default=None, description="clean, extract, publish, …")
    reason: str | None = Field(default=None, description="Stable code when failed (`empty`, …).")
    error: str | None = Field(default=None, description="What went wrong, when failed.")
    updated_at: datetime | None = None
    record: dict[str, Any] | None = Field(
        default=None,
        description="The published record (schemas/json/record.schema.json) while it is kept.",
    )


class Health(BaseModel):
    """The process is alive."""

    status: Literal["ok"] = "ok"


class Readiness(BaseModel):
    """Redis answers and at least one worker answered a ping."""

    status: Literal["ready"] = "ready"
    worker: str = Field(description="The first worker that answered the ping.")
    queue_depth: int = Field(description="Articles waiting on the intake queues.")


class ErrorDetail(BaseModel):
    """One problem, located in the request."""

    loc: list[str | int] = Field(default_factory=list)
    msg: str
    type: str


class ErrorInfo(BaseModel):
    """What was wrong and what to do."""

    status: int
    code: str = Field(description="Stable snake_case code, e.g. `too_large`, `queue_full`.")
    message: str
    details: list[ErrorDetail] = Field(default_factory=list)


class ErrorBody(BaseModel):
    """Every 4xx and 5xx answer has this one shape."""

    error: ErrorInfo
