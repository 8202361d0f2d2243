"""One parse, two results: the canonical entities and the events of a story."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime

from spacy.tokens import Doc

from schemas.record import Entity, Event
from workers.nlp.entities import entities_for
from workers.nlp.events import extract_events
from workers.nlp.model import LoadedModel


def analyze(
    model: LoadedModel, text: str, published_at: date | datetime | None = None
) -> tuple[list[Entity], list[Event]]:
    """Entities and events of `text` (dates resolved against `published_at`)."""
    return analyze_doc(model.nlp(text), published_at)


def analyze_doc(
    doc: Doc, published_at: date | datetime | None = None
) -> tuple[list[Entity], list[Event]]:
    """Entities and events of a parsed story."""
    entities = entities_for(doc)
    return entities, extract_events(doc, entities, published_at)


def parse_many(model: LoadedModel, texts: Sequence[str]) -> list[Doc]:
    """Parse several stories in one `nlp.pipe` batch: the parser and NER score a batch's
    documents together, which costs less CPU than one `nlp(text)` each."""
    return list(model.nlp.pipe(texts, batch_size=max(1, len(texts))))
