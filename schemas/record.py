"""The output record: one per article, the contract every sink and consumer relies on."""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from schemas.article import Source

SCHEMA_VERSION = "1.0"

PublishedAtOrigin = Literal["metadata", "text", "relative"]
# Where a metadata field's value came from: the producer, the article, or a relative age.
FieldOrigin = Literal["metadata", "text", "relative"]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Span(_Model):
    """A piece of text and its character offsets (end exclusive)."""

    text: str
    start: int = Field(ge=0)
    end: int = Field(ge=0)


class RemovedSpan(Span):
    """A span the cleaner cut, with why; offsets index the decoded raw text."""

    kind: str


class Entity(_Model):
    """A canonical entity of the main story."""

    id: str
    name: str
    type: Literal["PERSON", "ORG", "GPE", "LOC", "NORP", "FAC", "EVENT"]
    country: str | None = Field(default=None, pattern=r"^[A-Z]{3}$")
    wikidata: str | None = Field(default=None, pattern=r"^Q[0-9]+$")
    roles: list[str] = Field(default_factory=list)
    aliases: list[str] = Field(default_factory=list)
    mentions: list[Span] = Field(default_factory=list)
    salience: float = Field(default=0.0, ge=0.0, le=1.0)


class EventActor(_Model):
    """The source or target of an event, resolved to an entity."""

    entity_id: str | None
    name: str
    country: str | None = Field(default=None, pattern=r"^[A-Z]{3}$")


class EventDate(_Model):
    """When an event happened; `value` is null when the text gives no anchor."""

    value: str | None = None
    precision: Literal["day", "month", "year"] | None = None
    text: str | None = None


class EventLocation(_Model):
    """Where an event happened."""

    entity_id: str | None
    name: str


class Modality(_Model):
    """How the text asserts the event."""

    negated: bool = False
    future: bool = False
    hypothetical: bool = False
    alleged: bool = False
    reported_by: str | None = None


class Event(_Model):
    """Who did what to whom, when and where, with the evidence."""

    id: str
    type: str
    mode: str | None = None
    context: list[str] = Field(default_factory=list)
    cameo: str | None = None
    trigger: Span
    source: EventActor | None = None
    target: EventActor | None = None
    date: EventDate = Field(default_factory=EventDate)
    location: EventLocation | None = None
    modality: Modality = Field(default_factory=Modality)
    evidence: Span
    confidence: float = Field(ge=0.0, le=1.0)
    fingerprint: str | None = Field(
        default=None,
        description="Type, sides and date hashed: equal across articles telling this event.",
    )


class Timings(_Model):
    """Milliseconds spent in each stage."""

    clean: float = 0.0
    extract: float = 0.0
    publish: float = 0.0


class PipelineInfo(_Model):
    """What produced the record, so a model upgrade can be told apart and replayed."""

    version: str
    model: str | None = None
    kb: str | None = Field(default=None, description="Version of the curated knowledge base.")
    timings_ms: Timings = Field(default_factory=Timings)


class Record(_Model):
    """One structured record per article."""

    schema_version: str = SCHEMA_VERSION
    article_id: str = Field(pattern=r"^[0-9a-f]{64}$")
    source: Source
    title: str | None = None
    published_at: date | datetime | None = None
    published_at_origin: PublishedAtOrigin | None = None
    dateline: str | None = None
    byline: str | None = None
    language: str | None = None
    text: str
    captions: list[str] = Field(default_factory=list)
    removed: list[RemovedSpan] = Field(default_factory=list)
    origins: dict[str, FieldOrigin] = Field(
        default_factory=dict,
        description="Origin of title, published_at, outlet, dateline and byline when set.",
    )
    entities: list[Entity] = Field(default_factory=list)
    events: list[Event] = Field(default_factory=list)
    pipeline: PipelineInfo
