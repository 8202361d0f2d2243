"""The `extract` stage: entities and events of the cleaned main story."""

from workers.nlp.entities import entities_from_doc, stable_id
from workers.nlp.model import LoadedModel, get_model

__all__ = ["LoadedModel", "entities_from_doc", "get_model", "stable_id"]
