"""Events of the main story: who did what to whom, when and where, coded in PLOVER.

For each sentence of the parsed story:
1. Triggers: verbs of the lexicon (with the objects some senses need), intent frames
   ('pledged to deepen cooperation' → AGREE, 'vowed to support' → SUPPORT) and nouns whose
   frame names the actors ('Putin's visit to Pyongyang', 'accusations by Seoul that …').
2. Actors from the syntax: subject (inherited by xcomp, conj and advcl verbs), object or
   prepositional object, the agent of a passive, possessors; coordination gives one event
   per actor ('South Korea and the US accused …'); pronouns take the last fitting entity.
   Each actor is a canonical entity with its country.
3. Date (a date phrase attached to the trigger, resolved against publication), location
   ('in Pyongyang'), modality (negated, future, hypothetical, alleged, reported_by),
   evidence and a confidence. An event needs at least one resolved actor.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime

from spacy.tokens import Doc, Token

from schemas.ontology import load_ontology
from schemas.record import Entity, Event, EventActor, EventLocation, Modality, Span
from workers.nlp import event_lexicon as lex
from workers.nlp.canonical import stable_id
from workers.nlp.event_dates import resolve_date

_SUBJECTS = {"nsubj", "nsubjpass", "csubj"}
_OBJECTS = {"dobj", "obj", "attr", "oprd"}
# 'officials are due to meet': acomp lets the raising adjective pass its subject down.
_INHERITS = {"xcomp", "conj", "advcl", "ccomp", "pcomp", "acl", "relcl", "acomp"}
_PRONOUN_PERSON = {"he", "she", "him", "her", "his"}
_PRONOUN_GROUP = {"it", "its", "they", "them", "their"}
_PRONOUNS = _PRONOUN_PERSON | _PRONOUN_GROUP | {"she", "we", "i"}
_LOCATION_TYPES = {"GPE", "LOC", "FAC"}
_ACTOR_TYPES = {"PERSON", "ORG", "GPE", "NORP", "LOC", "FAC"}


@dataclass
class Candidate:
    """A trigger with its CAMEO code and the tokens that fill its roles."""

    trigger: Token
    cameo: str
    sources: list[Token]
    targets: list[Token]
    confidence: float
    alleged: bool = False


_SYMMETRIC = {"CONSULT", "COOPERATE"}
_RELATING = {"AGREE", "SUPPORT", "COOPERATE", "CONSULT", "AID"}
# Words that make 'called X …' a condemnation.
_CONDEMNING = frozenset(
    """illegal unlawful unjust illegitimate provocation provocative violation aggression
    aggressive reckless irresponsible dangerous destabilising destabilizing hostile terrorism
    criminal unacceptable""".split()
)
# Nouns that name a relationship the story told earlier: both of its sides.
_RELATION_NOUNS = frozenset(
    """partnership cooperation tie relation relationship alliance deal pact treaty agreement
    meeting summit talks""".split()
)
_OBJECT_IS_TARGET = {"173", "174"}  # arrests, expulsions: done to the object
_IMPLICIT_COUNTERPART = {"MOBILIZE", "RETREAT", "THREATEN", "SANCTION"}
# Relief and money go to the country the story is about; weapons sent 'into the waters near
# the island' are not aid, so military aid needs a named recipient.
_IMPLICIT_RECIPIENT = {"071", "073", "033"}
_PAIRED = frozenset(
    """side country nation leader government minister president delegation army navy
    neighbour neighbor ally state""".split()
)
# Generic domestic actors (after the CAMEO agent codes GOV, COP, MIL, OPP, CVL, LAB).
_DOMESTIC = frozenset(
    """government authorities police army military troops soldiers protester protesters
    demonstrator demonstrators marcher marchers student students farmer farmers worker workers
    union unions opposition lawmaker lawmakers parliament junta people civilians residents
    activists""".split()
)
_QUANTITIES = frozenset("tens hundreds thousands millions dozens scores crowds".split())
_ROLE_HEADS = {
    "minister",
    "ministry",
    "president",
    "government",
    "army",
    "military",
    "leader",
    "envoy",
    "ambassador",
    "delegation",
    "forces",
    "troops",
    "navy",
    "spokesman",
    "spokeswoman",
    "prime",
    "chancellor",
    "king",
    "parliament",
    "embassy",
}


class Resolver:
    """Tokens → canonical entities, through the mentions' character offsets."""

    def __init__(self, doc: Doc, entities: list[Entity]) -> None:
        self.history: list[tuple[str, list[Entity]]] = []  # (trigger lemma, who did it)
        self.pairs: list[tuple[Entity, Entity]] = []  # sides of relationships told so far
        # The story's country: the most salient place with a country.
        self.home = next((e.country for e in entities if e.type == "GPE" and e.country), None)
        self.by_id = {e.id: e for e in entities}
        self.by_char: dict[int, Entity] = {}
        for entity in entities:
            for m in entity.mentions:
                for i in range(m.start, m.end):
                    self.by_char[i] = entity
        self.doc = doc
        self.quoted = _quote_speakers(doc)

    def at(self, token: Token) -> Entity | None:
        """The entity a token is part of."""
        return self.by_char.get(token.idx)

    def actor(self, token: Token, depth: int = 0) -> Entity | None:
        """The entity a noun phrase headed by `token` denotes."""
        if (entity := self.at(token)) is not None:
            return entity
        low = token.lower_
        if token.dep_ == "poss" and token.pos_ == "PRON":
            # 'its foreign minister' names the country's official; 'its offensive' or
            # 'their summit' too often someone else's.
            if token.head.lemma_.lower() in _ROLE_HEADS:
                return self._antecedent(token, None)
            return None
        if low in _PRONOUN_PERSON or low in _PRONOUN_GROUP:
            return self._antecedent(token, "PERSON" if low in _PRONOUN_PERSON else None)
        # 'the Russian leader', "North Korea's state media", 'the government of Mali'.
        modifiers = [c for c in token.children if c.dep_ in {"compound", "amod", "poss", "nmod"}]
        found = [
            e
            for t in modifiers
            if (e := self.at(t) or (self.actor(t, depth + 1) if t.pos_ == "PRON" else None))
            is not None
        ]
        if found:
            return found[0]
        # 'Thousands of Serbian students', 'the government of Mali': look through 'of'.
        for c in token.children:
            # 'a proposal from Brazil', 'a statement by the ministry', 'the government of Mali'
            if c.dep_ == "prep" and c.lower_ in {"of", "from", "by"} and depth < 2:
                for p in c.children:
                    if p.dep_ == "pobj" and (e := self.actor(p, depth + 1)) is not None:
                        return e
        return None

    def pair(self, token: Token) -> list[Entity]:
        """'the two sides', 'both countries', 'the two ministers': the last two countries
        the story named before the phrase."""
        counted = any(c.lower_ in {"two", "both"} for c in token.children)
        if not counted or token.lemma_.lower() not in _PAIRED:
            return []
        if self.pairs and token.lemma_.lower() in {"leader", "side", "minister", "president"}:
            # 'Seoul's president held talks with Japan's … The two leaders signed': the two
            # sides of the last relationship told, in the order told.
            return list(self.pairs[-1])
        found: list[Entity] = []
        seen: set[str] = set()
        for t in reversed(self.doc[max(0, token.i - 150) : token.i]):
            e = self.at(t)
            if e is not None and e.country and e.country not in seen:
                seen.add(e.country)
                found.append(self.country_entity(e))
                if len(found) == 2:
                    # The story's main actor first: entities come ranked by salience.
                    rank = {e.id: i for i, e in enumerate(self.by_id.values())}
                    return sorted(found, key=lambda e: rank.get(e.id, len(rank)))
        return []

    def counterpart(self, token: Token, source: Entity) -> Entity | None:
        """The most recent country, other than the source's, named in this sentence or the
        two before it."""
        sents = list(self.doc.sents)
        index = next(i for i, s in enumerate(sents) if s.start <= token.i < s.end)
        start = sents[max(0, index - 2)].start
        for t in reversed(self.doc[start : token.sent.end]):
            e = self.at(t)
            if (
                e is not None
                and e.country
                and e.country != source.country
                and e.type in {"GPE", "NORP", "ORG", "PERSON"}
            ):
                return self.country_entity(e)
        return None

    def country_entity(self, e: Entity) -> Entity:
        """The story's entity for e's country ('Pyongyang' → North Korea), else e itself."""
        return next(
            (c for c in self.by_id.values() if c.type == "GPE" and c.country == e.country), e
        )

    def government(self, country: str) -> Entity:
        """The government of a country, as a generic domestic actor."""
        return Entity(
            id=stable_id("ORG", f"{country} government"),
            name=f"government ({country})",
            type="ORG",
            country=country,
        )

    def domestic(self, token: Token) -> Entity | None:
        """'police', 'the government', 'farmers' with no country named: the story's country."""
        lemma = token.lemma_.lower()
        if lemma not in _DOMESTIC and token.lower_ in _QUANTITIES:
            # 'tens of thousands of workers': the workers
            inner = [p for c in token.children if c.lower_ == "of" for p in c.children]
            return self.domestic(inner[0]) if inner else None
        if lemma not in _DOMESTIC or self.home is None:
            return None
        return Entity(
            id=stable_id("ORG", f"{self.home} {lemma}"),
            name=f"{lemma} ({self.home})",
            type="ORG",
            country=self.home,
        )

    def earlier_sides(self, token: Token) -> list[Entity]:
        """'such a military partnership', 'the ties': both sides of the relationship told
        last ('Kim and Putin signed …')."""
        if token.lemma_.lower() not in _RELATION_NOUNS or not self.pairs:
            return []
        return list(self.pairs[-1])

    def earlier_event_actors(self, token: Token) -> list[Entity]:
        """'condemned the expulsions': who did the expelling, from an earlier event."""
        lemma = token.lemma_.lower()
        if lemma not in lex.EVENT_NOUNS:
            return []
        wanted = lex.EVENT_NOUNS[lemma]
        for trigger, sources in reversed(self.history):
            if not wanted or trigger in wanted:
                return sources
        return []

    def antecedent_token(self, pronoun: Token) -> Token | None:
        """The noun phrase a plural pronoun stands for ('the Indian and Japanese navies …
        they held'): a subject stands for a subject; an object never for its own clause's
        subject; 'them' also for a plural noun of a country ('Venezuelan commanders')."""
        as_subject = pronoun.dep_ in _SUBJECTS
        own_subjects = {c.i for c in pronoun.head.children if c.dep_ in _SUBJECTS}
        sents = list(self.doc.sents)
        index = next(i for i, s in enumerate(sents) if s.start <= pronoun.i < s.end)
        for t in reversed(self.doc[sents[max(0, index - 1)].start : pronoun.i]):
            if t.i in own_subjects or t.pos_ not in {"NOUN", "PROPN"}:
                continue
            plural = t.tag_ in {"NNS", "NNPS"} or any(c.dep_ == "conj" for c in t.children)
            if not plural or (as_subject and t.dep_ not in _SUBJECTS):
                continue
            if t.dep_ in {"compound", "amod", "poss"}:
                continue
            if self.actor(t) is not None or any(
                self.at(c) is not None for c in t.children if c.dep_ in {"amod", "compound"}
            ):
                return t
        return None

    def _antecedent(self, token: Token, wanted: str | None) -> Entity | None:
        best: Entity | None = None
        for t in self.doc[max(0, token.i - 80) : token.i]:
            if (
                t.dep_ in _SUBJECTS
                and t.pos_ == "NOUN"
                and self.at(t) is None
                and t.lemma_.lower() in _ROLE_HEADS
                and (e := self.actor(t, depth=1)) is not None
            ):
                best = e  # 'Serbia's president … he': the president's country
                continue
            e = self.at(t)
            if (
                e is not None
                and t.dep_ in _SUBJECTS | _OBJECTS | {"pobj", "appos", "ROOT"}
                and ((wanted is None and e.type in {"ORG", "GPE", "NORP"}) or e.type == wanted)
            ):
                best = e
        return best


