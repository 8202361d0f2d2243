"""Deterministic noisy plain-text articles built from the article-extraction benchmark.

Each document is one benchmark article's ground-truth body (the main story) wrapped in the
noise a scraped news page leaves in its text:

1. a header: logo, headline (maybe twice), outlet glued to a relative age, date line,
   reading time, sometimes an app prompt;
2. between the story's paragraphs: photo captions (a sentence of another article, its credit
   on the same or the next line), "also read" lines, "don't miss" lines;
3. straight after the story, with no separator: 1-4 unrelated stories (the first 1-3
   paragraphs of other articles), the last one cut mid-sentence;
4. a footer in random order: related-article teasers, previous/next links, "don't miss",
   comment widgets, app prompts; "go to top" last.

Each class appears with its own probability and one of a few wordings; separators vary
between blank lines and single newlines. Every injected line is recorded with its class and
the part of it whose survival counts as a leak. Filler text comes from OTHER benchmark
articles or from the generic templates below (outlets and people are invented).
"""

from __future__ import annotations

import random
import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Protocol

MIN_BODY_CHARS = 800
MIN_ASCII_LETTER_SHARE = 0.95
MIN_FUNCTION_WORD_SHARE = 0.1
HEADLINE_WORDS = 12

# Probability that each class of noise appears in a document.
P_LOGO = 0.35
P_HEADLINE = 0.8
P_HEADLINE_TWICE = 0.5
P_OUTLET_AGE = 0.5
P_DATE_LINE = 0.55
P_READING_TIME = 0.45
P_APP_IN_HEADER = 0.15
P_CAPTIONS = 0.55
P_CREDIT_OWN_LINE = 0.5
P_ALSO_READ = 0.45
P_DONT_MISS_IN_BODY = 0.15
P_UNRELATED = 0.85
P_RELATED = 0.5
P_PREV_NEXT = 0.4
P_DONT_MISS_IN_FOOTER = 0.15
P_COMMENTS = 0.4
P_APP_IN_FOOTER = 0.4
P_GO_TO_TOP = 0.35
P_FLIP_SEPARATOR = 0.15

NOISE_CLASSES = (
    "logo",
    "headline",
    "outlet_age",
    "date_line",
    "reading_time",
    "caption",
    "photo_credit",
    "also_read",
    "dont_miss",
    "unrelated_story",
    "related",
    "prev_next",
    "comments",
    "app_prompt",
    "go_to_top",
)

# Templates, as data. Fields: {outlet} {n} {h} (a headline) {agency} {person}.
# Invented and generic on purpose: no real outlet's markup is copied here.
OUTLETS = (
    "Daily Ledger",
    "The Morning Courier",
    "Metro Dispatch",
    "Northside Herald",
    "Global Wire Today",
    "City Chronicle",
)
AGENCIES = ("AP", "EPA", "AFP", "Reuters", "Getty Images", "PA", "Shutterstock")
PEOPLE = ("Maria Lopez", "Tom Becker", "Anil Rao", "Chloe Martin", "Sam Okafor", "Lena Fischer")
LOGO = ("logo", "Logo", "LOGO", "{outlet} logo")
AGES = ("{n} hours ago", "{n} mins ago", "{n}h ago", "1 day ago", "{n} days ago")
READING_TIME = ("{n} mins read", "{n} min read", "Reading time: {n} minutes", "{n} MIN READ")
CREDITS = (
    "Photo: {agency}",
    "Photograph: {person}/{agency}",
    "(Photo: {person}/{agency})",
    "Image: {agency}",
    "Credit: {person}/{agency}",
)
ALSO_READ = ("ALSO READ: {h}", "Also Read | {h}", "READ MORE: {h}", "Read also: {h}")
DONT_MISS = ("Don't Miss", "DON'T MISS", "Must Read", "Don't miss:", "Editor's picks")
RELATED_HEADINGS = ("Related Articles", "Related Stories", "You may also like")
RELATED_HEADINGS += ("More from {outlet}",)
PREV_NEXT = (
    ("Previous Story", "Next Story"),
    ("PREVIOUS ARTICLE", "NEXT ARTICLE"),
    ("« Previous", "Next »"),
    ("Previous Post", "Next Post"),
)
COMMENT_HEADINGS = ("Comments", "COMMENTS", "0 Comments", "Show comments", "Join the conversation")
COMMENT_LINES = (
    "No comments yet. Be the first to share your thoughts.",
    "Log in to leave a comment",
    "Comments are closed for this article.",
    "Sort by: Newest",
    "Please read our community guidelines before posting.",
)
APP_LINES = (
    "DOWNLOAD THE APP",
    "app-storeplay-store",
    "Get the {outlet} app",
    "Available on the App Store and Google Play",
    "Read this story in our app",
)
GO_TO_TOP = ("Go to Top", "Back to top", "GO TO TOP", "↑ Back to top", "Top of page")
MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August")
MONTHS += ("September", "October", "November", "December")
WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")

