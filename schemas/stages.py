"""What one stage hands the next over the queue: raw → cleaned → record."""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from schemas.article import Source
from schemas.record import FieldOrigin, PublishedAtOrigin, Record, RemovedSpan


class CleanedArticle(BaseModel):
    """Output of the `clean` stage and message of the `extract` task."""

    model_config = ConfigDict(extra="forbid")

    article_id: str = Field(pattern=r"^[0-9a-f]{64}$")
    run_id: str | None = None
    source: Source
    sinks: list[str] | None = None
    title: str | None = None
    published_at: date | datetime | None = None
    published_at_origin: PublishedAtOrigin | None = None
    outlet: str | None = None
    dateline: str | None = None
    byline: str | None = None
    language: str | None = None
    text: str
    captions: list[str] = Field(default_factory=list)
    removed: list[RemovedSpan] = Field(default_factory=list)
    origins: dict[str, FieldOrigin] = Field(default_factory=dict)
    clean_ms: float = 0.0
    callback_url: str | None = Field(
        default=None, description="Where to POST the outcome once published (not in the record)."
    )


class PublishMessage(BaseModel):
    """Message of the `publish` task: the finished record and where it goes."""

    model_config = ConfigDict(extra="forbid")

    record: Record
    run_id: str | None = None
    sinks: list[str] | None = None
    callback_url: str | None = None


CallbackEvent = Literal["article.published", "article.failed"]


class CallbackMessage(BaseModel):
    """Message of the `callback` task: tell `url` what became of an article.

    A published article's record is read from its record key, so the message stays small.
    """

    model_config = ConfigDict(extra="forbid")

    article_id: str = Field(pattern=r"^[0-9a-f]{64}$")
    url: str
    event: CallbackEvent
    stage: str | None = None
    reason: str | None = None
    error: str | None = None