def extract_events(
    doc: Doc, entities: list[Entity], published: date | datetime | None
) -> list[Event]:
    """Every event of the document, coded and explained."""
    resolver = Resolver(doc, entities)
    ontology = load_ontology()
    day = published.date() if isinstance(published, datetime) else published
    events: dict[str, Event] = {}
    retold: set[tuple[object, ...]] = set()
    for sent in doc.sents:
        seen: set[tuple[str, frozenset[str]]] = set()
        for cand in _candidates(sent, resolver):
            for event in _events(cand, resolver, ontology, day):
                pair = frozenset(a.entity_id or a.name for a in (event.source, event.target) if a)
                if event.type in _SYMMETRIC and (event.type, pair) in seen:
                    continue  # 'the meeting between Kim and Shoigu', told twice
                seen.add((event.type, pair))
                if event.type in _RELATING and event.source and event.target:
                    sides = (
                        resolver.by_id.get(event.source.entity_id or ""),
                        resolver.by_id.get(event.target.entity_id or ""),
                    )
                    if all(sides):
                        resolver.pairs.append(sides)  # type: ignore[arg-type]
                told = _retelling_key(event)
                if told in retold:
                    continue  # the same event told again later in the story
                retold.add(told)
                events.setdefault(
                    event.id, event.model_copy(update={"fingerprint": fingerprint(event)})
                )
    return sorted(events.values(), key=lambda e: (e.evidence.start, e.trigger.start))


