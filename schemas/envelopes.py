"""Recognising a url-only JSON envelope (`{"url": …}`): those are fetched before cleaning.

The enqueue path uses `is_url_envelope` to send such an article to the `fetch` queue; the
fetch task (and the clean task, for one that arrived on the wrong queue) uses
`parse_url_envelope`. No I/O here.
"""

from __future__ import annotations

import json
from typing import Any

from pydantic import ValidationError

from schemas.article import ArticleEnvelope
from schemas.errors import MalformedEnvelope, validation_summary

# A url envelope is a URL and a few metadata fields; anything this big is some other body.
URL_ENVELOPE_PEEK_BYTES = 16 * 1024

_BODY_KEYS = frozenset({"text", "html", "url"})


def peek_envelope(raw: bytes, content_type: str | None) -> dict[str, Any] | None:
    """The JSON object when `raw` is an article envelope, else None; never raises."""
    if content_type not in (None, "application/json"):
        return None
    stripped = raw.lstrip(b"\xef\xbb\xbf \t\r\n")
    if not stripped.startswith(b"{"):
        return None
    try:
        data = json.loads(stripped.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError):
        return None
    if not isinstance(data, dict) or not (_BODY_KEYS & data.keys()):
        return None
    return data


def is_url_envelope(raw: bytes, content_type: str | None) -> bool:
    """True when `raw` is a small JSON envelope carrying a `url` and no text or html."""
    if len(raw) > URL_ENVELOPE_PEEK_BYTES:
        return False
    data = peek_envelope(raw, content_type)
    return data is not None and "url" in data and not ({"text", "html"} & data.keys())


def parse_url_envelope(raw: bytes, content_type: str | None) -> ArticleEnvelope | None:
    """The validated envelope when `raw` is a url envelope, None when it is another body.

    Raises MalformedEnvelope when it names a url but its fields are wrong.
    """
    data = peek_envelope(raw, content_type)
    if data is None or "url" not in data:
        return None
    try:
        envelope = ArticleEnvelope.model_validate(data)
    except ValidationError as exc:
        raise MalformedEnvelope(
            f"the url envelope is invalid {validation_summary(exc)}; "
            "send exactly one of text, html and url"
        ) from exc
    return envelope if envelope.url is not None else None