# Common English function words: running English prose has well over 10% of them, while
# Portuguese, Indonesian or German written in ASCII letters has almost none.
_FUNCTION_WORDS_TEXT = (
    "the of and to a in is that for on with was as it by are be at from has have this not"
)
_FUNCTION_WORDS = frozenset(_FUNCTION_WORDS_TEXT.split())
_WORD = re.compile(r"\w+")

# A sentence ends at . ! or ? (maybe closed by a quote or bracket) before a capital or digit.
_SENTENCE_END = re.compile(r"(?<=[.!?])[\"'”’)]*\s+(?=[\"'“‘(]?[A-Z0-9])")

# How many other articles one document may draw on: 1 caption, 1 also-read, 2 don't-miss,
# 4 unrelated, 3 related, 2 previous/next; disjoint, so a leak is counted under one class.
_DONORS = 13


@dataclass(frozen=True, slots=True)
class Source:
    """One usable benchmark article: its id and paragraphs."""

    item_id: str
    paragraphs: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class NoiseItem:
    """One injected line of noise, with the part of it whose survival counts as a leak."""

    kind: str
    line: str  # the line as written into the document
    probe: str  # what must not survive: a caption's sentence without its credit, and so on


@dataclass(frozen=True)
class NoisyArticle:
    """A generated document: the noisy text, its main story and the noise put around it."""

    item_id: str
    text: str
    paragraphs: tuple[str, ...]
    noise: tuple[NoiseItem, ...]

    @property
    def truth(self) -> str:
        """The main story, paragraphs separated by a blank line."""
        return "\n\n".join(self.paragraphs)


class _Record(Protocol):
    """The recorder the builders call: notes one noise item and returns it."""

    def __call__(self, kind: str, line: str, probe: str | None = None) -> NoiseItem: ...


# A block is a group of lines that stay together (a paragraph, a caption and its credit).
Block = list[str | NoiseItem]


def split_paragraphs(body: str) -> list[str]:
    """Paragraphs of a ground-truth body: one per line with a word in it, whitespace folded."""
    # A line of only zero-width spaces or dashes has no token to score and nothing to find.
    return [" ".join(line.split()) for line in body.splitlines() if _WORD.search(line)]


def is_english_like(text: str) -> bool:
    """Almost all letters ASCII and enough English function words: a cheap language check."""
    letters = [c for c in text if c.isalpha()]
    if not letters or sum(c.isascii() for c in letters) / len(letters) < MIN_ASCII_LETTER_SHARE:
        return False
    words = _WORD.findall(text.lower())
    return sum(w in _FUNCTION_WORDS for w in words) / len(words) >= MIN_FUNCTION_WORD_SHARE


def eligible_sources(ground_truth: Mapping[str, Mapping[str, str]]) -> list[Source]:
    """Benchmark articles long and English-looking enough to use, sorted by id."""
    sources = []
    for item_id in sorted(ground_truth):
        body = ground_truth[item_id].get("articleBody") or ""
        if len(body) >= MIN_BODY_CHARS and is_english_like(body):
            sources.append(Source(item_id, tuple(split_paragraphs(body))))
    return sources


def sentences(paragraph: str) -> list[str]:
    """A rough sentence split, good enough to pick headlines and captions."""
    return [s.strip() for s in _SENTENCE_END.split(paragraph) if s.strip()]


def headline_of(source: Source) -> str:
    """A headline-like line: the first sentence cut to about twelve words, end stop dropped."""
    words = sentences(source.paragraphs[0])[0].split()[:HEADLINE_WORDS]
    return " ".join(words).rstrip(".,;:!?")


def _cut_words(text: str, count: int, suffix: str = "") -> str:
    """The first `count` words of `text`, plus `suffix` when something was cut."""
    words = text.split()
    return text if len(words) <= count else " ".join(words[:count]) + suffix


def _fill(rng: random.Random, template: str, **fields: str) -> str:
    """A template with a random small number and a random agency and person filled in."""
    return template.format(
        n=rng.randint(2, 23), agency=rng.choice(AGENCIES), person=rng.choice(PEOPLE), **fields
    )


