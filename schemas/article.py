"""The queue message: one raw article and what the producer knows about it."""

from __future__ import annotations

import base64
import hashlib
from datetime import UTC, date, datetime
from enum import StrEnum
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

MESSAGE_VERSION = "1"

ArticleId = str  # 64 lowercase hex characters: SHA-256 of the raw bytes


def article_id_for(raw: bytes) -> ArticleId:
    """The article's identity: SHA-256 of its raw bytes, so the same file is the same article."""
    return hashlib.sha256(raw).hexdigest()


class SourceKind(StrEnum):
    """How an article entered the pipeline."""

    FILE = "file"
    WEBHOOK = "webhook"
    URL = "url"
    BACKFILL = "backfill"
    WATCH = "watch"


class Source(BaseModel):
    """Where an article came from."""

    model_config = ConfigDict(extra="forbid")

    kind: SourceKind
    path: str | None = None
    url: str | None = None
    outlet: str | None = None
    received_at: datetime = Field(default_factory=lambda: datetime.now(UTC))


class ArticleMetadata(BaseModel):
    """Facts the producer gives; they win over what the cleaner guesses from the text."""

    model_config = ConfigDict(extra="forbid")

    title: str | None = None
    published_at: date | datetime | None = None
    outlet: str | None = None
    url: str | None = None
    crawled_at: datetime | None = Field(
        default=None, description="When the page was fetched: the anchor for '2 days ago'."
    )
    callback_url: str | None = Field(
        default=None, description="Where to POST the record once published (webhook)."
    )


ContentType = Literal["text/plain", "text/html", "application/json"]


class RawArticle(BaseModel):
    """Message of the `clean` task: raw bytes (inline or by reference) plus metadata."""

    model_config = ConfigDict(extra="forbid")

    message_version: str = MESSAGE_VERSION
    article_id: ArticleId = Field(pattern=r"^[0-9a-f]{64}$")
    run_id: str | None = None
    source: Source
    metadata: ArticleMetadata = Field(default_factory=ArticleMetadata)
    content_type: ContentType | None = Field(
        default=None, description="A hint; the cleaner sniffs the bytes when absent."
    )
    size: int = Field(ge=0, description="Length of the raw body in bytes.")
    body_b64: str | None = Field(default=None, description="The raw body, base64, when small.")
    body_ref: str | None = Field(
        default=None, description="Redis key of the raw body when it is too large to inline."
    )
    sinks: list[str] | None = Field(
        default=None, description="Sink URLs for this article; the worker's default when null."
    )
    force: bool = False

    @model_validator(mode="after")
    def _one_body(self) -> RawArticle:
        if (self.body_b64 is None) == (self.body_ref is None):
            raise ValueError("a raw article carries exactly one of body_b64 and body_ref")
        return self

    @classmethod
    def inline(cls, raw: bytes, **fields: object) -> RawArticle:
        """Build a message that carries `raw` inside it."""
        return cls(
            article_id=article_id_for(raw),
            size=len(raw),
            body_b64=base64.b64encode(raw).decode("ascii"),
            **fields,  # type: ignore[arg-type]
        )

    def inline_body(self) -> bytes | None:
        """The raw bytes when they travel inside the message, else None."""
        return None if self.body_b64 is None else base64.b64decode(self.body_b64)


class ArticleEnvelope(BaseModel):
    """A JSON article from a producer: the body (`text`, `html` or `url`) plus metadata.

    Metadata given here wins over what the cleaner guesses from the body.
    """

    model_config = ConfigDict(extra="forbid", strict=False)

    text: str | None = None
    html: str | None = None
    url: str | None = None
    title: str | None = None
    published_at: date | datetime | None = None
    outlet: str | None = None
    crawled_at: datetime | None = Field(
        default=None, description="When the page was fetched: the anchor for '2 days ago'."
    )
    callback_url: str | None = Field(
        default=None, description="Where to POST the record once published."
    )

    @model_validator(mode="after")
    def _one_body(self) -> ArticleEnvelope:
        if sum(x is not None for x in (self.text, self.html, self.url)) != 1:
            raise ValueError("an article envelope carries exactly one of text, html and url")
        return self
