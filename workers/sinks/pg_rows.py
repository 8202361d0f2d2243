"""A record as rows of the PostgreSQL tables (pure: no connection, unit-tested on its own).

Column order matches the INSERT statements in `workers.sinks.postgres` and the tables created
by `workers/sinks/migrations/0001_init.sql`.
"""

from __future__ import annotations

import calendar
from datetime import UTC, date, datetime
from typing import Any

from psycopg.types.json import Jsonb

from schemas.record import Event, Record

ARTICLE_COLUMNS = (
    "article_id",
    "pipeline_version",
    "schema_version",
    "title",
    "outlet",
    "url",
    "source_kind",
    "source_path",
    "published_at",
    "published_date",
    "published_at_origin",
    "language",
    "dateline",
    "byline",
    "model",
    "kb_version",
    "entity_count",
    "event_count",
    "record",
)
ENTITY_COLUMNS = (
    "article_id",
    "pipeline_version",
    "position",
    "entity_id",
    "name",
    "type",
    "country",
    "wikidata",
    "salience",
    "mention_count",
    "roles",
    "aliases",
)
EVENT_COLUMNS = (
    "article_id",
    "pipeline_version",
    "position",
    "event_id",
    "fingerprint",
    "type",
    "mode",
    "cameo",
    "trigger",
    "source_entity_id",
    "source_name",
    "source_country",
    "target_entity_id",
    "target_name",
    "target_country",
    "location_entity_id",
    "location_name",
    "date_value",
    "date_precision",
    "date_start",
    "date_end",
    "date_text",
    "negated",
    "future",
    "hypothetical",
    "alleged",
    "reported_by",
    "confidence",
    "evidence",
)


def period(value: str | None) -> tuple[date | None, date | None]:
    """First and last day of `2024-05-01`, `2024-05` or `2024`; (None, None) when unparsable."""
    if not value:
        return None, None
    try:
        parts = [int(p) for p in value.split("-")]
        if len(parts) == 3:
            day = date(*parts)
            return day, day
        if len(parts) == 2:
            year, month = parts
            return date(year, month, 1), date(year, month, calendar.monthrange(year, month)[1])
        if len(parts) == 1:
            return date(parts[0], 1, 1), date(parts[0], 12, 31)
    except ValueError:
        pass
    return None, None


def published(record: Record) -> tuple[datetime | None, date | None]:
    """(timestamp, date) of publication: a date alone gives no timestamp; naive times are UTC."""
    value = record.published_at
    if isinstance(value, datetime):
        stamp = value if value.tzinfo is not None else value.replace(tzinfo=UTC)
        return stamp, stamp.astimezone(UTC).date()
    if isinstance(value, date):
        return None, value
    return None, None


def article_row(record: Record) -> tuple[Any, ...]:
    """The `articles` row of a record (the full record as JSONB last)."""
    published_at, published_date = published(record)
    return (
        record.article_id,
        record.pipeline.version,
        record.schema_version,
        record.title,
        record.source.outlet,
        record.source.url,
        str(record.source.kind.value),
        record.source.path,
        published_at,
        published_date,
        record.published_at_origin,
        record.language,
        record.dateline,
        record.byline,
        record.pipeline.model,
        record.pipeline.kb,
        len(record.entities),
        len(record.events),
        Jsonb(record.model_dump(mode="json")),
    )


def entity_rows(record: Record) -> list[tuple[Any, ...]]:
    """One `entities` row per entity, in record order."""
    key = (record.article_id, record.pipeline.version)
    return [
        (
            *key,
            position,
            e.id,
            e.name,
            e.type,
            e.country,
            e.wikidata,
            e.salience,
            len(e.mentions),
            e.roles,
            e.aliases,
        )
        for position, e in enumerate(record.entities)
    ]


def event_rows(record: Record) -> list[tuple[Any, ...]]:
    """One `events` row per event, in record order."""
    key = (record.article_id, record.pipeline.version)
    return [(*key, position, *_event_fields(e)) for position, e in enumerate(record.events)]


def _event_fields(e: Event) -> tuple[Any, ...]:
    start, end = period(e.date.value)
    source, target, where = e.source, e.target, e.location
    return (
        e.id,
        e.fingerprint,
        e.type,
        e.mode,
        e.cameo,
        e.trigger.text,
        source.entity_id if source else None,
        source.name if source else None,
        source.country if source else None,
        target.entity_id if target else None,
        target.name if target else None,
        target.country if target else None,
        where.entity_id if where else None,
        where.name if where else None,
        e.date.value,
        e.date.precision,
        start,
        end,
        e.date.text,
        e.modality.negated,
        e.modality.future,
        e.modality.hypothetical,
        e.modality.alleged,
        e.modality.reported_by,
        e.confidence,
        Jsonb(e.evidence.model_dump(mode="json")),
    )