def _date_line(rng: random.Random) -> str:
    """A publication-date line in one of a few common shapes."""
    day, month, year = rng.randint(1, 28), rng.randrange(12), rng.randint(2016, 2024)
    hour, minute = rng.randint(1, 12), rng.randint(0, 59)
    return rng.choice(
        (
            f"Published {day} {MONTHS[month]} {year}",
            f"Updated: {MONTHS[month][:3]} {day}, {year} {hour}:{minute:02d} pm ET",
            f"{rng.choice(WEEKDAYS)} {day} {MONTHS[month]} {year} {hour:02d}.{minute:02d} GMT",
            f"Last updated on {day:02d}.{month + 1:02d}.{year}",
            f"{MONTHS[month]} {day}, {year}",
        )
    )


class NoiseGenerator:
    """Builds noisy documents around benchmark articles, reproducibly for a given seed."""

    def __init__(self, sources: Sequence[Source], seed: int = 0) -> None:
        if len(sources) <= _DONORS:
            raise ValueError(f"need more than {_DONORS} usable articles, got {len(sources)}")
        self.sources = list(sources)
        self.seed = seed

    def make(self, main: Source) -> NoisyArticle:
        """One noisy document around `main`; the same (seed, article) gives the same document."""
        # A str seed is hashed with SHA-512: stable across runs and processes, and independent
        # of which other documents are generated, so --limit N keeps the first N unchanged.
        rng = random.Random(f"{self.seed}:{main.item_id}")
        donors = iter(rng.sample([s for s in self.sources if s is not main], _DONORS))
        outlet = rng.choice(OUTLETS)
        noise: list[NoiseItem] = []

        def record(kind: str, line: str, probe: str | None = None) -> NoiseItem:
            made = NoiseItem(kind, line, line if probe is None else probe)
            noise.append(made)
            return made

        body: list[Block] = [[p] for p in main.paragraphs]
        # Never before the first paragraph: between two paragraphs or after the last.
        for insert in _body_inserts(rng, outlet, donors, record):
            body.insert(rng.randint(1, len(body)), insert)
        blocks = _header(rng, main, outlet, record) + body
        if rng.random() < P_UNRELATED:
            blocks += _unrelated(rng, [next(donors) for _ in range(4)], record)
        blocks += _footer(rng, outlet, donors, record)
        return NoisyArticle(main.item_id, _join(rng, blocks), main.paragraphs, tuple(noise))


def _header(rng: random.Random, main: Source, outlet: str, record: _Record) -> list[Block]:
    """Logo, headline (maybe twice), outlet+age, date line, reading time, app prompt."""
    head: list[NoiseItem] = []
    if rng.random() < P_HEADLINE:
        head.append(record("headline", headline_of(main)))
        if rng.random() < P_HEADLINE_TWICE:
            head.append(record("headline", head[0].line))
    meta: list[NoiseItem] = []
    if rng.random() < P_OUTLET_AGE:
        # Glued with no space, as adjacent spans come out of a scraped page.
        meta.append(record("outlet_age", outlet + _fill(rng, rng.choice(AGES))))
    if rng.random() < P_DATE_LINE:
        meta.append(record("date_line", _date_line(rng)))
    if rng.random() < P_READING_TIME:
        meta.append(record("reading_time", _fill(rng, rng.choice(READING_TIME))))
    lines: list[NoiseItem] = []
    if rng.random() < P_LOGO:
        lines.append(record("logo", _fill(rng, rng.choice(LOGO), outlet=outlet)))
    # Most pages put the outlet and date under the headline, some above it.
    lines += meta + head if rng.random() < 0.3 else head + meta
    if rng.random() < P_APP_IN_HEADER:
        lines.append(record("app_prompt", _fill(rng, rng.choice(APP_LINES), outlet=outlet)))
    return [[line] for line in lines]


def _body_inserts(
    rng: random.Random, outlet: str, donors: Iterator[Source], record: _Record
) -> list[Block]:
    """Caption blocks, "also read" lines and "don't miss" lines to put between paragraphs."""
    caption_donor, read_donor, miss_donor = next(donors), next(donors), next(donors)
    inserts: list[Block] = []
    if rng.random() < P_CAPTIONS:
        candidates = [
            s for p in caption_donor.paragraphs for s in sentences(p) if 8 <= len(s.split()) <= 40
        ] or [_cut_words(caption_donor.paragraphs[0], 30)]
        for sentence in rng.sample(candidates, min(len(candidates), rng.randint(1, 3))):
            credit = _fill(rng, rng.choice(CREDITS))
            if rng.random() < P_CREDIT_OWN_LINE:
                inserts.append([record("caption", sentence), record("photo_credit", credit)])
            else:
                inserts.append([record("caption", f"{sentence} {credit}", sentence)])
    if rng.random() < P_ALSO_READ:
        headline = headline_of(read_donor)
        line = rng.choice(ALSO_READ).format(h=headline)
        inserts += [[record("also_read", line, headline)] for _ in range(rng.randint(1, 2))]
    if rng.random() < P_DONT_MISS_IN_BODY:
        inserts.append(_dont_miss(rng, miss_donor, record))
    return inserts


