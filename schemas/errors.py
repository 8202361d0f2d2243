"""One error tree, split by what a worker must do with the article.

    PipelineError                 base: every error we raise on purpose
    ├── TransientError            retry with backoff; the input is fine, the world is not
    │   ├── BrokerUnavailable     Redis unreachable or timing out
    │   └── SinkUnavailable       a sink refused or timed out (disk full, network, …)
    └── PermanentError            dead-letter at once; retrying cannot help
        └── InvalidArticle        the input itself is unusable
            ├── EmptyArticle      nothing left once decoded / cleaned
            ├── BinaryArticle     not text (NUL bytes, control characters, a known binary magic)
            ├── UndecodableArticle  bytes that fit no supported encoding
            ├── ArticleTooLarge   over the configured size limit
            └── MalformedEnvelope   a JSON envelope with wrong or missing fields

Every message says what was wrong and what to do about it. `reason` is a stable
snake_case code for counting and filtering; the message is for people.
"""

from __future__ import annotations

from typing import ClassVar


class PipelineError(Exception):
    """Base of every error newsflow raises on purpose."""

    reason: ClassVar[str] = "pipeline_error"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class TransientError(PipelineError):
    """A failure worth retrying: the input is fine, a dependency is not."""

    reason = "transient"


class BrokerUnavailable(TransientError):
    """Redis could not be reached."""

    reason = "broker_unavailable"


class SinkUnavailable(TransientError):
    """A sink could not take the record right now."""

    reason = "sink_unavailable"


class PermanentError(PipelineError):
    """A failure that retrying cannot fix: the article goes to the dead-letter stream."""

    reason = "permanent"


class InvalidArticle(PermanentError):
    """The article's bytes or fields are unusable."""

    reason = "invalid_article"


class EmptyArticle(InvalidArticle):
    """Nothing usable is left once the article is decoded or cleaned."""

    reason = "empty"


class BinaryArticle(InvalidArticle):
    """The bytes are not text."""

    reason = "binary"


class UndecodableArticle(InvalidArticle):
    """The bytes fit none of the supported encodings."""

    reason = "undecodable"


class ArticleTooLarge(InvalidArticle):
    """The article exceeds the configured size limit."""

    reason = "too_large"


class MalformedEnvelope(InvalidArticle):
    """A JSON envelope whose fields are missing or of the wrong type."""

    reason = "malformed_envelope"
