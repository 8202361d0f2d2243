"""Topic segmentation: find unrelated stories glued after the main one with no separator.

Scraped pages often end with the openings of other stories, run straight on from the main
story. We tell them apart by continuity with the lead: a paragraph of the main story names
the people, places and organisations the story is about and reuses its vocabulary; an
appended story brings a cast of its own. Only a *suffix* of the document can be cut, so a
digression in the middle of the main story (followed by a return to its cast) is kept, and
a paragraph that names no one ("“We will not back down,” he said.") goes with its neighbour.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

from wordfreq import get_frequency_dict, zipf_frequency

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
# Word shares are weighted by rarity, so sharing 'cocoa' counts and sharing 'said' does not.
# Tuned together on the labelled fixtures, the seeds and the noise-injected benchmark.
RELATED_NAMES = 0.25
UNRELATED_NAMES = 0.30
UNRELATED_WORDS = 0.15
UNRELATED_NEW_NAMES = 3
FOREIGN_WORDS = 0.05  # below this share of the story's words a paragraph is off topic
RETURN_WORDS = 0.20  # a later paragraph this close to the text before a cut undoes the cut
COUNTRY_WEIGHT = 0.5  # countries are shared by many unrelated stories
LEAD_MIN_WORDS = 20  # a story opens with a full lead sentence, not a one-line quote
MAX_TAIL = 40  # appended stories sit at the end: only so many paragraphs are candidates
RARITY_CEILING = 7.0  # rarity = ceiling − Zipf frequency ('the' ≈ 0, 'cocoa' ≈ 3.4)


@dataclass(frozen=True, slots=True)
class Profile:
    """What a paragraph is about: name keys and content-word stems."""

    names: frozenset[str]
    words: frozenset[str]


@lru_cache(maxsize=65536)
def rarity(stem: str) -> float:
    """How much sharing a word says: near 0 for 'said', about 3 for 'cocoa' (7 − Zipf)."""
    return max(0.0, RARITY_CEILING - zipf(stem))


def zipf(word: str) -> float:
    """`wordfreq.zipf_frequency(word, "en")`, read straight from its word list.

    For a lowercase a-z word wordfreq's tokenizer returns the word itself, so the same
    lookup and rounding give the same value (tests/unit/clean/test_zipf.py checks every
    such word of the list) without the tokenizer, which was 40% of the cleaner's time.
    """
    if not (word.isascii() and word.isalpha() and word.islower()):
        return zipf_frequency(word, "en")
    freq = max(get_frequency_dict("en").get(word, 0.0), 1e-9)  # 1e-9: Zipf 0, the floor
    freq = round(freq, math.floor(-math.log10(freq)) + 3)  # wordfreq: 3 significant digits
    return round(math.log10(freq) + 9, 2)


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


def _country_key(part: str) -> str:
    """Demonyms to their country: 'russian' → russia, 'romanians' → romania,
    'north_korean' → north_korea."""
    head, sep, tail = part.rpartition("_")
    if tail not in DEMONYMS and tail.endswith("s") and tail[:-1] in DEMONYMS:
        tail = tail[:-1]
    return f"{head}{sep}{DEMONYMS.get(tail, tail)}"


_COUNTRY_KEYS = frozenset(DEMONYMS.values())


def profile(text: str, known: frozenset[str] = frozenset()) -> Profile:
    """The names and content words of a paragraph (`known`: see `mid_sentence_names`)."""
    words = {_singular(w) for w in _WORD.findall(text.lower()) if w not in STOPWORDS}
    return Profile(frozenset(name_keys(text, known)), frozenset(words))


def _singular(word: str) -> str:
    """'prices' → 'price', 'countries' → 'country': plurals share with singulars."""
    if word.endswith("ies") and len(word) > 4:
        return word[:-3] + "y"
    if word.endswith("s") and not word.endswith(("ss", "us", "is")) and len(word) > 4:
        return word[:-1]
    return word


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
        # Sharing 'said' or 'government' says little; sharing 'cocoa' says a lot.
        total = sum(rarity(w) for w in part)
        return sum(rarity(w) for w in part if w in whole) / total if total else 0.0
    # Countries are shared by many unrelated stories: they weigh half a specific name.
    weight = {key: COUNTRY_WEIGHT if key in _COUNTRY_KEYS else 1.0 for key in part}
    return sum(w for key, w in weight.items() if key in whole) / sum(weight.values())


def continuity(p: Profile, names: set[str], words: set[str]) -> tuple[float | None, float]:
    """Shares of a paragraph's names and words that the story so far already has."""
    return _share(p.names, names, names=True), _share(p.words, words) or 0.0


def unrelated_tail(paragraphs: Sequence[str], title: str | None = None) -> int | None:
    """Index of the first paragraph of appended unrelated stories, or None.

    A cut at k needs paragraph k to open another story (a lead of its own, sharing almost
    nothing with the text before it) and no later paragraph to return to the text before k:
    appended stories relate to one another, never to the main story.
    """
    n = len(paragraphs)
    if n < 3:
        return None
    known = mid_sentence_names("\n".join(paragraphs))
    profiles = [profile(text, known) for text in paragraphs]
    salient = _salient(paragraphs, title, known)
    lead_end, lead_words = 0, 0
    while lead_end < n and (lead_end < 2 or lead_words < LEAD_WORDS):
        lead_words += len(paragraphs[lead_end].split())
        lead_end += 1
    first = max(lead_end, n - MAX_TAIL)
    names: set[str] = set().union(*(p.names for p in profiles[:first]))
    words: set[str] = set().union(*(p.words for p in profiles[:first]))
    for k in range(first, n):
        if _opens_story(paragraphs[k], profiles[k], names, words, salient) and not any(
            _returns(profiles[j], names, words) for j in range(k + 1, n)
        ):
            return k
        names |= profiles[k].names
        words |= profiles[k].words
    return None


def _returns(p: Profile, names: set[str], words: set[str]) -> bool:
    """True when a paragraph plainly continues the text summarised by `names` and `words`."""
    name_share, word_share = continuity(p, names, words)
    shared = name_share or 0.0
    # Names alone do not bring a paragraph back: unrelated stories share countries and cities.
    return word_share >= RETURN_WORDS or (shared >= 2 * RELATED_NAMES and word_share >= 0.1)


def _opens_story(
    text: str, p: Profile, names: set[str], words: set[str], salient: set[str]
) -> bool:
    """True when a paragraph reads as the lead of another story."""
    if _CONTINUES.match(text) or len(text.split()) < LEAD_MIN_WORDS:
        return False
    name_share, word_share = continuity(p, names, words)
    if (name_share or 0.0) > UNRELATED_NAMES:
        return False
    new = p.names - names
    specific = len(new - _COUNTRY_KEYS)
    if word_share < FOREIGN_WORDS and len(new) >= 2:
        return True  # nothing of the story's vocabulary, and a cast of its own
    # Naming the story's own subject keeps a paragraph, unless it brings a whole cast.
    return (
        word_share < UNRELATED_WORDS
        and len(new) >= UNRELATED_NEW_NAMES
        and (not p.names & salient or specific >= UNRELATED_NEW_NAMES)
    )


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
