"""Main-content extraction from HTML, with no network access and no external entities.

trafilatura finds the main text; lxml (entities not resolved, no network) lists the page's
other text blocks so each cut is explained with its kind and its offsets in the markup.
"""

from __future__ import annotations

import bisect
import html as html_lib
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
    index: MarkupIndex | None = None  # reused to locate later cuts in the markup


def extract_html(markup: str) -> HtmlPage:
    """Main text, metadata and cut blocks of one HTML page."""
    doc = trafilatura.bare_extraction(
        markup, include_comments=False, include_tables=False, with_metadata=True
    )
    index = MarkupIndex(markup)
    if doc is None:
        return HtmlPage(text="", removed=cut_blocks(markup, "", index), index=index)
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
        removed=cut_blocks(markup, text, index),
        index=index,
    )


def cut_blocks(markup: str, main_text: str, index: MarkupIndex | None = None) -> list[RemovedSpan]:
    """Visible text blocks of the page that are not in the main text, with kind and offsets."""
    try:
        root = lxml_html.document_fromstring(markup.encode("utf-8"), parser=_PARSER)
    except (etree.ParserError, ValueError):
        return []
    kept = set(_shingles(main_text))
    index = index or MarkupIndex(markup)
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
        text = " ".join(" ".join(element.itertext()).split())
        if len(text) < 2:
            continue
        shingles = _shingles(text)
        if shingles and sum(s in kept for s in shingles) / len(shingles) >= 0.5:
            continue
        located = index.locate(text, cursor)
        start, end = located[0] if located else (0, 0)
        if located:
            cursor = located[1]
        reported.add(element)
        removed.append(RemovedSpan(kind=_kind(element), text=text, start=start, end=end))
        if len(removed) >= _MAX_REMOVED:
            break
    return removed


class MarkupIndex:
    """The page's visible text (tags and entities folded, spaces collapsed) and a map back to
    offsets in the markup, built in one pass, so locating a block is a plain `str.find`."""

    _TOKEN = re.compile(r"<!--.*?-->|<[^>]*>|&#?\w{1,10};|\s+", re.S)

    def __init__(self, markup: str) -> None:
        parts: list[str] = []
        self._starts: list[int] = []  # visible offset where each piece starts
        self._origins: list[int] = []  # markup offset of that piece
        size, last_space, i = 0, True, 0

        def emit(text: str, origin: int) -> None:
            nonlocal size, last_space
            if text == " ":
                if last_space:
                    return
                last_space = True
            else:
                last_space = text[-1].isspace()
            self._starts.append(size)
            self._origins.append(origin)
            parts.append(text)
            size += len(text)

        for match in self._TOKEN.finditer(markup):
            if match.start() > i:
                emit(markup[i : match.start()], i)
            token = match.group(0)
            if token.startswith("&"):
                emit(html_lib.unescape(token), match.start())
            else:
                emit(" ", match.start())
            i = match.end()
        if i < len(markup):
            emit(markup[i:], i)
        self.text = "".join(parts)
        self._ends_at = len(markup)

    def _markup_offset(self, visible: int) -> int:
        k = bisect.bisect_right(self._starts, visible) - 1
        if k < 0:
            return 0
        return self._origins[k] + (visible - self._starts[k])

    def locate(self, text: str, cursor: int = 0) -> tuple[tuple[int, int], int] | None:
        """((start, end) in the markup, visible end) of visible `text`, searched from `cursor`."""
        needle = " ".join(text.split())
        if not needle:
            return None
        at = self.text.find(needle, cursor)
        if at < 0:
            at = self.text.find(needle)
        if at < 0:
            return None
        end = at + len(needle)
        return (self._markup_offset(at), self._markup_offset(end - 1) + 1), end


def locate(markup: str, text: str) -> tuple[int, int] | None:
    """Offsets in `markup` of visible `text` (tags and entities between words allowed)."""
    found = MarkupIndex(markup).locate(text)
    return found[0] if found else None


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