# 1. triggers
def _candidates(sent: object, resolver: Resolver) -> Iterator[Candidate]:
    for token in sent:  # type: ignore[attr-defined]
        if token.pos_ in {"VERB", "AUX"} or (token.pos_ == "NOUN" and token.tag_.startswith("VB")):
            yield from _verb(token)
        if token.pos_ in {"NOUN", "PROPN"} and (
            token.lower_ in lex.NOUNS or token.lemma_.lower() in lex.NOUNS
        ):
            yield from _noun(token)


def _embedded(v: Token) -> bool:
    """A verb that is part of another frame, not an event of its own: the act in
    'accused X of sending', the threat in 'threatened to strike', the plan in 'a proposal to
    hold talks', the condition in 'if China did not press'."""
    head = v.head
    if v.dep_ == "pcomp" and head.lower_ == "of" and head.head.lemma_.lower() in _FRAMING:
        return True
    if v.dep_ == "xcomp" and head.lemma_.lower() in {"threaten", "warn", "refuse", "decline"}:
        return True  # the threat, or the refusal (REJECT), is the event
    if v.dep_ in {"acl", "relcl", "xcomp"} and head.lemma_.lower() in _PROPOSALS:
        return True
    # A condition ('if China did not do more to press …') is not an event: look up the
    # clause chain for a conditional marker.
    clause, hops = v, 0
    while hops < 4:
        if any(c.dep_ == "mark" and c.lower_ in {"if", "unless"} for c in clause.children):
            return True
        if clause.dep_ not in {"xcomp", "advcl", "ccomp", "conj", "acl"} or clause.head is clause:
            return False
        clause, hops = clause.head, hops + 1
    return False


_FRAMING = {"accuse", "suspect", "charge", "blame"}
_PROPOSALS = {
    "proposal",
    "plan",
    "offer",
    "call",
    "demand",
    "request",
    "bid",
    "attempt",
    "effort",
    "idea",
    "initiative",
}


def _verb(v: Token) -> Iterator[Candidate]:
    if trigger_lemma(v) in lex.INTENT_VERBS and not _embedded(v):
        yield from _intent(v)
    if not _embedded(v):
        yield from _verb_frame(v)


def trigger_lemma(token: Token) -> str:
    """The token's lemma, or its surface form stripped of an inflection when the small
    model's lemmatizer misses a trigger ('staged' → 'stag')."""
    lemma = token.lemma_.lower()
    if lemma in lex.VERBS or lemma in lex.INTENT_VERBS:
        return lemma
    low = token.lower_
    for suffix, repl in (
        ("ied", "y"),
        ("ies", "y"),
        ("ing", ""),
        ("ing", "e"),
        ("ed", ""),
        ("ed", "e"),
        ("d", ""),
        ("es", ""),
        ("s", ""),
    ):
        if low.endswith(suffix) and (base := low[: -len(suffix)] + repl) in lex.VERBS:
            return base
    return lemma


