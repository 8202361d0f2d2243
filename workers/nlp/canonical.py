"""Canonical entities of one article: mentions clustered, linked, country-coded, ranked.

1. Mentions: every kept span, with the role phrase around it ("North Korean leader",
   "governor of Russia's Primorsky region") and its honorific (Mr / Ms).
2. Clusters: places, organisations and groups by knowledge-base entry or normalised name;
   people by full name, then a bare or titled surname ("Kim", "Mr Kim") joins the most
   salient person of that name (matching the honorific's gender). Kim Jong Un and Kim Yo-jong
   differ in their full names, so they stay apart.
3. Organisations: an acronym joins the organisation it abbreviates ("KCNA").
4. Linking: knowledge-base name, id, Wikidata QID and country; otherwise the country comes
   from the role ("Russian Defence Minister"), a possessive ("South Korea's unification
   ministry") or a country named inside the name; the id is stable over articles.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from dataclasses import dataclass, field

from spacy.tokens import Doc, Span

from schemas.record import Entity
from schemas.record import Span as TextSpan
from workers.nlp.kb import KbEntry, KnowledgeBase, normalize
from workers.nlp.titles import HONORIFIC_GENDER, ROLE_NOUNS, TITLE_WORDS

KEPT_TYPES = frozenset({"PERSON", "ORG", "GPE", "LOC", "NORP", "FAC"})
_GROUP = {"LOC": "GPE"}  # places the model splits into GPE and LOC are one kind here
_CONNECTORS = frozenset({"of", "the", "for", "and", "'s", "’s", "-", "&"})
# Family names that come first in Korean and Chinese names as written in English news.
FAMILY_FIRST_SURNAMES = frozenset(
    [
        "kim",
        "lee",
        "park",
        "choi",
        "jung",
        "jeong",
        "kang",
        "cho",
        "jo",
        "yoon",
        "yun",
        "jang",
        "lim",
        "han",
        "oh",
        "seo",
        "shin",
        "kwon",
        "hwang",
        "ahn",
        "song",
        "yoo",
        "ryu",
        "hong",
        "moon",
        "xi",
        "li",
        "wang",
        "zhang",
        "liu",
        "chen",
        "yang",
        "huang",
        "zhao",
        "wu",
        "zhou",
        "sun",
        "ma",
        "hu",
        "guo",
        "he",
        "lin",
        "gao",
        "luo",
        "zheng",
        "liang",
        "xie",
        "tang",
        "han",
        "feng",
        "deng",
        "cao",
        "peng",
        "zeng",
        "xiao",
        "tian",
        "dong",
        "pan",
        "yuan",
        "cai",
        "jiang",
        "yu",
        "du",
        "ye",
        "cheng",
        "wei",
        "su",
        "lu",
        "ding",
        "ren",
        "shen",
        "yao",
        "zhu",
    ]
)
_NOT_ROLE = frozenset({"who", "which", "that", "and"})
_STOP_INITIALS = frozenset({"of", "the", "and", "for", "&", "de", "du", "des", "la", "le"})


@dataclass
class Mention:
    """One span of the text that names an entity."""

    span: Span
    label: str
    role: str | None = None
    gender: str | None = None

    @property
    def norm(self) -> str:
        """Normalised text."""
        return normalize(self.span.text)

    @property
    def tokens(self) -> list[str]:
        """Normalised words."""
        return self.norm.split()


@dataclass
class Cluster:
    """Mentions of one entity."""

    label: str
    mentions: list[Mention] = field(default_factory=list)
    entry: KbEntry | None = None

    @property
    def full_names(self) -> list[Mention]:
        """Mentions of two or more words."""
        return [m for m in self.mentions if len(m.tokens) >= 2]

    @property
    def gender(self) -> str | None:
        """The gender an honorific gave this person, if any."""
        return next((m.gender for m in self.mentions if m.gender), None)


def stable_id(entity_type: str, name: str) -> str:
    """An id from type and normalised name: the same name gets the same id in every article."""
    key = f"{entity_type}|{normalize(name)}"
    return f"nf:{entity_type.lower()}:{hashlib.sha256(key.encode()).hexdigest()[:12]}"


def entities_from_doc(doc: Doc, kb: KnowledgeBase) -> list[Entity]:
    """The canonical entities of a processed document."""
    mentions = [_mention(ent) for ent in doc.ents if ent.label_ in KEPT_TYPES]
    clusters = _cluster(mentions, kb)
    _merge_acronyms(clusters)
    # Doc.text joins every token's text on each access: read it once, not once per entity.
    text_length = len(doc.text)
    entities = [_entity(c, kb, text_length) for c in clusters if c.mentions]
    most = max((len(e.mentions) for e in entities), default=1)
    ranked = [e.model_copy(update={"salience": _salience(e, most, text_length)}) for e in entities]
    return sorted(ranked, key=lambda e: (-e.salience, e.mentions[0].start))


# 1. mentions
def _mention(ent: Span) -> Mention:
    label = _GROUP.get(ent.label_, ent.label_)
    mention = Mention(ent, label)
    if label == "PERSON":
        mention.role, mention.gender = _role_before(ent)
        mention.role = mention.role or _appositive_role(ent)
        if mention.gender is None and len(ent) >= 2:
            mention.gender = _pronoun_gender(ent)
    return mention


def _pronoun_gender(ent: Span) -> str | None:
    """'Park Soo-min … said she …': the first personal pronoun after a name in its sentence,
    when the sentence names no one else."""
    others = [e for e in ent.sent.ents if e.label_ == "PERSON" and e.start != ent.start]
    if others:
        return None
    for token in ent.doc[ent.end : ent.sent.end]:
        if token.lower_ in {"he", "him", "his", "himself"}:
            return "m"
        if token.lower_ in {"she", "her", "hers", "herself"}:
            return "f"
    return None


def _role_before(ent: Span) -> tuple[str | None, str | None]:
    """The title phrase right before a name ('Russia's Defence Minister'), and its gender."""
    doc = ent.doc
    i = ent.start - 1
    gender = HONORIFIC_GENDER.get(doc[i].lower_.rstrip(".")) if i >= 0 else None
    start = ent.start
    while i >= 0 and i >= ent.sent.start:
        token = doc[i]
        word = token.lower_.rstrip(".")
        in_name = token.ent_type_ in {"GPE", "NORP", "ORG"}
        if token.ent_type_ == "PERSON":
            break  # another person's name ends the phrase ("Mr Kim and Mr Putin")
        if (
            word in TITLE_WORDS
            or word in ROLE_NOUNS
            or in_name
            or (word in _CONNECTORS and start < ent.start)
        ):
            start = i
            i -= 1
            continue
        break
    while start < ent.start and doc[start].lower_ in _CONNECTORS:
        start += 1
    phrase = doc[start : ent.start]
    words = {t.lower_.rstrip(".") for t in phrase}
    if not words & (ROLE_NOUNS | TITLE_WORDS) or words <= set(HONORIFIC_GENDER):
        return None, gender
    return phrase.text, gender


def _appositive_role(ent: Span) -> str | None:
    """'X, governor of Y,' or 'the leader's sister, X': a role phrase set off by a comma."""
    doc = ent.doc
    after = ent.end
    if after < len(doc) and doc[after].text == ",":
        j = after + 1
        end = j
        while j < len(doc) and j < ent.sent.end and doc[j].text not in {",", ".", ";", "—", "–"}:
            j += 1
            end = j
        phrase = doc[after + 1 : end]
        opens_role = {t.lower_ for t in phrase[:3]} & ROLE_NOUNS or (
            len(phrase) > 0
            and phrase[0].lower_ in {"the", "a", "an"}
            and {t.lower_ for t in phrase} & ROLE_NOUNS
        )
        if 0 < len(phrase) <= 10 and phrase[0].lower_ not in _NOT_ROLE and opens_role:
            return phrase.text
    before = ent.start - 1
    if before > ent.sent.start and doc[before].text == ",":
        j = before - 1
        while j >= ent.sent.start and doc[j].text not in {",", ";", ":", "(", "and"}:
            j -= 1
        phrase = doc[j + 1 : before]
        if 0 < len(phrase) <= 6 and phrase[-1].lower_ in ROLE_NOUNS:
            return phrase.text
    return None


# 2. clusters
def _cluster(mentions: list[Mention], kb: KnowledgeBase) -> list[Cluster]:
    clusters: dict[tuple[str, str], Cluster] = {}
    partial: list[Mention] = []
    for m in mentions:
        entry = kb.lookup(m.span.text, m.label)
        label = m.label
        if entry is not None and entry.type != "PERSON" and m.label != "NORP":
            label = "GPE" if entry.type == "GPE" else entry.type
        if label == "NORP":
            country = kb.country_of(m.span.text)
            key = ("NORP", country or m.norm)
            entry = None
        elif label == "PERSON" and entry is None and len(m.tokens) < 2:
            partial.append(m)
            continue
        else:
            key = (label, entry.id if entry else m.norm)
        cluster = clusters.setdefault(key, Cluster(label, entry=entry))
        cluster.mentions.append(m)
    _merge_name_suffixes(clusters)
    _merge_bare_directions(clusters)
    people = [c for c in clusters.values() if c.label == "PERSON" and c.mentions]
    # Partial names resolve in reading order, so "Mr Kim" follows who has been discussed.
    for m in sorted(partial, key=lambda x: x.span.start_char):
        target = _resolve_partial(m, people)
        if target is None and (known := kb.by_surname(m.span.text)) is not None:
            # A surname no one in the article carries, but one known person does.
            target = next((c for c in people if c.entry == known), None)
            target = target or clusters.setdefault(
                ("PERSON", known.id), Cluster("PERSON", entry=known)
            )
        if target is None:
            target = clusters.setdefault(("PERSON", m.norm), Cluster("PERSON"))
        if target not in people:
            people.append(target)
        target.mentions.append(m)
    for cluster in clusters.values():
        cluster.mentions.sort(key=lambda x: x.span.start_char)
    return list(clusters.values())


def _merge_bare_directions(clusters: dict[tuple[str, str], Cluster]) -> None:
    """'the North' in a story about North Korea is North Korea."""
    places = [c for c in clusters.values() if c.label == "GPE" and c.mentions]
    for bare in places:
        if not bare.mentions:
            continue  # merged into another place already
        word = bare.mentions[0].norm
        if word not in {"north", "south"}:
            continue
        fuller = [
            c
            for c in places
            if c is not bare and c.mentions and c.mentions[0].norm.startswith(word + " ")
        ]
        if len(fuller) == 1:
            fuller[0].mentions.extend(bare.mentions)
            fuller[0].mentions.sort(key=lambda x: x.span.start_char)
            bare.mentions = []


def _merge_name_suffixes(clusters: dict[tuple[str, str], Cluster]) -> None:
    """'Lula da Silva' joins 'Luiz Inacio Lula da Silva': a name that ends a longer one."""
    people = [c for c in clusters.values() if c.label == "PERSON" and c.full_names]
    for short in people:
        words = short.full_names[0].tokens
        longer = [
            c
            for c in people
            if c is not short
            and c.mentions
            and len(c.full_names[0].tokens) > len(words)
            and c.full_names[0].tokens[-len(words) :] == words
        ]
        if len(longer) == 1:
            longer[0].mentions.extend(short.mentions)
            longer[0].entry = longer[0].entry or short.entry
            short.mentions = []


def _resolve_partial(m: Mention, people: list[Cluster]) -> Cluster | None:
    """The person a bare or titled name means.

    Candidates are people introduced before it whose surname it is (the last word of the
    name, or the first for a family-name-first name such as 'Kim Jong-un'). Then: the
    honorific's gender; a namesake introduced in the previous sentences of the same paragraph
    ("Lee Seong-kweun, a lawmaker, said … Lee added …"); else the one mentioned most so far,
    then the most recent.
    """
    word, at = m.norm, m.span.start_char
    ranked = [(c, _surname_rank(word, c)) for c in people]
    best = max((rank for _, rank in ranked), default=0)
    if best == 0:
        return None
    candidates = [c for c, rank in ranked if rank == best]
    earlier = [c for c in candidates if c.mentions and c.mentions[0].span.start_char < at]
    candidates = earlier or candidates
    if m.gender:
        same = [c for c in candidates if c.gender in (None, m.gender)]
        gendered = [c for c in same if c.gender == m.gender]
        candidates = gendered or same
    if not candidates:
        return None
    if len(candidates) > 1 and (recent := _introduced_just_before(m, candidates)) is not None:
        return recent

    def standing(c: Cluster) -> tuple[int, int]:
        before = [x.span.start_char for x in c.mentions if x.span.start_char < at]
        return len(before), max(before, default=-1)

    return max(candidates, key=standing)


def _surname_rank(word: str, c: Cluster) -> int:
    """2: the name's surname; 1: another part of it; 0: not in the name."""
    rank = 0
    for full in c.full_names:
        tokens = full.tokens
        if word == tokens[-1] or (word == tokens[0] and _family_name_first(full)):
            return 2
        if word in tokens:
            rank = 1
    return rank


def _family_name_first(m: Mention) -> bool:
    """Korean and Chinese names put the family name first ('Kim Jong-un', 'Xi Jinping')."""
    return "-" in m.span.text or m.tokens[0] in FAMILY_FIRST_SURNAMES


def _introduced_just_before(m: Mention, candidates: list[Cluster]) -> Cluster | None:
    """A namesake first named in an earlier sentence of the same paragraph, after every other
    candidate was last mentioned: the bare name goes on about the newcomer."""
    doc = m.span.doc
    at = m.span.start_char
    paragraph_start = doc.text.rfind("\n\n", 0, at)
    newcomers = [
        c
        for c in candidates
        if paragraph_start < c.mentions[0].span.start_char < at
        and c.mentions[0].span.sent.start != m.span.sent.start
    ]
    if not newcomers:
        return None
    newcomer = max(newcomers, key=lambda c: c.mentions[0].span.start_char)
    introduced = newcomer.mentions[0].span.start_char
    others_last = max(
        (
            x.span.start_char
            for c in candidates
            if c is not newcomer
            for x in c.mentions
            if x.span.start_char < at
        ),
        default=-1,
    )
    return newcomer if introduced > others_last else None


# 3. acronyms
def _merge_acronyms(clusters: list[Cluster]) -> None:
    orgs = [c for c in clusters if c.label == "ORG" and c.mentions]
    for short in orgs:
        text = short.mentions[0].span.text
        if not (2 <= len(text) <= 6 and text.isupper() and text.isalpha()):
            continue
        for long in orgs:
            if long is short or not long.mentions:
                continue
            words = [
                w for w in long.mentions[0].span.text.split() if w.lower() not in _STOP_INITIALS
            ]
            if len(words) >= 2 and "".join(w[0] for w in words).upper() == text:
                long.mentions.extend(short.mentions)
                long.mentions.sort(key=lambda x: x.span.start_char)
                long.entry = long.entry or short.entry
                short.mentions = []
                break


# 4. linking
def _entity(c: Cluster, kb: KnowledgeBase, length: int) -> Entity:
    surface = [m.span.text for m in c.mentions]
    entry = c.entry
    if entry is None and c.label == "PERSON":
        entry = next((e for m in c.full_names if (e := kb.lookup(m.span.text, "PERSON"))), None)
    if entry is not None:
        name = entry.name
    elif c.label == "PERSON" and c.full_names:
        name = max((m.span.text for m in c.full_names), key=len)
    else:
        name = Counter(surface).most_common(1)[0][0]
    roles = list(dict.fromkeys(m.role for m in c.mentions if m.role))
    return Entity(
        id=entry.id if entry else stable_id(c.label, name),
        name=name,
        type=c.label,  # type: ignore[arg-type]
        country=_country(c, entry, roles, kb),
        wikidata=entry.wikidata if entry else None,
        roles=roles,
        aliases=sorted({s for s in surface if s != name}),
        mentions=[
            TextSpan(text=m.span.text, start=m.span.start_char, end=m.span.end_char)
            for m in c.mentions
        ],
    )


def _country(c: Cluster, entry: KbEntry | None, roles: list[str], kb: KnowledgeBase) -> str | None:
    if entry is not None and (entry.country or entry.capital_of):
        return entry.capital_of or entry.country
    if c.label in {"GPE", "NORP"}:
        for m in c.mentions:
            if country := kb.country_of(m.span.text):
                return country
    for role in roles:
        if country := _country_in(role, kb):
            return country
    if c.label in {"ORG", "FAC"}:
        for m in c.mentions:
            if country := _country_in(m.span.text, kb) or _possessor_country(m.span, kb):
                return country
    return None


def _country_in(text: str, kb: KnowledgeBase) -> str | None:
    """A country named in a phrase: 'Russia's Defence Minister', 'South Korean President'."""
    words = normalize(text).split()
    for size in (3, 2, 1):
        for i in range(len(words) - size + 1):
            if country := kb.country_of(" ".join(words[i : i + size])):
                return country
    return None


def _possessor_country(span: Span, kb: KnowledgeBase) -> str | None:
    """'South Korea's unification ministry' → the possessor's country."""
    doc = span.doc
    i = span.start - 1
    while i >= 0 and doc[i].is_lower and doc[i].is_alpha and i >= span.start - 3:
        i -= 1
    if i >= 1 and doc[i].text in {"'s", "’s"}:
        owner = doc[i - 1]
        if owner.ent_type_ in {"GPE", "NORP"}:
            ent = next((e for e in doc.ents if e.start <= owner.i < e.end), None)
            if ent is not None:
                return kb.country_of(ent.text)
    return None


def _salience(e: Entity, most: int, length: int) -> float:
    """Mentions relative to the most-mentioned entity, plus how early it first appears."""
    frequency = len(e.mentions) / most
    earliness = 1.0 - e.mentions[0].start / max(length, 1)
    return round(min(1.0, 0.7 * frequency + 0.3 * earliness), 3)
