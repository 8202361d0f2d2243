"""Topic segmentation: find unrelated stories glued after the main one with no separator.

Scraped pages often end with the openings of other stories, run straight on from the main
story. We tell them apart by continuity with the lead: a paragraph of the main story names
the people, places and organisations the story is about and reuses its vocabulary; an
appended story brings a cast of its own. Only a *suffix* of the document can be cut, so a
digression in the middle of the main story (followed by a return to its cast) is kept, and
a paragraph that names no one ("“We will not back down,” he said.") goes with its neighbour.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from workers.clean.segment_data import DEMONYMS, GENERIC_NAMES, STOPWORDS

_NAME = re.compile(r"\b[A-Z][\w’'.-]*[\w]")
_WORD = re.compile(r"[a-z]{4,}")
# A paragraph that opens on a quote or refers back ("He said", "But", "The two") continues
# whatever came before: a new story does not open that way.
_CONTINUES = re.compile(
    r"\s*(?:[“\"‘']|(?:he|she|they|it|its|his|her|their|this|that|these|those|but|and|also|"
    r"yet|still|however|meanwhile|instead|asked|both|the\s+two)\b)",
    re.I,
)
_DIRECTIONAL = re.compile(
    r"\b(North|South|East|West|Northern|Southern|Eastern|Western|New|United|Central)\s+(?=[A-Z])(\w)"
)
_SENTENCE_START = re.compile(r"(?:^|[.!?][”\"’)]?\s+|[“\"]|:\s+)$")

LEAD_WORDS = 90  # the lead: paragraphs until this many words, at least two
# A paragraph continues the story when enough of its names, or of its content words, are
# already in the story. It opens another story when it shares almost neither and brings a
# cast of its own (a vox-pop quote introduces one or two people, a new story many names).
RELATED_NAMES = 0.25
RELATED_WORDS = 0.35
UNRELATED_NAMES = 0.20
UNRELATED_WORDS = 0.20
UNRELATED_NEW_NAMES = 3


@dataclass(frozen=True, slots=True)
class Profile:
    """What a paragraph is about: name keys and content-word stems."""

    names: frozenset[str]
    words: frozenset[str]


def name_keys(text: str) -> set[str]:
    """Capitalised tokens as keys ('Kim Jong-un' → kim, jong, un; 'Russian' → russia).

    A direction keeps its noun ('North Korea' → north korea), so North Korea and North
    America share nothing.
    """
    keys: set[str] = set()
    for match in _NAME.finditer(_DIRECTIONAL.sub(r"\1_\2", text)):
        token = match.group(0)
        before = text[max(0, match.start() - 3) : match.start()]
        lowered = re.sub(r"[’']s$", "", token.lower()).strip(".")
        if lowered in STOPWORDS or lowered in GENERIC_NAMES:
            continue
        if _SENTENCE_START.search(before) and lowered in _COMMON_SENTENCE_OPENERS:
            continue
        parts = lowered.split("-")
        for part in parts:
            if len(part) >= 2 and part not in STOPWORDS:
                keys.add(_country_key(part))
    return keys


_COMMON_SENTENCE_OPENERS = frozenset(
    {
        "farmer",
        "airlines",
        "former",
        "huge",
        "milk",
        "multiple",
        "officials",
        "police",
        "residents",
        "experts",
        "analysts",
        "critics",
        "scientists",
        "shares",
        "prices",
    }
)


def _country_key(part: str) -> str:
    """Demonyms to their country: 'russian' → russia, 'romanians' → romania,
    'north_korean' → north_korea."""
    head, sep, tail = part.rpartition("_")
    if tail not in DEMONYMS and tail.endswith("s") and tail[:-1] in DEMONYMS:
        tail = tail[:-1]
    return f"{head}{sep}{DEMONYMS.get(tail, tail)}"


def profile(text: str) -> Profile:
    """The names and content-word stems of a paragraph."""
    words = {w[:6] for w in _WORD.findall(text.lower()) if w not in STOPWORDS}
    return Profile(frozenset(name_keys(text)), frozenset(words))


def _share(part: frozenset[str], whole: set[str]) -> float | None:
    return len(part & whole) / len(part) if part else None


def continuity(p: Profile, names: set[str], words: set[str]) -> tuple[float | None, float]:
    """Shares of a paragraph's names and words that the story so far already has."""
    return _share(p.names, names), _share(p.words, words) or 0.0


def unrelated_tail(paragraphs: Sequence[str]) -> int | None:
    """Index of the first paragraph of appended unrelated stories, or None."""
    if len(paragraphs) < 3:
        return None
    profiles = [profile(text) for text in paragraphs]
    names: set[str] = set()
    words: set[str] = set()
    lead_end, lead_words = 0, 0
    while lead_end < len(paragraphs) and (lead_end < 2 or lead_words < LEAD_WORDS):
        names |= profiles[lead_end].names
        words |= profiles[lead_end].words
        lead_words += len(paragraphs[lead_end].split())
        lead_end += 1
    # related[i]: True (continues the story), False (opens another story), None (unsure:
    # follows its neighbours).
    related: list[bool | None] = [True] * lead_end
    for i in range(lead_end, len(paragraphs)):
        name_share, word_share = continuity(profiles[i], names, words)
        new_names = len(profiles[i].names - names)
        verdict: bool | None = None
        shared_names = name_share or 0.0
        if (
            shared_names >= 2 * RELATED_NAMES
            or (shared_names >= RELATED_NAMES and word_share >= UNRELATED_WORDS)
            or word_share >= RELATED_WORDS
        ):
            verdict = True
        elif (
            not _CONTINUES.match(paragraphs[i])
            and (name_share or 0.0) <= UNRELATED_NAMES
            and word_share < UNRELATED_WORDS
            and new_names >= UNRELATED_NEW_NAMES
        ):
            verdict = False
        related.append(verdict)
        if verdict:
            names |= profiles[i].names
            words |= profiles[i].words
    # Cut the longest suffix that holds no related paragraph and opens on an unrelated one.
    cut = None
    for i in range(len(paragraphs) - 1, lead_end - 1, -1):
        if related[i] is True:
            break
        if related[i] is False:
            cut = i
    return cut