def _verb_frame(v: Token) -> Iterator[Candidate]:
    lemma = trigger_lemma(v)
    if lemma == "call" and any(c.dep_ == "prep" and c.lower_ in {"for", "on"} for c in v.children):
        asked = _targets(v, ("on", "with", "to")) or [
            t
            for c in v.children
            if c.dep_ == "prep" and c.lower_ == "for"
            for p in c.children
            if p.dep_ == "pobj"
            for t in _targets_in(p, ("with",))
        ]
        yield Candidate(v, "100", _subjects(v), asked, 0.8)
        return
    if lemma in {"demand", "insist", "urge", "ask"} and not any(
        c.dep_ in _OBJECTS for c in v.children
    ):
        mandate = next(
            (
                c
                for c in v.children
                if c.dep_ == "ccomp"
                and (c.tag_ == "VB" or any(a.lower_ in {"should", "must"} for a in c.children))
            ),
            None,
        )
        if mandate is not None:
            # 'demanding that the government ban imports', 'insisting that troops first
            # leave': a bare verb or 'should' in the clause makes it a demand on its subject.
            yield Candidate(v, "100", _subjects(v), _subjects(mandate), 0.8)
            return
    if lemma == "host" and (
        talks := next(
            (c for c in v.children if c.dep_ in _OBJECTS and c.lemma_.lower() in lex.MEETING),
            None,
        )
    ):
        # 'Qatar hosted talks between Congo and Rwanda': the host consults each side, and
        # the two sides consult each other.
        sides = [
            q
            for h in (talks, v)
            for c in h.children
            if c.dep_ == "prep" and c.lower_ == "between"
            for p in c.children
            if p.dep_ == "pobj"
            for q in _parties(p)
        ]
        yield Candidate(v, "043", _subjects(v), sides, 0.8)
        if len(sides) >= 2:
            yield Candidate(talks, "040", sides[:1], sides[1:2], 0.75)
        return
    if lemma == "welcome":
        guest = [c for c in v.children if c.dep_ in _OBJECTS]
        hosting = bool(guest) and _is_actor_like(guest[0])
        # Welcoming a person is hosting a visit; welcoming a decision is praise.
        yield Candidate(v, "043" if hosting else "051", _subjects(v), guest, 0.8)
        return
    if lemma == "refuse":
        for w in (c for c in v.children if c.dep_ == "xcomp"):
            # 'refused to meet the Swedish envoy': a rejection of the envoy's side
            yield Candidate(v, "120", _subjects(v), _targets(w, ("with", "to", "for")), 0.8)
            return
    if lemma in {"drop", "lift", "withdraw", "abandon"} and (
        (obj := next((c for c in v.children if c.dep_ in _OBJECTS), None)) is not None
        and obj.lemma_.lower() in lex.OBJECTIONS
    ):
        # 'dropped its objection to Sweden's bid', 'lifted its entry ban on journalists'
        yield Candidate(
            v,
            "080",
            _subjects(v),
            _targets_in(obj, ("to", "on", "against")) or _targets_in(v, ("to", "on", "against")),
            0.8,
        )
        return
    if lemma == "share" and any(
        c.lemma_.lower() in lex.INTELLIGENCE for c in v.children if c.dep_ in _OBJECTS
    ):
        yield Candidate(v, "064", _subjects(v), _targets_in(v, ("with",)), 0.8)
        return
    if lemma == "hold" and any(
        c.lemma_.lower() == "patrol" for c in v.children if c.dep_ in _OBJECTS
    ):
        yield Candidate(v, "062", _subjects(v), _targets_in(v, ("with",)), 0.75)
        return
    if lemma in {"call", "label", "brand", "describe", "term"} and any(
        c.dep_ in {"oprd", "xcomp", "ccomp", "acomp", "dobj"}
        and any(t.lemma_.lower() in _CONDEMNING for t in c.subtree)
        for c in v.children
    ):
        # 'called such a military partnership "illegal and unjust"'
        yield Candidate(v, "111", _subjects(v), [c for c in v.children if c.dep_ in _OBJECTS], 0.8)
        return
    if lemma == "pay" and any(
        c.lemma_.lower() in {"tribute", "homage", "respect"}
        for c in v.children
        if c.dep_ in _OBJECTS
    ):
        honoured = _targets_in(v, ("to",)) or [
            t for o in v.children if o.dep_ in _OBJECTS for t in _targets_in(o, ("to",))
        ]
        yield Candidate(v, "051", _subjects(v), honoured, 0.8)
        return
    if lemma in {"place", "put", "raise"} and any(t.lower_ == "alert" for t in v.subtree):
        yield Candidate(v, "152", _subjects(v), [], 0.8)
        return
    if lemma == "reach" and any(c.dep_ == "prt" and c.lower_ == "out" for c in v.children):
        yield Candidate(v, "032", _subjects(v), _targets_in(v, ("to",)), 0.75)
        return
    if lemma == "take" and any(c.lower_ == "aim" for c in v.children):
        yield Candidate(v, "111", _subjects(v), _targets_in(v, ("at",)), 0.8)
        return
    for sense in lex.VERBS.get(lemma, []):
        cameo = sense.cameo
        thing = None
        if sense.objects is not None:
            thing = _material_object(v)
            lemmas = _object_lemmas(thing) if thing is not None else set()
            if thing is not None and thing.dep_ in _OBJECTS:
                # 'a counter-protest' may come as three objects: 'counter', '-', 'protest'.
                for other in (c for c in v.children if c.dep_ in _OBJECTS and c is not thing):
                    lemmas |= _object_lemmas(other)
            matched = next((code for cls, code in sense.objects.items() if lemmas & cls), None)
            if matched is None:
                continue
            cameo = matched
        passive = any(c.dep_ in {"nsubjpass", "auxpass"} for c in v.children)
        if passive:
            sources = [
                p for c in v.children if c.dep_ == "agent" for p in c.children if p.dep_ == "pobj"
            ]
            targets = [c for c in v.children if c.dep_ == "nsubjpass"]
        else:
            sources = _subjects(v)
            if cameo.startswith("07"):
                targets = _recipients(v)
            elif cameo in _OBJECT_IS_TARGET and thing is not None:
                targets = [thing]  # 'expelled two Croatian diplomats': the diplomats
            elif sense.objects is not None and thing is not None:
                # 'held talks with X', 'imposed sanctions on X': the object is the thing,
                # the target is in a preposition of the verb or of the object.
                inner = [
                    p
                    for c in thing.children
                    if c.dep_ == "prep" and c.lower_ == "of"
                    for p in c.children
                    if p.dep_ == "pobj"
                ]
                targets = [
                    t for h in (v, thing, *inner) for t in _targets_in(h, sense.target_preps)
                ]
            else:
                targets = _targets(v, sense.target_preps)
            if cameo.startswith("13") and not targets:
                # 'threatened to retaliate against Estonian companies'
                targets = [
                    t
                    for c in v.children
                    if c.dep_ == "xcomp"
                    for t in _targets(c, ("against", "on", "at"))
                ]
            if cameo.startswith("15") and (abroad := _targets_in(v, ("to",))):
                cameo, targets = "072", abroad  # troops sent to another country to help it
            if cameo == "072" and targets and all(t.lemma_.lower() in lex.FRONTS for t in targets):
                cameo, targets = "154", []  # troops sent 'to the border': a mobilisation
            if cameo.startswith("04") and lemma in {"discuss", "talk", "negotiate"}:
                # 'discussing joint exercises with North Korea': the partner is in the object.
                partners = _targets_in(v, ("with",)) or [
                    p for o in v.children if o.dep_ in _OBJECTS for p in _targets_in(o, ("with",))
                ]
                targets = partners
        yield Candidate(v, cameo, sources, targets, sense.confidence)
        if lemma == "accuse":
            yield from _alleged_from_accusation(v, targets)
        return


def _intent(v: Token) -> Iterator[Candidate]:
    """'pledged to deepen cooperation with Russia' (AGREE); 'promised full support for
    Russia' (SUPPORT); 'reaffirmed a pledge to deepen co-operation with Russia' (AGREE)."""
    heads = [v, *[c for c in v.children if c.dep_ in _OBJECTS and c.lemma_ == "pledge"]]
    for head in heads:
        for w in head.children:
            if w.dep_ in {"xcomp", "acl", "relcl"} and w.lemma_.lower() in lex.DEEPEN_VERBS:
                objects = [c for c in w.children if c.dep_ in _OBJECTS]
                # 'co-operation' may come as three tokens: 'co', '-', 'operation'.
                words = {c.lemma_.lower() for c in objects} | {
                    "".join(c.text for c in objects).lower()
                }
                if words & lex.COOPERATION:
                    targets = [t for o in objects for t in _targets_in(o, ("with",))]
                    yield Candidate(
                        v, "030", _subjects(v), targets or _targets_in(w, ("with",)), 0.85
                    )
    for obj in (c for c in v.children if c.dep_ in _OBJECTS):
        lemmas = _object_lemmas(obj)
        if v.lemma_.lower() in {"pledge", "promise", "offer"} and (
            lemmas & (lex.ECONOMIC | lex.HUMANITARIAN | lex.MATERIEL)
            or obj.like_num
            or any(t.like_num for t in obj.children)
        ):
            # 'pledged 5 billion kroner to help Kyiv': intent to provide aid
            yield Candidate(
                v, "033", _subjects(v), _recipients(v) or _targets_in(obj, ("for", "to")), 0.8
            )
        if obj.lemma_.lower() in lex.SUPPORT_NOUNS:
            yield Candidate(v, "051", _subjects(v), _targets_in(obj, ("for", "to")), 0.85)


