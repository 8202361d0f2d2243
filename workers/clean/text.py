"""Plain-text cleaning: the cascade over paragraph units.

1. Units: lines, or wrapped blocks joined (`lines.units_from_lines`).
2. Inline noise: whole-unit rules (credits, reading time, navigation, promos, comments,
   teasers) anywhere; captions by form, verbs and adjacent credits.
3. Header: before the first story paragraph, the title and its repeat, date line,
   outlet-with-age line, byline and standfirst are taken as metadata and cut.
4. End matter: the first section marker after the story ("Related Articles",
   "Previous Story", "Comments", …) ends it; all that follows is cut by section.
5. Unrelated stories glued after the main one: topic segmentation (`segment`).
6. Dateline off the first paragraph, agency sign-off off the last.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime
from functools import cached_property

from schemas.record import RemovedSpan
from workers.clean import rules
from workers.clean.captions import caption_score, sentence_count
from workers.clean.dates import find_date, is_date_line, resolve_age
from workers.clean.lines import Unit, split_lines, units_from_lines
from workers.clean.normalize import normalize_line
from workers.clean.segment import (
    Profile,
    mid_sentence_names,
    off_topic,
    profile,
    unrelated_tail,
)

_TERMINAL = re.compile(r"[.!?…][”\"’')\]]*$")
_REPORTS = re.compile(r"(?:…|\.{3}|[,.;:–—-])?\s*reports\s+(?P<who>[A-Z][\w .&'’-]{1,50})$")
_WRITES = re.compile(r"(?:…|\.{3}|[,.;:–—-])?\s*writes\s+[A-Z][\w .&'’-]{1,50}$")
# Real captions never quote anyone or report speech.
_QUOTED_OR_REPORTED = re.compile(r"[“”\"]|\b(?:said|says|told|according\s+to)\b", re.I)
_PART = re.compile(r"\s+[|·•]\s+")
_TOKENS = re.compile(r"\w+")
HEADER_MAX_UNITS = 25
_TIMESTAMP = re.compile(
    r"(?:updated|published|posted|last\s+updated|first\s+published)\s*:?\s*(?:on\s+)?"
    r"[\w ,.:/+()-]{1,40}",
    re.I,
)


@dataclass
class TextResult:
    """What the text cascade found."""

    paragraphs: list[str]
    removed: list[RemovedSpan] = field(default_factory=list)
    captions: list[str] = field(default_factory=list)
    title: str | None = None
    published_at: date | datetime | None = None
    published_at_origin: str | None = None
    outlet: str | None = None
    dateline: str | None = None
    byline: str | None = None


def _whole(kind: str, text: str) -> bool:
    pattern: re.Pattern[str] = getattr(rules, kind)
    return pattern.fullmatch(text) is not None


def _inline_kind(text: str) -> str | None:
    """The noise kind of a whole unit by the line rules that hold anywhere in a page."""
    if _whole("READING_TIME", text):
        return "reading_time"
    if _whole("CREDIT_LINE", text) and len(text) <= 120:
        return "credit"
    if _whole("NAVIGATION", text):
        return "navigation"
    if _whole("PROMO", text):
        return "promo"
    if _whole("COMMENTS", text):
        return "comments"
    if _whole("INLINE_TEASER", text):
        return "related"
    if rules.TEASER_AGE.fullmatch(text):
        return "related"
    if _whole("REPORTING_LINE", text) and len(text) < 300:
        return "credit"
    return None


def _is_prose(unit: Unit) -> bool:
    """A story sentence, not a headline: headlines do not end with a full stop."""
    ends = _TERMINAL.search(unit.text) is not None
    return (
        (unit.words >= 15 and ends)
        or (unit.words >= 8 and unit.text.endswith("."))
        or (unit.words >= 30)
    )


def _contained(short: str, long: str) -> float:
    a = _TOKENS.findall(short.lower())
    if not a:
        return 0.0
    b = set(_TOKENS.findall(long.lower()))
    return sum(1 for t in a if t in b) / len(a)


class TextCleaner:
    """One run of the cascade over one decoded text."""

    def __init__(self, decoded: str, reference_time: datetime | None) -> None:
        self.decoded = decoded
        self.reference = reference_time
        self.units = units_from_lines(decoded, split_lines(decoded))
        self.result = TextResult(paragraphs=[])

    def run(self, *, extracted: bool = False) -> TextResult:
        """Apply every step and assemble the result.

        `extracted`: the text is an HTML extractor's main content. The header is gone and
        appended stories were left out with the page layout, so steps 3 and 5 are skipped
        (on the article-extraction benchmark they cost recall and gain nothing).
        """
        self._inline()
        self._captions()
        body = 0 if extracted else self._header()
        self._end_matter(body)
        if not extracted:
            self._unrelated(body)
        self._dateline_and_sign_off()
        self._assemble()
        return self.result

    # 2. rules that hold anywhere
    def _inline(self) -> None:
        for unit in self.units:
            unit.kind = _inline_kind(unit.text)

    def _captions(self) -> None:
        for i, unit in enumerate(self.units):
            if unit.kind is not None:
                continue
            glued = rules.GLUED_CREDIT.search(self.decoded, unit.start, unit.end)
            if glued and glued.end() >= unit.end - 1:
                credit_start = glued.start("credit")
                self._cut_span(credit_start, unit.end, "credit")
                unit.end = self._rstrip(unit.start, credit_start)
                unit.text = normalize_line(self.decoded[unit.start : unit.end])
                unit.kind = "caption"
                continue
            # A credit serves one caption: the line above it, else the line below it.
            above = (
                i > 0
                and self.units[i - 1].kind == "credit"
                and not (i > 1 and self.units[i - 2].kind == "caption")
                and rules.DATELINE.match(unit.text) is None
            )
            below = i + 1 < len(self.units) and self.units[i + 1].kind == "credit"
            if not (above or below) or unit.words < 6 or rules.BYLINE.fullmatch(unit.text):
                continue
            score = caption_score(unit.text, credit_above=above, credit_below=below)
            # A one-sentence line beside a credit that shares nothing with the story is the
            # photo's caption even when it reads like prose.
            if score >= 3 or (
                sentence_count(unit.text) == 1
                and not _QUOTED_OR_REPORTED.search(unit.text)
                and off_topic(unit.text, self._lead(exclude=i), self._known)
            ):
                unit.kind = "caption"

    @cached_property
    def _known(self) -> frozenset[str]:
        return mid_sentence_names("\n".join(u.text for u in self.units))

    def _lead(self, exclude: int) -> Profile:
        """Names and words of the first story-like paragraphs (not counting unit `exclude`)."""
        texts = [
            u.text
            for j, u in enumerate(self.units)
            if j != exclude and u.kind is None and _is_prose(u)
        ][:4]
        return profile(" ".join(texts), self._known)

    # 3. header
    def _header(self) -> int:
        units = self.units
        # A header is a handful of lines; past that, whatever is left is story or noise.
        body = next(
            (
                i
                for i, u in enumerate(units[:HEADER_MAX_UNITS])
                if u.kind is None and _is_prose(u) and not self._is_standfirst(i)
            ),
            min(len(units), HEADER_MAX_UNITS),
        )
        res = self.result
        for i in range(body):
            unit = units[i]
            if unit.kind is not None and unit.kind != "related":
                continue
            text = unit.text
            parts = _PART.split(text)
            if (
                len(parts) > 1
                and any(is_date_line(p) for p in parts)
                and all(is_date_line(p) or _whole("READING_TIME", p) for p in parts)
            ):
                text = next(p for p in parts if is_date_line(p))
            if is_date_line(text):
                unit.kind = "date"
                if res.published_at is None:
                    res.published_at, res.published_at_origin = find_date(text), "text"
            elif _TIMESTAMP.fullmatch(text):
                unit.kind = "date"  # 'Updated 14:20 GMT, Friday': a stamp without a date
            elif (age := rules.OUTLET_AGE.fullmatch(text)) is not None:
                unit.kind = "outlet_age"
                res.outlet = res.outlet or age["outlet"].strip()
                when = resolve_age(text, self.reference)
                if when is not None and res.published_at is None:
                    res.published_at, res.published_at_origin = when, "relative"
            elif (by := rules.BYLINE.fullmatch(text)) is not None and unit.words <= 14:
                unit.kind = "byline"
                res.byline = res.byline or _byline_names(by)
            elif res.title is None and unit.kind is None and unit.words <= 30:
                unit.kind = "title"
                res.title = text
            elif res.title is not None and text.casefold() == res.title.casefold():
                unit.kind = "duplicate_headline"
            elif unit.kind is None and unit.words >= 6:
                unit.kind = "standfirst"
                if (who := _REPORTS.search(text)) is not None:
                    res.outlet = res.outlet or who["who"].strip()
        # One sentence between the title and a photo is the standfirst, not the lead.
        if res.title is not None and body + 1 < len(units) and units[body].kind is None:
            lead, after = units[body], units[body + 1]
            if (
                after.kind in {"caption", "credit"}
                and sentence_count(lead.text) == 1
                and lead.words <= 40
                and rules.DATELINE.match(lead.text) is None
            ):
                lead.kind = "standfirst"
                body += 1
        # A byline may also stand just after the header.
        for unit in units[body : body + 3]:
            if unit.kind is None and unit.words <= 14 and (by := rules.BYLINE.fullmatch(unit.text)):
                unit.kind = "byline"
                res.byline = res.byline or _byline_names(by)
        return body

    def _is_standfirst(self, i: int) -> bool:
        unit = self.units[i]
        if i > 4 or unit.words > 60:
            return False
        if _REPORTS.search(unit.text) or _WRITES.search(unit.text):
            return True
        later = (u.text for u in self.units[i + 1 : i + 12] if u.kind is None)
        return any(_contained(unit.text, text) >= 0.8 for text in later)

    # 4. end matter
    def _end_matter(self, body: int) -> None:
        section: str | None = None  # set once a hard marker ended the story
        in_box = False  # inside a soft marker's box of teaser headlines
        seen_story = 0
        for unit in self.units[body:]:
            text = unit.text
            if section is not None:
                if rules.HARD_SECTION.fullmatch(text) or rules.SOFT_SECTION.fullmatch(text):
                    section = _section_kind(text)
                    unit.kind = unit.kind or _marker_kind(text)
                elif unit.kind is None:
                    unit.kind = "related" if rules.TEASER_META.fullmatch(text) else section
                continue
            markable = unit.kind in (None, "navigation", "comments", "related", "promo")
            if markable and seen_story and rules.HARD_SECTION.fullmatch(text):
                section = _section_kind(text)
                unit.kind = unit.kind or _marker_kind(text)
            elif markable and rules.SOFT_SECTION.fullmatch(text):
                in_box, unit.kind = True, unit.kind or "related"
            elif in_box and unit.kind is None and not _is_prose(unit) and unit.words <= 25:
                unit.kind = "related"  # a teaser headline in the box
            else:
                in_box = False
                seen_story += unit.kind is None

    # 5. unrelated stories
    def _unrelated(self, body: int) -> None:
        story = [u for u in self.units[body:] if u.kind is None]
        # An agency sign-off ("… he said. – Reuters") ends the main story: what follows it
        # was appended.
        for i, unit in enumerate(story[:-1]):
            sign = rules.SIGN_OFF.search(self.decoded, unit.start, unit.end)
            if sign is not None and sign["credit"]:
                for later in story[i + 1 :]:
                    later.kind = "unrelated_story"
                story = story[: i + 1]
                break
        cut = unrelated_tail([u.text for u in story], self.result.title)
        if cut is not None:
            for unit in story[cut:]:
                unit.kind = "unrelated_story"

    # 6. dateline and sign-off
    def _dateline_and_sign_off(self) -> None:
        story = [u for u in self.units if u.kind is None]
        if not story:
            return
        first, last = story[0], story[-1]
        match = rules.DATELINE.match(self.decoded, first.start, first.end)
        if match is not None and first.end - match.end() > 40:
            self.result.dateline = normalize_line(match["dateline"]).rstrip()
            self._cut_span(match.start(), match.end(), "dateline")
            first.start = match.end()
            first.text = normalize_line(self.decoded[first.start : first.end])
        sign = rules.SIGN_OFF.search(self.decoded, last.start, last.end)
        if sign is not None:
            start = sign.start("credit") if sign["credit"] else sign.start("reporting")
            self._cut_span(start, last.end, "credit")
            last.end = self._rstrip(last.start, start)
            last.text = normalize_line(self.decoded[last.start : last.end])

    def _assemble(self) -> None:
        res = self.result
        for unit in self.units:
            if unit.kind is None:
                res.paragraphs.append(unit.text)
                continue
            if unit.kind == "caption":
                res.captions.append(unit.text)
            self._cut_span(unit.start, unit.end, unit.kind)
        res.removed.sort(key=lambda span: span.start)

    def _cut_span(self, start: int, end: int, kind: str) -> None:
        if end > start:
            self.result.removed.append(
                RemovedSpan(kind=kind, text=self.decoded[start:end], start=start, end=end)
            )

    def _rstrip(self, start: int, end: int) -> int:
        while end > start and self.decoded[end - 1].isspace():
            end -= 1
        return end


def _marker_kind(text: str) -> str:
    """The kind of a line that opens end matter ('Comments', 'Previous Story', …)."""
    for kind, pattern in rules.SECTION_KINDS:
        if pattern.fullmatch(text):
            return kind
    return "related"


def _section_kind(text: str) -> str:
    """The kind of what follows the marker: after 'Previous Story' come teaser headlines."""
    kind = _marker_kind(text)
    return "related" if kind == "navigation" else kind


def _byline_names(match: re.Match[str]) -> str:
    """Author names only: 'Jane Doe and Omar Haddad, Reuters' → 'Jane Doe and Omar Haddad'."""
    names = (match["names"] or match["names2"] or "").strip(" ,")
    parts = [part.strip() for part in names.split(",")]
    # A last part that is one word (an agency, a desk) names no author.
    while len(parts) > 1 and len(parts[-1].split()) == 1:
        parts.pop()
    return ", ".join(parts)


def clean_text(
    decoded: str, reference_time: datetime | None = None, *, extracted: bool = False
) -> TextResult:
    """Run the plain-text cascade (`extracted`: over an HTML extractor's output)."""
    return TextCleaner(decoded, reference_time).run(extracted=extracted)
