"""Contracts shared by producers and workers: models, settings, names, errors, logging.

Imports nothing else of ours and does no I/O at import.
"""

from schemas.article import (
    ArticleMetadata,
    RawArticle,
    Source,
    SourceKind,
    article_id_for,
)
from schemas.errors import (
    ArticleTooLarge,
    BinaryArticle,
    BrokerUnavailable,
    EmptyArticle,
    InvalidArticle,
    MalformedEnvelope,
    PermanentError,
    PipelineError,
    SinkUnavailable,
    TransientError,
    UndecodableArticle,
)
from schemas.record import SCHEMA_VERSION, Entity, Event, Record, RemovedSpan, Span
from schemas.settings import Settings, get_settings
from schemas.stages import CleanedArticle, PublishMessage

__all__ = [
    "SCHEMA_VERSION",
    "ArticleMetadata",
    "ArticleTooLarge",
    "BinaryArticle",
    "BrokerUnavailable",
    "CleanedArticle",
    "EmptyArticle",
    "Entity",
    "Event",
    "InvalidArticle",
    "MalformedEnvelope",
    "PermanentError",
    "PipelineError",
    "PublishMessage",
    "RawArticle",
    "Record",
    "RemovedSpan",
    "Settings",
    "SinkUnavailable",
    "Source",
    "SourceKind",
    "Span",
    "TransientError",
    "UndecodableArticle",
    "article_id_for",
    "get_settings",
]