def _noun(n: Token) -> Iterator[Candidate]:
    cameo = lex.NOUNS.get(n.lower_) or lex.NOUNS[n.lemma_.lower()]
    if (
        cameo == "141"
        and n.dep_ in _OBJECTS
        and n.head.lemma_.lower() in {"lodge", "file", "deliver", "issue", "register", "make"}
    ):
        # 'lodged a diplomatic protest with Beijing': a complaint (ACCUSE), not a protest.
        against = _targets_in(n.head, ("with", "to")) or _targets_in(n, ("with", "to", "over"))
        yield Candidate(n, "111", _subjects(n.head), against, 0.8)
        return
    if (
        n.head.lemma_.lower() in {"hold", "sign", "impose", "stage", "conduct"}
        and n.dep_ in _OBJECTS
    ):
        return  # the verb frame codes it
    if n.head.lemma_.lower() in {"violate", "breach", "evade", "defy", "flout", "circumvent"}:
        return  # 'would violate U.N. sanctions': the sanctions are a standing condition
    sources = [p for c in n.children if c.dep_ == "poss" for p in [c]]
    sources += [
        p
        for c in n.children
        if c.dep_ == "prep" and c.lower_ in {"by", "from"}
        for p in c.children
        if p.dep_ == "pobj"
    ]
    sources += [c for c in n.children if c.dep_ in {"compound", "nmod"}] if cameo == "163" else []
    preps = ("to", "on", "against", "with", "at") + (("of",) if cameo.startswith("19") else ())
    targets = _targets_in(n, preps)
    between = [
        p
        for c in n.children
        if c.dep_ == "prep" and c.lower_ == "between"
        for p in c.children
        if p.dep_ == "pobj"
    ]
    if between:
        sources, targets = between[:1], [c for c in between[0].conjuncts][:1]
    if cameo == "112" and not targets:
        # 'accusations … that Mr Kim is helping Russia': the accused is the clause's subject.
        clause = next((c for c in n.children if c.dep_ in {"acl", "ccomp", "relcl"}), None)
        if clause is not None:
            targets = _subjects(clause)
    if cameo == "163" and not targets:
        holder = n.head.head if n.head.dep_ == "prep" else None
        if holder is not None:
            targets = _subjects(holder)
    yield Candidate(n, cameo, sources, targets, 0.75)


def _alleged_from_accusation(v: Token, accused: list[Token]) -> Iterator[Candidate]:
    """'accused North Korea of sending weapons to Russia' → an alleged AID event."""
    for prep in (c for c in v.children if c.dep_ == "prep" and c.lower_ == "of"):
        for act in (c for c in prep.children if c.dep_ in {"pcomp", "pobj"}):
            for cand in _verb_frame(act):
                cand.sources = accused or cand.sources
                cand.alleged = True
                yield cand


# 2. actors
def _subjects(v: Token) -> list[Token]:
    """The subject of a verb, inherited from the verb it depends on when it has none."""
    seen = 0
    climbed_conj = False
    while seen < 4:
        subjects = [_relative_antecedent(c) for c in v.children if c.dep_ in {"nsubj", "csubj"}]
        if (
            subjects
            and climbed_conj
            and _reported_clause(v)
            and not any(_is_actor_like(t) or t.pos_ == "PRON" for t in subjects)
        ):
            # 'Algeria said the drone had violated … and accused Bamako': the parser hangs
            # 'accused' on the reported clause; the actor is the reporter.
            return [c for c in v.head.children if c.dep_ == "nsubj"]
        if subjects:
            return subjects
        if v.dep_ == "xcomp":
            # Object control: in 'pressed North Korea to stop sending', North Korea sends.
            controller = [c for c in v.head.children if c.dep_ in _OBJECTS]
            if controller and controller[0].pos_ in {"PROPN", "NOUN", "PRON"}:
                return controller
        if v.dep_ == "acl" and v.head.dep_ in _OBJECTS | {"pobj"}:
            v = v.head.head  # 'issued a commentary slamming X': the issuer slams
            seen += 1
            continue
        agent = [p for c in v.children if c.dep_ == "agent" for p in c.children]
        if agent:
            return agent
        if v.pos_ == "ADP" and v.head is not v:
            v = v.head  # 'by supplying': the verb the preposition hangs on
            seen += 1
            continue
        if v.dep_ in _INHERITS and v.head is not v:
            raised = v.dep_ == "xcomp"
            climbed_conj = v.dep_ == "conj"
            v = v.head
            seen += 1
            if raised and (passive := [c for c in v.children if c.dep_ == "nsubjpass"]):
                return passive  # 'Russia is believed to have provided …': Russia provided
            continue
        return []
    return []


def _parties(p: Token) -> list[Token]:
    """'X and Y', or 'officials of X and Y': the coordinated sides of a phrase."""
    if p.conjuncts:
        return [p, *p.conjuncts]
    inner = [q for c in p.children if c.dep_ == "prep" and c.lower_ == "of" for q in c.children]
    if inner and inner[0].conjuncts:
        return [inner[0], *inner[0].conjuncts]
    return [p]


def _relative_antecedent(t: Token) -> Token:
    """'France, which has a large diaspora, called on …': the parser may make 'which' the
    subject of the main verb; the actor is the noun the relative pronoun follows."""
    if t.tag_ not in {"WDT", "WP"} or t.i == 0:
        return t
    before = t.doc[t.i - 1]
    if before.is_punct and t.i > 1:
        before = t.doc[t.i - 2]
    return before if before.pos_ in {"PROPN", "NOUN"} else t