def _unrelated(rng: random.Random, donors: list[Source], record: _Record) -> list[Block]:
    """1-4 other stories' first 1-3 paragraphs, no separator, the last cut mid-sentence."""
    stories = donors[: rng.randint(1, 4)]
    blocks: list[Block] = []
    for index, story in enumerate(stories):
        paragraphs = list(story.paragraphs[: rng.randint(1, 3)])
        words = paragraphs[-1].split()
        if index == len(stories) - 1 and len(words) >= 6:
            # Somewhere in the middle, end stop dropped: the page (or the scrape) ends there.
            cut = rng.randint(len(words) // 3, len(words) - 2)
            paragraphs[-1] = " ".join(words[:cut]).rstrip(".!?")
        blocks += [[record("unrelated_story", p)] for p in paragraphs]
    return blocks


def _footer(
    rng: random.Random, outlet: str, donors: Iterator[Source], record: _Record
) -> list[Block]:
    """Related teasers, previous/next, don't miss, comments, app prompts; go to top last."""
    related = [next(donors) for _ in range(3)]
    prev_donor, next_donor, miss_donor = next(donors), next(donors), next(donors)
    parts: list[list[Block]] = []
    if rng.random() < P_RELATED:
        heading = rng.choice(RELATED_HEADINGS).format(outlet=outlet)
        part: list[Block] = [[record("related", heading)]]
        for donor in related[: rng.randint(1, 3)]:
            headline = headline_of(donor)
            teaser = [record("related", headline), record("related", headline)]
            if rng.random() < 0.7:
                teaser.append(record("related", "time" + _fill(rng, rng.choice(AGES))))
            if rng.random() < 0.7:
                teaser.append(record("related", f"• {rng.choice(OUTLETS)}"))
            first = _cut_words(donor.paragraphs[0], rng.randint(18, 35), "...")
            teaser.append(record("related", first, first.removesuffix("...")))
            part.append(teaser)
        parts.append(part)
    if rng.random() < P_PREV_NEXT:
        prev_word, next_word = rng.choice(PREV_NEXT)
        prev_line = [record("prev_next", prev_word), record("prev_next", headline_of(prev_donor))]
        next_line = [record("prev_next", next_word), record("prev_next", headline_of(next_donor))]
        parts.append([prev_line, next_line])
    if rng.random() < P_DONT_MISS_IN_FOOTER:
        parts.append([_dont_miss(rng, miss_donor, record)])
    if rng.random() < P_COMMENTS:
        widget = [record("comments", rng.choice(COMMENT_HEADINGS))]
        widget += [record("comments", c) for c in rng.sample(COMMENT_LINES, rng.randint(1, 2))]
        parts.append([widget])
    if rng.random() < P_APP_IN_FOOTER:
        chosen = rng.sample(APP_LINES, rng.randint(1, 2))
        parts.append([[record("app_prompt", line.format(outlet=outlet)) for line in chosen]])
    rng.shuffle(parts)
    if rng.random() < P_GO_TO_TOP:
        parts.append([[record("go_to_top", rng.choice(GO_TO_TOP))]])
    return [block for part in parts for block in part]


def _dont_miss(rng: random.Random, donor: Source, record: _Record) -> Block:
    """A "don't miss" line, sometimes followed by the headline it points to."""
    lines: Block = [record("dont_miss", rng.choice(DONT_MISS))]
    if rng.random() < 0.6:
        lines.append(record("dont_miss", headline_of(donor)))
    return lines


def _join(rng: random.Random, blocks: list[Block]) -> str:
    """Blocks joined by the document's separator style; lines within a block by a newline."""
    style = rng.choice(("blank", "single", "mixed"))
    out: list[str] = []
    for index, block in enumerate(blocks):
        if index:
            blank = style == "blank" if style != "mixed" else rng.random() < 0.5
            if style != "mixed" and rng.random() < P_FLIP_SEPARATOR:
                blank = not blank
            out.append("\n\n" if blank else "\n")
        out.append("\n".join(e.line if isinstance(e, NoiseItem) else e for e in block))
    return "".join(out) + "\n"


def generate(
    ground_truth: Mapping[str, Mapping[str, str]], *, seed: int = 0, limit: int | None = None
) -> list[NoisyArticle]:
    """Noisy documents for the first `limit` usable articles (all when None); filler from all."""
    generator = NoiseGenerator(eligible_sources(ground_truth), seed)
    mains = generator.sources if limit is None else generator.sources[:limit]
    return [generator.make(main) for main in mains]
