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
COUNTRY_WEIGHT = 0.5
LEAD_MIN_WORDS = 20  # a story opens with a full lead sentence, not a one-line quote


@dataclass(frozen=True, slots=True)
class Profile:
    """What a paragraph is about: name keys and content-word stems."""

    names: frozenset[str]
    words: frozenset[str]


def name_keys(text: str, known: frozenset[str] = frozenset()) -> set[str]:
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
        # A capital at a sentence start says nothing ("Industry groups said …"), unless the
        # word is a country or a demonym, which are capitalised everywhere.
        if (
            _SENTENCE_START.search(before)
            and _country_key(lowered).rpartition("_")[2] not in _COUNTRY_KEYS
            and lowered not in known
        ):
            continue
        for part in lowered.split("-"):
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


_COUNTRY_KEYS = frozenset(DEMONYMS.values())


def profile(text: str, known: frozenset[str] = frozenset()) -> Profile:
    """The names and content-word stems of a paragraph (`known`: see `mid_sentence_names`)."""
    words = {w[:6] for w in _WORD.findall(text.lower()) if w not in STOPWORDS}
    return Profile(frozenset(name_keys(text, known)), frozenset(words))


def mid_sentence_names(text: str) -> frozenset[str]:
    """Words written with a capital inside a sentence: names even when they open one."""
    found = set()
    for match in _NAME.finditer(text):
        before = text[max(0, match.start() - 3) : match.start()]
        if not _SENTENCE_START.search(before):
            found.add(re.sub(r"[’']s$", "", match.group(0).lower()).strip("."))
    return frozenset(found)


def _share(part: frozenset[str], whole: set[str], *, names: bool = False) -> float | None:
    if not part:
        return None
    if not names:
        return len(part & whole) / len(part)
    # Countries are shared by many unrelated stories: they weigh half a specific name.
    weight = {key: COUNTRY_WEIGHT if key in _COUNTRY_KEYS else 1.0 for key in part}
    return sum(w for key, w in weight.items() if key in whole) / sum(weight.values())


def continuity(p: Profile, names: set[str], words: set[str]) -> tuple[float | None, float]:
    """Shares of a paragraph's names and words that the story so far already has."""
    return _share(p.names, names, names=True), _share(p.words, words) or 0.0


def unrelated_tail(paragraphs: Sequence[str], title: str | None = None) -> int | None:
    """Index of the first paragraph of appended unrelated stories, or None."""
    if len(paragraphs) < 3:
        return None
    known = mid_sentence_names("\n".join(paragraphs))
    profiles = [profile(text, known) for text in paragraphs]
    salient = _salient(paragraphs, title, known)
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
        new = profiles[i].names - names
        new_specific = len(new - _COUNTRY_KEYS)
        names_salient = bool(profiles[i].names & salient)
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
            and len(paragraphs[i].split()) >= LEAD_MIN_WORDS
            and (name_share or 0.0) <= UNRELATED_NAMES
            and word_share < UNRELATED_WORDS
            and len(new) >= UNRELATED_NEW_NAMES
            # Naming the story's own subject keeps a paragraph, unless it brings a cast.
            and (not names_salient or new_specific >= UNRELATED_NEW_NAMES)
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


def _salient(paragraphs: Sequence[str], title: str | None, known: frozenset[str]) -> set[str]:
    """The story's subject: names in the title, and names said twice in the first paragraphs."""
    counts: dict[str, int] = {}
    for text in paragraphs[:3]:
        for key in name_keys(text, known):
            counts[key] = counts.get(key, 0) + 1
    found = {key for key, n in counts.items() if n >= 2}
    return found | (name_keys(title, known) if title else set())


def off_topic(text: str, story: Profile, known: frozenset[str] = frozenset()) -> bool:
    """True when `text` shares almost no names or words with the story profile."""
    own = profile(text, known)
    name_share, word_share = continuity(own, set(story.names), set(story.words))
    return (name_share or 0.0) <= UNRELATED_NAMES and word_share < UNRELATED_WORDS
