"""JSON envelopes from producers: `{text | html | url, title?, published_at?, outlet?}`."""

from __future__ import annotations

import json

from pydantic import ValidationError

from schemas.article import ArticleEnvelope
from schemas.errors import MalformedEnvelope, validation_summary


def open_envelope(decoded: str, content_type: str | None) -> ArticleEnvelope | None:
    """The envelope when the body is one (declared JSON, or a JSON object that looks like it)."""
    if content_type not in (None, "application/json"):
        return None
    stripped = decoded.lstrip()
    if not stripped.startswith("{"):
        if content_type == "application/json":
            raise MalformedEnvelope("the body is declared JSON but is not a JSON object")
        return None
    try:
        data = json.loads(stripped)
    except json.JSONDecodeError as exc:
        if content_type == "application/json":
            raise MalformedEnvelope(f"the JSON envelope does not parse: {exc}") from exc
        return None  # plain text that happens to start with "{"
    if not isinstance(data, dict) or not ({"text", "html", "url"} & data.keys()):
        if content_type == "application/json":
            raise MalformedEnvelope(
                "the JSON envelope has none of text, html, url: send one of them"
            )
        return None
    try:
        envelope = ArticleEnvelope.model_validate(data)
    except ValidationError as exc:
        raise MalformedEnvelope(
            f"the JSON envelope is invalid {validation_summary(exc)}; fields are text|html|url, "
            "title, published_at, outlet, crawled_at, callback_url"
        ) from exc
    if envelope.url is not None:
        raise MalformedEnvelope(
            "the envelope has only a url: url submissions are fetched by the worker's "
            "fetch task (queue fetch) before cleaning; this path does not fetch, send text "
            "or html"
        )
    return envelope
