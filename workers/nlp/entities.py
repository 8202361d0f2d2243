"""Entities of the main story: the repaired spans of the model, canonicalised and linked."""

from __future__ import annotations

from spacy.tokens import Doc

from schemas.record import Entity
from workers.nlp.canonical import KEPT_TYPES, entities_from_doc, stable_id
from workers.nlp.kb import load_kb
from workers.nlp.model import LoadedModel

__all__ = ["KEPT_TYPES", "entities_for", "extract_entities", "stable_id"]


def entities_for(doc: Doc) -> list[Entity]:
    """Canonical entities of a processed document."""
    return entities_from_doc(doc, load_kb())


def extract_entities(model: LoadedModel, text: str) -> list[Entity]:
    """Run the model on `text` and return its canonical entities."""
    return entities_for(model.nlp(text))
