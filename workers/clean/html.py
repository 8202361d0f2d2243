"""Main-content extraction from HTML, with no network access and no external entities."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import trafilatura


@dataclass(frozen=True)
class HtmlExtract:
    """The main text of a page and the metadata found in its markup."""

    text: str
    title: str | None
    published_at: date | None
    outlet: str | None


def extract_html(html: str) -> HtmlExtract:
    """Main text and metadata of one HTML page (trafilatura parses with lxml, offline)."""
    doc = trafilatura.bare_extraction(
        html,
        include_comments=False,
        include_tables=False,
        with_metadata=True,
        output_format="python",
    )
    if doc is None:
        return HtmlExtract(text="", title=None, published_at=None, outlet=None)
    published = None
    if doc.date:
        try:
            published = date.fromisoformat(doc.date[:10])
        except ValueError:
            published = None
    return HtmlExtract(
        text=doc.text or "",
        title=doc.title,
        published_at=published,
        outlet=doc.sitename,
    )