def _reported_clause(v: Token) -> bool:
    return v.dep_ == "ccomp" and v.head.lemma_.lower() in lex.REPORTING


def _targets(v: Token, preps: tuple[str, ...]) -> list[Token]:
    objects = [c for c in v.children if c.dep_ in _OBJECTS]
    # 'a move that Ethiopia condemned': the relative pronoun stands for the noun.
    objects = [v.head if o.tag_ in {"WDT", "WP"} and v.dep_ == "relcl" else o for o in objects]
    # 'condemned what it called Iran's involvement': the thing named in the free relative.
    objects = [
        next(
            (
                n
                for c in v.children
                if c.dep_ == "ccomp" and any(w.i == o.i for w in c.subtree)
                for n in c.children
                if n.dep_ in {"oprd", "dobj", "attr"} and n.i != o.i
            ),
            o,
        )
        if o.lower_ == "what"
        else o
        for o in objects
    ]
    if not objects:
        objects = [
            n
            for c in v.children
            if c.dep_ == "ccomp" and c.doc[c.left_edge.i].lower_ == "what"
            for n in c.children
            if n.dep_ in {"oprd", "attr"}
        ]
    return objects or _targets_in(v, preps)


def _targets_in(head: Token, preps: tuple[str, ...]) -> list[Token]:
    found = [
        p
        for c in head.children
        if c.dep_ == "prep" and c.lower_ in preps
        for p in c.children
        if p.dep_ == "pobj"
    ]
    if not found:
        # 'condemned ties between Russia and North Korea': both sides are targets.
        for obj in (c for c in head.children if c.dep_ in _OBJECTS):
            found += [
                p
                for c in obj.children
                if c.dep_ == "prep" and c.lower_ == "between"
                for p in c.children
                if p.dep_ == "pobj"
            ]
    # 'support for Russia's war': the possessor is the target ('his counterpart' is not his).
    return [
        next((c for c in t.children if c.dep_ == "poss" and c.pos_ != "PRON"), t) for t in found
    ]


def _object_lemmas(thing: Token) -> set[str]:
    """Lemmas that say what an object is: 'a bullet proof vest and six drones'."""
    parts = [
        thing,
        *thing.conjuncts,
        *(c for c in thing.children if c.dep_ in {"amod", "compound"}),
        # 'a shipment of weapons', 'a team of rescuers', 'planes carrying tents'
        *(
            p
            for c in thing.children
            if c.dep_ == "prep" and c.lower_ == "of"
            for p in (c.children)
            if p.dep_ == "pobj"
        ),
        *(o for c in thing.children if c.dep_ == "acl" for o in c.children if o.dep_ in _OBJECTS),
    ]
    return {t.lemma_.lower() for t in parts}


def _material_object(v: Token) -> Token | None:
    """What is sent, signed, imposed: the object, or 'with' Y in 'provide X with Y'."""
    for c in v.children:
        if c.dep_ in _OBJECTS and (c.lemma_.lower() in _ALL_CLASSES or not _is_actor_like(c)):
            return c
    for c in v.children:
        if c.dep_ == "prep" and c.lower_ == "with":
            for p in c.children:
                if p.dep_ == "pobj":
                    return p
    return next((c for c in v.children if c.dep_ in _OBJECTS), None)


def _recipients(v: Token) -> list[Token]:
    """Who receives aid: 'gave Kim a vest', 'sent troops to Russia', 'provided X with Y'."""
    dative = [c for c in v.children if c.dep_ in {"dative", "iobj"}]
    if dative:
        return [p for d in dative for p in ([d] if d.pos_ != "ADP" else list(d.children))]
    to = _targets_in(v, ("to",))
    if to:
        return to
    helping = [
        c
        for c in v.children
        if c.dep_ in {"xcomp", "advcl"}
        and c.lemma_.lower() in {"help", "train", "support", "assist", "equip", "arm", "defend"}
    ]
    purpose = [o for c in helping for o in c.children if o.dep_ in _OBJECTS] or [
        # 'to help Kyiv buy drones': Kyiv is parsed as the subject of 'buy'
        s
        for c in helping
        for w in c.children
        if w.dep_ in {"ccomp", "xcomp"}
        for s in w.children
        if s.dep_ == "nsubj"
    ]
    if purpose:
        return purpose  # 'to help Kyiv', 'to train Ukrainian pilots'
    if v.dep_ == "pcomp" and v.head.lower_ == "by":
        helped = [c for c in v.head.head.children if c.dep_ in _OBJECTS]
        if helped:
            return helped  # 'helping Russia … by supplying rockets': Russia receives
    if any(c.dep_ == "prep" and c.lower_ == "with" for c in v.children):
        return [c for c in v.children if c.dep_ in _OBJECTS]
    return []


def _is_actor_like(token: Token) -> bool:
    return token.ent_type_ in _ACTOR_TYPES or token.pos_ == "PROPN"


_ALL_CLASSES = (
    lex.MATERIEL
    | lex.HUMANITARIAN
    | lex.ECONOMIC
    | lex.AGREEMENT
    | lex.MEETING
    | lex.DRILL
    | lex.SANCTIONS
    | lex.COOPERATION
    | lex.PRISONERS
)


