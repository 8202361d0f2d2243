"""`newsflow process`: the same stage functions in one process, with no broker.

For a laptop, a notebook, a debugger, and for scorers. Records are identical to the queued
path's for the same input, but for timings and `source.received_at`.
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import structlog

from schemas.article import RawArticle, Source, SourceKind
from schemas.errors import PermanentError
from schemas.inputs import content_type_for
from schemas.record import Record
from workers import pipeline
from workers.clean import CleanOptions
from workers.nlp import LoadedModel
from workers.sinks import Sink

log = structlog.get_logger(__name__)


@dataclass
class ProcessSummary:
    """The books of one in-process run."""

    seen: int = 0
    published: int = 0
    duplicates: int = 0
    failed: int = 0
    failures: list[tuple[str, str]] = field(default_factory=list)

    def line(self) -> str:
        """One-line summary, in the same shape as `backfill --wait`."""
        return (
            f"processed {self.seen}, published {self.published}, "
            f"duplicates {self.duplicates}, failed {self.failed}"
        )


def raw_article_for_file(path: Path, data: bytes, kind: SourceKind) -> RawArticle:
    """The queue message for one article file (inline body)."""
    return RawArticle.inline(
        data,
        source=Source(kind=kind, path=str(path)),
        content_type=content_type_for(path),
    )


def process_one(
    raw: RawArticle, body: bytes, model: LoadedModel, options: CleanOptions, sinks: list[Sink]
) -> Record:
    """Run all three stages on one article."""
    cleaned = pipeline.clean_stage(raw, body, options)
    record = pipeline.extract_stage(cleaned, model)
    return pipeline.publish_stage(record, sinks, time.perf_counter())


def process_files(
    paths: Iterable[Path], model: LoadedModel, options: CleanOptions, sinks: list[Sink]
) -> ProcessSummary:
    """Process every file; bad ones are counted and reported, never fatal."""
    summary = ProcessSummary()
    seen_ids: set[str] = set()
    for path in paths:
        summary.seen += 1
        data = path.read_bytes()
        raw = raw_article_for_file(path, data, SourceKind.FILE)
        bound = log.bind(article_id=raw.article_id, stage="process")
        if raw.article_id in seen_ids:
            summary.duplicates += 1
            bound.info("article_duplicate", path=str(path))
            continue
        seen_ids.add(raw.article_id)
        try:
            process_one(raw, data, model, options, sinks)
        except PermanentError as exc:
            summary.failed += 1
            summary.failures.append((str(path), f"{exc.reason}: {exc.message}"))
            bound.warning("article_failed", path=str(path), reason=exc.reason, error=exc.message)
            continue
        summary.published += 1
        bound.info("article_published", path=str(path))
    return summary
