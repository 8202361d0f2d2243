"""Reading a request body safely: a size cap while streaming, and the declared media type."""

from __future__ import annotations

import codecs
import json
from dataclasses import dataclass
from typing import Any

from fastapi import Request

from producers.webhook.errors import ApiError

ACCEPTED_TYPES = ("application/json", "text/plain", "text/html")


@dataclass(frozen=True)
class MediaType:
    """A parsed Content-Type header."""

    mime: str
    charset: str | None


def parse_content_type(header: str | None, accepted: tuple[str, ...] = ACCEPTED_TYPES) -> MediaType:
    """The media type, or 415 when it is missing or not one we take."""
    if not header:
        raise ApiError(415, f"no Content-Type header: send one of {', '.join(accepted)}")
    mime, *params = (part.strip() for part in header.split(";"))
    mime = mime.lower()
    if mime not in accepted:
        raise ApiError(
            415, f"Content-Type {mime!r} is not accepted: send one of {', '.join(accepted)}"
        )
    charset = None
    for param in params:
        name, _, value = param.partition("=")
        if name.strip().lower() == "charset":
            charset = value.strip().strip('"').lower() or None
    return MediaType(mime, charset)


async def read_body(request: Request, limit: int) -> bytes:
    """The whole body, refused with 413 as soon as it passes `limit` (read once, then cached)."""
    cached = getattr(request.state, "body", None)
    if cached is not None:
        return bytes(cached)
    declared = request.headers.get("content-length")
    if declared is not None:
        if not declared.isdigit():
            raise ApiError(400, "the Content-Length header is not a number")
        if int(declared) > limit:
            raise _too_large(int(declared), limit)
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:  # a chunked body that does not say its length up front
            raise _too_large(size, limit)
        chunks.append(chunk)
    body = b"".join(chunks)
    request.state.body = body
    return body


def _too_large(size: int, limit: int) -> ApiError:
    return ApiError(
        413,
        f"the body is {size:,}+ bytes, over the {limit:,}-byte limit "
        "(NEWSFLOW_WEBHOOK_MAX_BODY_BYTES): send less per request",
    )


def parse_json(body: bytes, charset: str | None) -> Any:
    """The JSON document in `body`, or 400 when it does not parse."""
    if charset not in (None, "utf-8", "utf8", "us-ascii", "ascii"):
        raise ApiError(400, f"JSON must be UTF-8, not charset={charset}")
    try:
        return json.loads(body)
    except ValueError as exc:  # JSONDecodeError, UnicodeDecodeError, too many digits
        raise ApiError(400, f"the body is not valid JSON: {exc}") from None
    except RecursionError:
        raise ApiError(400, "the JSON document is nested too deeply") from None


def as_utf8(body: bytes, charset: str | None) -> bytes:
    """A raw text body re-encoded as UTF-8 when the sender declared another charset.

    Without a declaration the bytes pass unchanged: the worker's decoder sniffs BOMs and
    legacy encodings, and the article id stays that of the file the sender has.
    """
    if charset is None:
        return body
    try:
        codec = codecs.lookup(charset).name
        return body if codec == "utf-8" else body.decode(codec).encode("utf-8")
    except LookupError:  # unknown, or not a text encoding (rot13, base64, …)
        raise ApiError(400, f"unknown charset {charset!r} in Content-Type") from None
    except UnicodeError as exc:
        raise ApiError(400, f"the body is not valid {charset}: {exc}") from None
