"""One parse, two results: the canonical entities and the events of a story."""

from __future__ import annotations

from datetime import date, datetime

from schemas.record import Entity, Event
from workers.nlp.entities import entities_for
from workers.nlp.events import extract_events
from workers.nlp.model import LoadedModel


def analyze(
    model: LoadedModel, text: str, published_at: date | datetime | None = None
) -> tuple[list[Entity], list[Event]]:
    """Entities and events of `text` (dates resolved against `published_at`)."""
    doc = model.nlp(text)
    entities = entities_for(doc)
    return entities, extract_events(doc, entities, published_at)
