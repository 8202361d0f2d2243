"""The three stages as pure functions over pydantic models: raw → cleaned → record → sinks.

Celery tasks (`workers.tasks`) and the in-process mode (`workers.inprocess`) both call these,
so the queued path and `newsflow process` produce the same records.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from datetime import datetime
from importlib.metadata import PackageNotFoundError, version

import structlog
from spacy.tokens import Doc

from schemas.article import RawArticle, SourceKind
from schemas.record import PipelineInfo, Record, Timings
from schemas.stages import CleanedArticle
from workers.clean import CleanOptions, clean
from workers.delivery import DeliveryLog
from workers.nlp import LoadedModel, analyze_doc, parse_many
from workers.sinks import Sink

log = structlog.get_logger(__name__)

try:
    PIPELINE_VERSION = version("newsflow")
except PackageNotFoundError:  # running from a source tree that was not installed
    PIPELINE_VERSION = "0+unknown"


def clean_stage(raw: RawArticle, body: bytes, options: CleanOptions) -> CleanedArticle:
    """Decode and clean one article; metadata given by the producer wins over guesses."""
    started = time.perf_counter()
    meta = raw.metadata
    found = clean(
        body,
        content_type=raw.content_type,
        options=options,
        reference_time=reference_time(raw),
    )
    origins = dict(found.origins)
    if meta.published_at is not None:
        published_at, origin = meta.published_at, "metadata"
        origins["published_at"] = "metadata"
    else:
        published_at, origin = found.published_at, found.published_at_origin
    for name, value in (("title", meta.title), ("outlet", meta.outlet or raw.source.outlet)):
        if value:
            origins[name] = "metadata"
    return CleanedArticle(
        article_id=raw.article_id,
        run_id=raw.run_id,
        source=raw.source,
        sinks=raw.sinks,
        title=meta.title or found.title,
        published_at=published_at,
        published_at_origin=origin,  # type: ignore[arg-type]
        outlet=meta.outlet or raw.source.outlet or found.outlet,
        dateline=found.dateline,
        byline=found.byline,
        language=found.language,
        text=found.text,
        captions=found.captions,
        removed=found.removed,
        origins=origins,
        clean_ms=_ms_since(started),
        callback_url=meta.callback_url or found.callback_url,
    )


# Sources where the article arrives as it is published: receipt time anchors "2 days ago".
_LIVE_SOURCES = {SourceKind.WEBHOOK, SourceKind.URL, SourceKind.WATCH}


def reference_time(raw: RawArticle) -> datetime | None:
    """The time relative ages are measured from: the crawl time, else receipt of live input.

    A backfilled file may be years old, so its receipt time anchors nothing.
    """
    if raw.metadata.crawled_at is not None:
        return raw.metadata.crawled_at
    return raw.source.received_at if raw.source.kind in _LIVE_SOURCES else None


def extract_stage(cleaned: CleanedArticle, model: LoadedModel) -> Record:
    """Entities and events of the cleaned story, assembled into the full record."""
    started = time.perf_counter()
    doc = model.nlp(cleaned.text)
    return record_from_doc(cleaned, model, doc, parse_seconds=time.perf_counter() - started)


def parse_batch(batch: Sequence[CleanedArticle], model: LoadedModel) -> tuple[list[Doc], float]:
    """The model over several cleaned stories at once (backfill batches), and its seconds."""
    started = time.perf_counter()
    docs = parse_many(model, [cleaned.text for cleaned in batch])
    return docs, time.perf_counter() - started


def parse_share(batch: Sequence[CleanedArticle], seconds: float) -> list[float]:
    """A batch's parse time split over its articles by text length (for `timings_ms`)."""
    total = sum(len(cleaned.text) for cleaned in batch) or 1
    return [seconds * len(cleaned.text) / total for cleaned in batch]


def record_from_doc(
    cleaned: CleanedArticle, model: LoadedModel, doc: Doc, *, parse_seconds: float
) -> Record:
    """The record of a parsed story: entities, events and the cleaned fields."""
    started = time.perf_counter()
    entities, events = analyze_doc(doc, cleaned.published_at)
    source = cleaned.source
    if cleaned.outlet and not source.outlet:
        source = source.model_copy(update={"outlet": cleaned.outlet})
    extract_ms = round((parse_seconds + time.perf_counter() - started) * 1000, 3)
    return Record(
        article_id=cleaned.article_id,
        source=source,
        title=cleaned.title,
        published_at=cleaned.published_at,
        published_at_origin=cleaned.published_at_origin,
        dateline=cleaned.dateline,
        byline=cleaned.byline,
        language=cleaned.language,
        text=cleaned.text,
        captions=cleaned.captions,
        removed=cleaned.removed,
        origins=cleaned.origins,
        entities=entities,
        events=events,
        pipeline=PipelineInfo(
            version=PIPELINE_VERSION,
            model=model.label,
            kb=model.kb_version,
            timings_ms=Timings(clean=cleaned.clean_ms, extract=extract_ms),
        ),
    )


def publish_stage(
    record: Record,
    sinks: Sequence[Sink],
    started: float,
    delivered: DeliveryLog | None = None,
) -> Record:
    """Stamp the publish time (validation and hand-off, not the write) and write to every sink.

    With a delivery log, sinks that already took the record (an earlier attempt that failed
    on a later sink) are skipped, and each successful write is noted before the next sink.
    """
    timings = record.pipeline.timings_ms.model_copy(update={"publish": _ms_since(started)})
    final = record.model_copy(
        update={"pipeline": record.pipeline.model_copy(update={"timings_ms": timings})}
    )
    for sink in sinks:
        if delivered is not None and delivered.is_delivered(sink.url):
            log.info("sink_skipped", sink=sink.url.split("://", 1)[0], why="already_delivered")
            continue
        sink.write_batch([final])
        if delivered is not None:
            delivered.mark(sink.url)
    return final


def _ms_since(started: float) -> float:
    return round((time.perf_counter() - started) * 1000, 3)
