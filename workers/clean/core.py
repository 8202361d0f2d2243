"""Cleaning orchestrator: raw bytes in, the main story and what was cut (and why) out.

The cascade, in order:
1. Size check, then decode (BOM, UTF-8, detected legacy encoding); binary and garbage
   rejected (`decode`).
2. A JSON envelope (`{text | html | url, title?, published_at?, outlet?, crawled_at?}`) is
   opened; its metadata is kept to win over guesses (`envelope`).
3. HTML → main-content extraction without network or external entities (`html`); its
   output goes through the text rules for inline noise, captions, end matter, dateline
   and sign-off (the layout already dropped the header and appended stories).
   Text → the plain-text cascade (`text`): inline noise, captions, header metadata, end
   matter, unrelated stories, dateline and sign-off.
   HTML with more tags than any real page (an HTML bomb) is refused before parsing.
4. Reject what is empty after cleaning, or too long for the NLP stage.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime

from schemas.errors import ArticleTooLarge, EmptyArticle, HtmlTooComplex, TextTooLong
from schemas.record import PublishedAtOrigin, RemovedSpan
from workers.clean.decode import decode
from workers.clean.envelope import open_envelope
from workers.clean.html import MarkupIndex, extract_html
from workers.clean.text import TextResult, clean_text

_HTML_SNIFF = re.compile(
    r"^\s*(?:<!--.*?-->\s*)*(?:<!doctype\s+html|<html|<head|<body|<article|<div|<p\b|<meta)",
    re.I | re.S,
)


@dataclass(frozen=True)
class CleanOptions:
    """Knobs of the cleaner; one object passed down, no globals."""

    max_bytes: int = 10 * 1024 * 1024
    min_chars: int = 40
    max_text_chars: int = 200_000  # longer stories are refused: NLP memory grows with length
    max_html_tags: int = 50_000  # more tags than any real page: an HTML bomb


@dataclass
class Cleaned:
    """What the cleaner found: the main story and its metadata, with each field's origin."""

    text: str
    encoding: str
    title: str | None = None
    published_at: date | datetime | None = None
    published_at_origin: PublishedAtOrigin | None = None
    outlet: str | None = None
    dateline: str | None = None
    byline: str | None = None
    language: str | None = "en"
    captions: list[str] = field(default_factory=list)
    removed: list[RemovedSpan] = field(default_factory=list)
    origins: dict[str, str] = field(default_factory=dict)
    callback_url: str | None = None  # from a JSON envelope; delivery info, not content


def clean(
    raw: bytes,
    *,
    content_type: str | None = None,
    options: CleanOptions | None = None,
    reference_time: datetime | None = None,
) -> Cleaned:
    """Run the cascade over one raw article; raises an InvalidArticle subclass on bad input."""
    opts = options or CleanOptions()
    if len(raw) > opts.max_bytes:
        raise ArticleTooLarge(
            f"the article is {len(raw):,} bytes, over the {opts.max_bytes:,}-byte limit "
            "(NEWSFLOW_MAX_ARTICLE_BYTES): split it or raise the limit"
        )
    decoded, encoding = decode(raw)
    envelope = open_envelope(decoded, content_type)
    if envelope is not None:
        decoded = envelope.html if envelope.html is not None else envelope.text or ""
        content_type = "text/html" if envelope.html is not None else "text/plain"
        reference_time = envelope.crawled_at or reference_time
    is_html = content_type == "text/html" or (
        content_type is None and _HTML_SNIFF.match(decoded[:2048]) is not None
    )
    if is_html and (tags := decoded.count("<")) > opts.max_html_tags:
        # Parsing and extraction time grow with the number of elements (1M `<p>` ≈ 70 s).
        raise HtmlTooComplex(
            f"the HTML has about {tags:,} tags, over the {opts.max_html_tags:,} limit "
            "(NEWSFLOW_MAX_HTML_TAGS): an HTML bomb or not a news page"
        )
    found = (_from_html if is_html else clean_text)(decoded, reference_time)
    result = _assemble(found, encoding)
    if envelope is not None:
        _apply_metadata(result, envelope.title, envelope.published_at, envelope.outlet)
        result.callback_url = envelope.callback_url
    if len(result.text) < opts.min_chars:
        raise EmptyArticle(
            f"only {len(result.text)} characters of story are left after cleaning "
            f"(minimum {opts.min_chars}): the input holds no article text"
        )
    if len(result.text) > opts.max_text_chars:
        raise TextTooLong(
            f"the cleaned story has {len(result.text):,} characters, over the "
            f"{opts.max_text_chars:,} limit (NEWSFLOW_MAX_TEXT_CHARS): NLP memory grows with "
            "length; split the text or raise the limit"
        )
    return result


def _from_html(decoded: str, reference_time: datetime | None) -> TextResult:
    page = extract_html(decoded)
    # The extracted text still carries captions, teasers and promos: same rules as text.
    found = clean_text(page.text, reference_time, extracted=True)
    # Cuts made in the extracted text are located again in the markup.
    index = page.index or MarkupIndex(decoded)
    relocated = []
    for span in found.removed:
        located = index.locate(span.text)
        where = located[0] if located else (0, 0)
        relocated.append(span.model_copy(update={"start": where[0], "end": where[1]}))
    found.removed = sorted([*page.removed, *relocated], key=lambda span: span.start)
    if page.title:
        found.title = page.title
    if page.published_at and found.published_at is None:
        found.published_at, found.published_at_origin = page.published_at, "text"
    found.outlet = found.outlet or page.outlet
    found.byline = found.byline or page.author
    return found


def _assemble(found: TextResult, encoding: str) -> Cleaned:
    result = Cleaned(
        text="\n\n".join(found.paragraphs),
        encoding=encoding,
        title=found.title,
        published_at=found.published_at,
        published_at_origin=found.published_at_origin,  # type: ignore[arg-type]
        outlet=found.outlet,
        dateline=found.dateline,
        byline=found.byline,
        captions=found.captions,
        removed=found.removed,
    )
    for name in ("title", "outlet", "dateline", "byline"):
        if getattr(result, name) is not None:
            result.origins[name] = "text"
    if result.published_at is not None:
        result.origins["published_at"] = result.published_at_origin or "text"
    return result


def _apply_metadata(
    result: Cleaned, title: str | None, published_at: date | datetime | None, outlet: str | None
) -> None:
    """Producer metadata wins over guesses; the origin says so."""
    if title:
        result.title, result.origins["title"] = title, "metadata"
    if outlet:
        result.outlet, result.origins["outlet"] = outlet, "metadata"
    if published_at is not None:
        result.published_at, result.published_at_origin = published_at, "metadata"
        result.origins["published_at"] = "metadata"
