"""The `extract` stage: entities and events of the cleaned main story."""

from workers.nlp.analyze import analyze, analyze_doc, parse_many
from workers.nlp.entities import entities_for, extract_entities, stable_id
from workers.nlp.kb import KnowledgeBase, load_kb
from workers.nlp.model import LoadedModel, get_model

__all__ = [
    "KnowledgeBase",
    "LoadedModel",
    "analyze",
    "analyze_doc",
    "entities_for",
    "extract_entities",
    "get_model",
    "load_kb",
    "parse_many",
    "stable_id",
]
