"""One error tree, split by what a worker must do with the article.

    PipelineError                 base: every error we raise on purpose
    ├── TransientError            retry with backoff; the input is fine, the world is not
    │   ├── BrokerUnavailable     Redis unreachable or timing out
    │   ├── SinkUnavailable       a sink refused or timed out (disk full, network, …)
    │   ├── FetchUnavailable      a url fetch failed on the network, timed out, got 5xx or 429
    │   └── CallbackUnavailable   a callback POST failed on the network, timed out, got 5xx or 429
    └── PermanentError            dead-letter at once; retrying cannot help
        ├── InvalidArticle        the input itself is unusable
        │   ├── EmptyArticle      nothing left once decoded / cleaned
        │   ├── BinaryArticle     not text (NUL bytes, control characters, a known binary magic)
        │   ├── UndecodableArticle  bytes that fit no supported encoding
        │   ├── ArticleTooLarge   over the configured size limit (a fetched page too)
        │   │   └── TextTooLong   a cleaned story too long for the NLP (NEWSFLOW_MAX_TEXT_CHARS)
        │   ├── HtmlTooComplex    more markup tags than any page (an HTML bomb)
        │   └── MalformedEnvelope   a JSON envelope with wrong or missing fields
        ├── FetchRefused          a url (or callback url) that cannot or must not be fetched
        │   ├── InvalidUrl        not http(s), no host, a port outside the allowed list
        │   ├── UnsafeUrl         resolves to a loopback/private/link-local/metadata address
        │   ├── UnresolvableHost  the host name does not exist
        │   ├── TooManyRedirects  more redirects than allowed
        │   ├── FetchHttpError    the server answered 4xx (not 429)
        │   └── UnsupportedContentType  a media type outside the allowed list
        ├── CallbackRejected      the callback endpoint answered 4xx (not 429) or redirected
        └── SinkRejected          a sink refused the record for good (webhook 4xx, bad data)

Every message says what was wrong and what to do about it. `reason` is a stable
snake_case code for counting and filtering; the message is for people.
"""

from __future__ import annotations

from typing import ClassVar

from pydantic import ValidationError


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


class TextTooLong(ArticleTooLarge):
    """The cleaned story is longer than the NLP stage takes (memory grows with length)."""

    reason = "text_too_long"


class HtmlTooComplex(InvalidArticle):
    """The markup has more tags than any real page: an HTML bomb, refused before parsing."""

    reason = "html_too_complex"


class MalformedEnvelope(InvalidArticle):
    """A JSON envelope whose fields are missing or of the wrong type."""

    reason = "malformed_envelope"


class FetchUnavailable(TransientError):
    """A url could not be fetched right now (network error, timeout, 5xx, 429)."""

    reason = "fetch_unavailable"


class CallbackUnavailable(TransientError):
    """A callback endpoint could not take the POST right now (network, timeout, 5xx, 429)."""

    reason = "callback_unavailable"


class FetchRefused(PermanentError):
    """A url that cannot or must not be fetched."""

    reason = "fetch_refused"


class InvalidUrl(FetchRefused):
    """Not an http(s) URL with a host, or a port outside NEWSFLOW_FETCH_ALLOWED_PORTS."""

    reason = "invalid_url"


class UnsafeUrl(FetchRefused):
    """The SSRF guard refused the address the host resolves to."""

    reason = "ssrf_blocked"


class UnresolvableHost(FetchRefused):
    """The host name does not exist in DNS."""

    reason = "dns_error"


class TooManyRedirects(FetchRefused):
    """The page redirected more often than NEWSFLOW_FETCH_MAX_REDIRECTS allows."""

    reason = "too_many_redirects"


class FetchHttpError(FetchRefused):
    """The server answered with a client error (4xx other than 429)."""

    reason = "http_error"


class UnsupportedContentType(FetchRefused):
    """The page's media type is not in NEWSFLOW_FETCH_CONTENT_TYPES."""

    reason = "unsupported_content_type"


class CallbackRejected(PermanentError):
    """The callback endpoint refused the POST for good (4xx other than 429, or a redirect)."""

    reason = "callback_rejected"


class SinkRejected(PermanentError):
    """A sink refused the record for good (a webhook's 4xx other than 408/429, bad data)."""

    reason = "sink_rejected"


def validation_summary(exc: ValidationError) -> str:
    """`at FIELD: MESSAGE (N problem(s))` of pydantic's first error, for one-line reasons."""
    first = exc.errors()[0]
    where = ".".join(map(str, first["loc"])) or "envelope"
    return f"at {where}: {first['msg']} ({exc.error_count()} problem(s))"