# 3. events
def _events(
    cand: Candidate, resolver: Resolver, ontology: object, published: date | None
) -> Iterator[Event]:
    sources = _expand(cand.sources, resolver)
    targets = _expand(cand.targets, resolver)
    if sources and len(targets) > 1:
        # 'Shoigu hailed the deal' with North Korea: his own country's side is not a target.
        targets = [t for t in targets if t.country != sources[0].country] or targets
    if sources:
        # Remembered even when no event is emitted: 'the release' may name it later.
        resolver.history.append((trigger_lemma(cand.trigger), sources))
    if len(sources) >= 2 and not targets and cand.cameo[:2] in _TWO_SIDED:
        sources, targets = sources[:1], sources[1:2]  # 'Kim and Putin signed': one event
    entry = ontology.for_cameo(cand.cameo)  # type: ignore[attr-defined]
    if sources and not targets and entry.type == "PROTEST" and sources[0].country:
        # A strike or march with no target named is against the country's own government.
        targets = [g] if (g := resolver.government(sources[0].country)) else []
    if (
        sources
        and not targets
        and (entry.type in _IMPLICIT_COUNTERPART or cand.cameo in _IMPLICIT_RECIPIENT)
    ):
        # 'Tallinn placed its units on alert' after 'Russia staged drills': the other side
        # is the country the story just named.
        other = resolver.counterpart(cand.trigger, sources[0])
        targets = [other] if other is not None else []
    sources = sources or [None]  # type: ignore[list-item]
    targets = targets or [None]  # type: ignore[list-item]
    modality = _modality(cand)
    speaker = _reporter_token(cand.trigger)
    quoted_by = resolver.quoted.get(cand.trigger.i)
    if speaker is None and quoted_by is not None:
        speaker = quoted_by  # '“North Korea is providing munitions …,” Blinken told reporters.'
        if modality.reported_by is None:
            modality = modality.model_copy(
                update={"reported_by": " ".join(w.text for w in quoted_by.subtree)}
            )
    reporter = resolver.actor(speaker) if speaker is not None else None
    if reporter is not None and (modality.reported_by or "").lower() in _PRONOUNS:
        # '…, it said': name who 'it' is
        modality = modality.model_copy(update={"reported_by": reporter.name})
    sent = cand.trigger.sent
    for source in sources:
        for target in targets:
            if source is None and target is None:
                continue
            if source is not None and target is not None and source.id == target.id:
                continue  # nobody does something to themselves
            if not (_placed(source) and _placed(target)):
                continue  # precision first: who did what to whom, or nothing
            if entry.mode == "visit" and not _a_real_visit(source, target):
                continue
            when = _date(cand.trigger, published, modality.future)
            confidence = cand.confidence * (1.0 if source else 0.7) * (1.0 if target else 0.85)
            event = Event(
                id=_event_id(entry.type, cand.trigger, source, target),
                type=entry.type,
                mode=entry.mode,
                context=list(entry.context),
                cameo=cand.cameo,
                trigger=Span(
                    text=cand.trigger.text,
                    start=cand.trigger.idx,
                    end=cand.trigger.idx + len(cand.trigger.text),
                ),
                source=_actor(source),
                target=_actor(target),
                date=when,
                location=_location(cand.trigger, resolver, target),
                modality=modality.model_copy(update={"alleged": modality.alleged or cand.alleged}),
                evidence=Span(text=sent.text, start=sent.start_char, end=sent.end_char),
                confidence=round(min(1.0, confidence), 3),
            )
            accusations = list(_reported_accusations(event, reporter, source))
            if accusations:
                event = event.model_copy(
                    update={"modality": event.modality.model_copy(update={"alleged": True})}
                )
            yield event
            yield from accusations


_TWO_SIDED = {"03", "04", "05", "06"}  # agree, consult, sign, cooperate: done together
# Actions that, said by a foreign government about someone else, are an accusation.
_ALLEGED_WHEN_REPORTED = {"AID", "ASSAULT", "COERCE"}


def _placed(entity: Entity | None) -> bool:
    """An actor an analyst can use: with a country, or a body the knowledge base knows."""
    return entity is not None and (
        entity.country is not None or entity.id.startswith(("wd:", "kb:"))
    )


def _reported_accusations(
    event: Event, reporter: Entity | None, source: Entity | None
) -> Iterator[Event]:
    """'North Korea is supplying munitions to Russia, Blinken said': the US accuses PRK."""
    if (
        event.type not in _ALLEGED_WHEN_REPORTED
        or reporter is None
        or source is None
        or not reporter.country
        or reporter.country in {source.country, None}
        or (event.target and reporter.country == event.target.country)
    ):
        return
    accusation = event.model_copy(
        update={
            "id": event.id + "a",
            "type": "ACCUSE",
            "mode": "allege",
            "context": [],
            "cameo": "112",
            "source": _actor(reporter),
            "target": _actor(source),
            "modality": event.modality.model_copy(update={"alleged": False}),
            "confidence": round(event.confidence * 0.8, 3),
        }
    )
    yield accusation


def _a_real_visit(source: Entity | None, target: Entity | None) -> bool:
    """A visit is diplomatic when it goes to another country, or to a person or body of one."""
    if target is None or target.type not in {"PERSON", "ORG", "GPE"} or not target.country:
        return False
    return not (source and source.country == target.country)


def fingerprint(event: Event) -> str:
    """Deterministic across articles: PLOVER type, each side by country (else entity id) and
    the date, so one event told by several outlets gets one fingerprint."""
    key = "|".join(str(part) for part in _retelling_key(event))
    return hashlib.sha256(key.encode()).hexdigest()[:16]


def _retelling_key(event: Event) -> tuple[object, ...]:
    """Type, the two sides (by country when known) and the date: one event per article."""

    def side(actor: EventActor | None) -> str | None:
        return None if actor is None else (actor.country or actor.entity_id)

    return (
        event.type,
        side(event.source),
        side(event.target),
        event.date.value,
        event.modality.negated,
    )


def _expand(tokens: list[Token], resolver: Resolver) -> list[Entity]:
    """Entities of the tokens and their coordinated siblings ('South Korea and the US'),
    including coordinated modifiers ('the Indian and Japanese navies')."""
    found: list[Entity] = []
    for token in tokens:
        if token.lower_ in _FIRST_PERSON and (speaker := resolver.quoted.get(token.i)):
            token = speaker  # '“we intend to …,” Kim said': Kim's side
        if token.lower_ in {"they", "them", "their"} and (
            (noun := resolver.antecedent_token(token)) is not None
        ):
            token = noun  # the pronoun stands for this phrase
        if (sides := resolver.earlier_sides(token)) and resolver.actor(token) is None:
            found += [e for e in sides if e not in found]
            continue
        if pair := resolver.pair(token):
            found += [e for e in pair if e not in found]
            continue
        modifiers = [
            m for c in token.children if c.dep_ in {"amod", "compound"} for m in (c, *c.conjuncts)
        ]
        named = [e for m in modifiers if (e := resolver.at(m)) is not None]
        if len(named) >= 2 and resolver.at(token) is None:
            found += [e for e in named if e not in found]
            continue
        for t in (token, *token.conjuncts):
            earlier = resolver.earlier_event_actors(t)
            entities = earlier or [resolver.actor(t) or resolver.domestic(t)]
            for entity in entities:
                if entity is not None and entity.type in _ACTOR_TYPES and entity not in found:
                    found.append(entity)
    return found


