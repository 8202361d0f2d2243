"""Cleaning orchestrator.

The cascade, in order:
1. Size check, then decode (BOM, UTF-8, detected legacy encoding); binary and garbage rejected.
2. Sniff the kind (HTML or plain text) unless the producer said.
3. HTML: main-content extraction (trafilatura, no network, no external entities).
   Text: split into lines with offsets, drop noise lines by rule, keep the rest.
4. Group kept lines into paragraphs; normalise characters.
5. Fill metadata: the producer's wins over what the text shows.
6. Reject what is empty after cleaning.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime

from schemas.errors import ArticleTooLarge, EmptyArticle
from schemas.record import PublishedAtOrigin, RemovedSpan
from workers.clean.decode import decode
from workers.clean.html import extract_html
from workers.clean.lines import Line, split_lines
from workers.clean.rules import classify_line

_HTML_SNIFF = re.compile(rb"^\s*(?:<!doctype\s+html|<html|<head|<body|<article|<div|<p\b)", re.I)


@dataclass(frozen=True)
class CleanOptions:
    """Knobs of the cleaner; one object passed down, no globals."""

    max_bytes: int = 10 * 1024 * 1024
    min_chars: int = 40


@dataclass
class Cleaned:
    """What the cleaner found: the main story and its metadata."""

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


def clean(
    raw: bytes,
    *,
    content_type: str | None = None,
    options: CleanOptions | None = None,
) -> Cleaned:
    """Run the cascade over one raw article; raises an InvalidArticle subclass on bad input."""
    opts = options or CleanOptions()
    if len(raw) > opts.max_bytes:
        raise ArticleTooLarge(
            f"the article is {len(raw):,} bytes, over the {opts.max_bytes:,}-byte limit "
            "(NEWSFLOW_MAX_ARTICLE_BYTES): split it or raise the limit"
        )
    decoded, encoding = decode(raw)
    is_html = content_type == "text/html" or (
        content_type is None and _HTML_SNIFF.match(raw[:512]) is not None
    )
    result = _clean_html(decoded, encoding) if is_html else _clean_text(decoded, encoding)
    if len(result.text) < opts.min_chars:
        raise EmptyArticle(
            f"only {len(result.text)} characters of story are left after cleaning "
            f"(minimum {opts.min_chars}): the input holds no article text"
        )
    return result


def _clean_text(decoded: str, encoding: str) -> Cleaned:
    lines = split_lines(decoded)
    kept: list[Line] = []
    removed: list[RemovedSpan] = []
    for line in lines:
        if line.blank:
            kept.append(line)
            continue
        kind = classify_line(line.text)
        if kind is None:
            kept.append(line)
        else:
            removed.append(
                RemovedSpan(
                    kind=kind, text=decoded[line.start : line.end], start=line.start, end=line.end
                )
            )
    return Cleaned(text=_paragraphs(kept), encoding=encoding, removed=removed)


def _clean_html(decoded: str, encoding: str) -> Cleaned:
    extracted = extract_html(decoded)
    lines = [Line(text, 0, 0) for text in extracted.text.splitlines()]
    return Cleaned(
        text=_paragraphs([line for line in lines if line.text]),
        encoding=encoding,
        title=extracted.title,
        published_at=extracted.published_at,
        published_at_origin="text" if extracted.published_at else None,
        outlet=extracted.outlet,
    )


def _paragraphs(lines: list[Line]) -> str:
    """Join lines into paragraphs: each non-blank line is one paragraph in scraped text."""
    return "\n\n".join(line.text for line in lines if not line.blank)
