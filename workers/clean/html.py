"""Main-content extraction from HTML, with no network access and no external entities.

trafilatura finds the main text; lxml (entities not resolved, no network) lists the page's
other text blocks so each cut is explained with its kind and its offsets in the markup.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date

import trafilatura
from lxml import etree
from lxml import html as lxml_html

from schemas.record import RemovedSpan

_PARSER = lxml_html.HTMLParser(
    remove_comments=True,
    remove_pis=True,
    no_network=True,
    huge_tree=False,
    default_doctype=False,
)
_SKIP = {"script", "style", "noscript", "template", "svg", "head", "title", "meta", "link"}
_BLOCKS = {
    "p",
    "li",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "figcaption",
    "blockquote",
    "td",
    "dd",
    "dt",
    "caption",
    "button",
    "label",
    "a",
    "span",
    "div",
    "small",
    "time",
}
_KIND_BY_TAG = {
    "nav": "navigation",
    "header": "navigation",
    "footer": "navigation",
    "aside": "related",
    "figcaption": "caption",
    "form": "promo",
    "button": "navigation",
}
_KIND_BY_ATTR = (
    ("comments", re.compile(r"comment|disqus|discussion", re.I)),
    (
        "promo",
        re.compile(
            r"newsletter|subscribe|promo|advert|\bad[s-]|sponsor|cookie|banner|paywall|signup", re.I
        ),
    ),
    (
        "related",
        re.compile(r"related|recommend|more-|most-|popular|trending|teaser|read-?next", re.I),
    ),
    (
        "navigation",
        re.compile(r"nav|menu|breadcrumb|share|social|footer|header|masthead|topbar", re.I),
    ),
    ("caption", re.compile(r"caption|credit", re.I)),
)
_WORD = re.compile(r"\w+")
_MAX_REMOVED = 400  # a page can list thousands of links; a reviewer needs the first ones


@dataclass
class HtmlPage:
    """The main text of a page, its metadata, and the blocks that were cut."""

    text: str
    title: str | None = None
    published_at: date | None = None
    outlet: str | None = None
    author: str | None = None
    removed: list[RemovedSpan] = field(default_factory=list)


def extract_html(markup: str) -> HtmlPage:
    """Main text, metadata and cut blocks of one HTML page."""
    doc = trafilatura.bare_extraction(
        markup,
        include_comments=False,
        include_tables=False,
        with_metadata=True,
        favor_recall=True,
    )
    if doc is None:
        return HtmlPage(text="", removed=cut_blocks(markup, ""))
    published = None
    if doc.date:
        try:
            published = date.fromisoformat(doc.date[:10])
        except ValueError:
            published = None
    text = doc.text or ""
    return HtmlPage(
        text=text,
        title=doc.title,
        published_at=published,
        outlet=doc.sitename,
        author=doc.author,
        removed=cut_blocks(markup, text),
    )


def cut_blocks(markup: str, main_text: str) -> list[RemovedSpan]:
    """Visible text blocks of the page that are not in the main text, with kind and offsets."""
    try:
        root = lxml_html.document_fromstring(markup.encode("utf-8"), parser=_PARSER)
    except (etree.ParserError, ValueError):
        return []
    kept = set(_shingles(main_text))
    removed: list[RemovedSpan] = []
    reported: set[etree._Element] = set()
    cursor = 0
    for element in root.iter():
        if not isinstance(element.tag, str) or element.tag in _SKIP:
            continue
        if element.tag not in _BLOCKS or _has_block_child(element):
            continue
        if any(a.tag in _SKIP or a in reported for a in element.iterancestors()):
            continue
        text = " ".join(element.text_content().split())
        if len(text) < 2:
            continue
        shingles = _shingles(text)
        if shingles and sum(s in kept for s in shingles) / len(shingles) >= 0.5:
            continue
        located = locate(markup, text, cursor)
        start, end = located if located else (0, 0)
        if located:
            cursor = end
        reported.add(element)
        removed.append(RemovedSpan(kind=_kind(element), text=text, start=start, end=end))
        if len(removed) >= _MAX_REMOVED:
            break
    return removed


def locate(markup: str, text: str, cursor: int = 0) -> tuple[int, int] | None:
    """Offsets in `markup` of visible `text`, allowing tags and entities between words."""
    words = _WORD.findall(text)
    if not words:
        return None
    gap = r"(?:\W|<[^>]{0,300}>|&#?\w{1,10};)*?"

    def find(ws: list[str], start: int) -> re.Match[str] | None:
        pattern = re.compile(r"\b" + gap.join(map(re.escape, ws)) + r"\b")
        return pattern.search(markup, start) or pattern.search(markup)

    head = find(words[:4], cursor)
    if head is None:
        return None
    tail = find(words[-4:], head.start()) if len(words) > 4 else head
    end = tail.end() if tail is not None and tail.start() >= head.start() else head.end()
    return head.start(), end


def _has_block_child(element: etree._Element) -> bool:
    return any(
        isinstance(child.tag, str) and child.tag in _BLOCKS and child.tag not in {"a", "span"}
        for child in element
    )


def _kind(element: etree._Element) -> str:
    for node in (element, *element.iterancestors()):
        tag = node.tag if isinstance(node.tag, str) else ""
        if tag in _KIND_BY_TAG:
            return _KIND_BY_TAG[tag]
        attrs = f"{node.get('class', '')} {node.get('id', '')} {node.get('role', '')}"
        for kind, pattern in _KIND_BY_ATTR:
            if pattern.search(attrs):
                return kind
    return "boilerplate"


def _shingles(text: str, n: int = 3) -> list[tuple[str, ...]]:
    tokens = _WORD.findall(text.lower())
    if len(tokens) < n:
        return [tuple(tokens)] if tokens else []
    return [tuple(tokens[i : i + n]) for i in range(len(tokens) - n + 1)]