def _actor(entity: Entity | None) -> EventActor | None:
    if entity is None:
        return None
    return EventActor(entity_id=entity.id, name=entity.name, country=entity.country)


def _modality(cand: Candidate) -> Modality:
    v = cand.trigger
    chain = [v, *list(v.ancestors)[:4]]
    children = [c for t in chain[:2] for c in t.children]
    # Negation of the trigger itself, or of the verb it completes ('did not want to meet');
    # a conjoined verb's negation does not carry over ('did not want … and asked').
    scope = [v, v.head] if v.dep_ == "xcomp" else [v]
    negated = any(c.dep_ == "neg" or c.lower_ in {"never"} for t in scope for c in t.children)
    auxes = {c.lower_ for c in children if c.dep_ in {"aux", "auxpass"}}
    future = bool(auxes & lex.MODAL_FUTURE) or any(
        t.lemma_ in {"plan", "intend", "expect", "prepare", "set"} for t in chain[1:3]
    )
    hypothetical = bool(auxes & lex.MODAL_HYPOTHETICAL) or any(
        c.dep_ == "mark" and c.lower_ in {"if", "unless"} for t in chain[:3] for c in t.children
    )
    alleged = any(t.lemma_.lower() in lex.ALLEGING for t in chain[1:]) or any(
        c.lower_ in {"allegedly", "reportedly", "purportedly"} for c in children
    )
    reporter = None
    for t in chain[1:]:
        if t.lemma_.lower() in lex.REPORTING:
            subject = next((c for c in t.children if c.dep_ == "nsubj"), None)
            if subject is not None:
                reporter = " ".join(w.text for w in subject.subtree)
            break
    if reporter is None:
        # '…, the news agency reported.' may hang below the trigger instead of above it.
        tail = next(
            (
                c
                for c in v.children
                if c.dep_ in {"parataxis", "conj", "advcl", "ccomp"}
                and c.lemma_.lower() in lex.REPORTING
            ),
            None,
        )
        subject = next((c for c in tail.children if c.dep_ == "nsubj"), None) if tail else None
        if subject is not None:
            reporter = " ".join(w.text for w in subject.subtree)
    if reporter is None:
        according = next(
            (p for c in v.sent if c.lower_ == "according" for p in c.subtree if p.dep_ == "pobj"),
            None,
        )
        if according is not None:
            reporter = " ".join(w.text for w in according.subtree)
    return Modality(
        negated=negated,
        future=future and not negated,
        hypothetical=hypothetical,
        alleged=alleged and cand.cameo[:2] not in {"11", "09"},
        reported_by=reporter,
    )


_QUOTE_MARKS = {"“": "open", "”": "close", '"': "toggle", "«": "open", "»": "close"}
_FIRST_PERSON = {"we", "i", "our", "us", "my", "me"}


def _quote_speakers(doc: Doc) -> dict[int, Token]:
    """Token index → who is quoted, for quotations attributed across sentences:
    '“A … B,” Blinken told reporters.' and '“A,” Kim said. “B.”' (B is Kim's too)."""
    spans: list[tuple[int, int]] = []
    start: int | None = None
    for t in doc:
        kind = _QUOTE_MARKS.get(t.text)
        if kind is None:
            continue
        if start is None and kind in {"open", "toggle"}:
            start = t.i
        elif start is not None and kind in {"close", "toggle"}:
            spans.append((start, t.i))
            start = None
    speakers: dict[int, Token] = {}
    previous: tuple[int, Token] | None = None  # (end of the last attributed quote, speaker)
    for begin, end in spans:
        speaker = _attribution(doc, end)
        if speaker is None and previous is not None:
            # Only 'Kim said.' between the two quotations: the same voice goes on.
            between = doc[previous[0] + 1 : begin]
            if len(between) <= 6 and any(w.lemma_.lower() in lex.REPORTING for w in between):
                speaker = previous[1]
        if speaker is None:
            continue
        for i in range(begin + 1, end):
            speakers[i] = speaker
        previous = (end, speaker)
    return speakers


def _attribution(doc: Doc, close: int) -> Token | None:
    """The subject of the reporting verb right after a closing quote ('…,” Blinken said')."""
    sent_end = doc[close].sent.end if close + 1 < len(doc) else close + 1
    for t in doc[close + 1 : min(sent_end, close + 8)]:
        if t.lemma_.lower() in lex.REPORTING and t.pos_ in {"VERB", "AUX"}:
            return next((c for c in t.children if c.dep_ == "nsubj"), None)
        if t.text in _QUOTE_MARKS:
            break
    return None


def _reporter_token(v: Token) -> Token | None:
    """The subject of the reporting verb the trigger depends on ('…, Blinken said')."""
    for t in list(v.ancestors)[:4]:
        if t.lemma_.lower() in lex.REPORTING:
            return next((c for c in t.children if c.dep_ == "nsubj"), None)
    return None


def _date(trigger: Token, published: date | None, future: bool) -> object:
    doc = trigger.doc
    for ent in doc.ents:
        if ent.label_ != "DATE" or not (trigger.sent.start <= ent.start < trigger.sent.end):
            continue
        head = ent.root
        hops = 0
        while head.head is not head and hops < 3:
            head = head.head
            hops += 1
            if head.i == trigger.i:
                start = (
                    ent.start - 1
                    if ent.start > 0
                    and doc[ent.start - 1].lower_ in {"on", "in", "since", "last", "during"}
                    else ent.start
                )
                return resolve_date(doc[start : ent.end].text, published, future=future)
            if head.pos_ == "VERB":
                break
    return resolve_date("", None).model_copy(update={"text": None})


def _location(trigger: Token, resolver: Resolver, target: Entity | None) -> EventLocation | None:
    for c in trigger.children:
        if c.dep_ == "prep" and c.lower_ in {"in", "at"}:
            for p in c.children:
                entity = resolver.at(p) if p.dep_ == "pobj" else None
                if entity is not None and entity.type in _LOCATION_TYPES and entity != target:
                    return EventLocation(entity_id=entity.id, name=entity.name)
    return None


def _event_id(kind: str, trigger: Token, source: Entity | None, target: Entity | None) -> str:
    key = f"{kind}|{trigger.idx}|{source.id if source else ''}|{target.id if target else ''}"
    return "ev:" + hashlib.sha256(key.encode()).hexdigest()[:12]
